/** An RL run's samples, newest first: step, prompt, the sampled continuation and its reward. */
import { formatNumber, RlSamplesSpec, validateRlSamplesSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';

export function rlSamplesView(spec: RlSamplesSpec): HTMLElement {
  const root = element('div', 'llm-lab-rl-samples');
  root.append(element('div', 'llm-lab-title', spec.title));
  if (spec.rows.length === 0) {
    root.append(element('div', 'llm-lab-grpo-hint', 'no samples yet'));
    return root;
  }
  const table = element('table', 'llm-lab-rl-table');
  const head = table.createTHead().insertRow();
  for (const [name, cls] of [['step', 'num'], ['prompt', 'prompt'], ['sample', 'sample'], [spec.rewardName, 'num']]) head.append(element('th', `llm-lab-rl-${cls}`, name));
  const body = table.createTBody();
  for (const r of spec.rows) {
    const row = body.insertRow();
    row.append(element('td', 'llm-lab-rl-num', String(r.step)), element('td', 'llm-lab-rl-prompt', r.prompt), element('td', 'llm-lab-rl-sample', r.sample), element('td', 'llm-lab-rl-num llm-lab-rl-reward', formatNumber(r.reward)));
  }
  const scroller = element('div', 'llm-lab-rl-scroll');
  scroller.append(table);
  root.append(scroller);
  return root;
}

export const RlSamplesRenderer = specRenderer('rl-samples', validateRlSamplesSpec, rlSamplesView);
