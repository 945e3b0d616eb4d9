/**
 * The token mask view: each chat example as its tokens, prompt tokens (no loss) and answer tokens
 * (loss) in two colours, special tokens outlined, and each token's loss, when given, as a red
 * underline as dark as the loss is high. Point at a token to read its role and loss.
 */
import { maxLoss, TokenMaskSpec, tokenMaskSummary, tokenMaskTitle, validateTokenMaskSpec, visibleToken } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';

const HINT = 'Point at a token to read its role and loss.';

/** A legend entry: a sample token in the style it names. */
function swatch(className: string, sample: string, label: string): HTMLElement {
  const entry = element('span', 'llm-lab-tm-legend-entry');
  entry.append(element('span', `llm-lab-tm-token ${className}`, sample), element('span', '', ` ${label}`));
  return entry;
}

export function tokenMaskView(spec: TokenMaskSpec): HTMLElement {
  const root = element('div', 'llm-lab-token-mask');
  const readout = element('div', 'llm-lab-attention-readout', HINT);
  readout.setAttribute('aria-live', 'polite');
  const highest = maxLoss(spec.rows);

  const legend = element('div', 'llm-lab-tm-legend');
  legend.append(swatch('llm-lab-tm-prompt', 'prompt', 'no loss'), swatch('llm-lab-tm-answer', 'answer', 'gets loss'), swatch('llm-lab-tm-prompt llm-lab-tm-special', '<|special|>', 'special token'));
  if (highest > 0) {
    const loss = element('span', 'llm-lab-tm-legend-entry');
    const sample = element('span', 'llm-lab-tm-token llm-lab-tm-answer', 'loss');
    const line = element('span', 'llm-lab-tm-loss');
    sample.append(line);
    loss.append(sample, element('span', '', ` underline: darker = higher (up to ${highest.toFixed(2)})`));
    legend.append(loss);
  }

  const examples = spec.rows.map((row, r) => {
    const example = element('div', 'llm-lab-tm-example');
    const tokens = element('div', 'llm-lab-tm-tokens');
    row.tokens.forEach((token, i) => {
      const role = row.mask[i] === 1 ? 'llm-lab-tm-answer' : 'llm-lab-tm-prompt';
      const span = element('span', `llm-lab-tm-token ${role}${row.special?.[i] ? ' llm-lab-tm-special' : ''}`, visibleToken(token));
      const loss = row.loss?.[i];
      if (typeof loss === 'number') {
        const line = element('span', 'llm-lab-tm-loss');
        line.style.opacity = String(0.1 + (0.9 * loss) / (highest || 1));
        span.append(line);
        span.dataset.loss = String(loss);
      }
      const title = tokenMaskTitle(row, i);
      span.title = title;
      span.addEventListener('mouseenter', () => (readout.textContent = title));
      tokens.append(span);
      if (token.endsWith('\n')) tokens.append(document.createElement('br'));
    });
    example.append(element('div', 'llm-lab-tm-summary', `example ${r + 1}: ${tokenMaskSummary(row)}`), tokens);
    return example;
  });

  root.append(element('div', 'llm-lab-title', spec.title), legend, readout, ...examples);
  if (spec.note) root.append(element('div', 'llm-lab-attention-note llm-lab-view-note', spec.note));
  return root;
}

export const TokenMaskRenderer = specRenderer('token-mask', validateTokenMaskSpec, tokenMaskView);
