/**
 * The error box every renderer shows instead of a blank output or an exception: a spec that
 * does not match its type (SpecError names the path and the value), a view too big to draw
 * (ViewSizeError names its sizes, the limit and what to do), a JSON string that does not parse,
 * or a drawing library that failed.
 */
import { SpecError, SpecKind } from '@llm-lab/kernel/contract';
import { element } from './dom';

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** <div class="llm-lab-error">: a readable explanation, all text inserted as text. */
export function errorBox(kind: SpecKind, error: unknown): HTMLElement {
  const box = element('div', 'llm-lab-error');
  box.setAttribute('role', 'alert');
  // 'head-view' reads "this head view", 'attention-training' "this attention training view"
  const name = kind.replace(/-view$/, '').replace(/-/g, ' ');
  const title = element('div', 'llm-lab-error-title', `LLM Lab could not draw this ${name} view:`);
  const detail = element('pre', 'llm-lab-error-detail', errorMessage(error));

  box.append(title, detail);
  if (error instanceof SpecError) {
    // A well-formed kernel always sends valid specs: the usual cause is two builds out of step.
    const hint = element(
      'div',
      'llm-lab-error-hint',
      'The kernel library and the JupyterLab extension may be out of step: rebuild both (npm run build), restart the kernel and run the cell again.'
    );
    box.append(hint);
  }
  return box;
}
