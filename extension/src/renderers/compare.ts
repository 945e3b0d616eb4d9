/**
 * The comparison view: one row per prompt, with the reference answer and each model's output
 * side by side (a column per model: "base model", "after SFT"), a tick or a cross on each output
 * that was judged, and each column's score in its header.
 */
import { columnScore, CompareSpec, validateCompareSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';

function mark(correct: boolean): HTMLElement {
  const m = element('span', `llm-lab-cmp-mark ${correct ? 'llm-lab-cmp-correct' : 'llm-lab-cmp-wrong'}`, correct ? '\u2713' : '\u2717');
  m.title = correct ? 'correct' : 'wrong';
  return m;
}

export function compareView(spec: CompareSpec): HTMLElement {
  const root = element('div', 'llm-lab-compare');
  const hasReference = spec.rows.some(r => r.reference !== undefined);
  const table = element('table', 'llm-lab-cmp-table');
  const head = table.createTHead().insertRow();
  head.append(element('th', '', 'prompt'));
  if (hasReference) head.append(element('th', '', 'reference'));
  spec.columns.forEach((c, j) => {
    const th = element('th', 'llm-lab-cmp-column', c);
    const score = columnScore(spec, j);
    if (score) th.append(element('span', 'llm-lab-cmp-score', score));
    head.append(th);
  });
  const body = table.createTBody();
  for (const row of spec.rows) {
    const tr = body.insertRow();
    tr.append(element('td', 'llm-lab-cmp-text llm-lab-cmp-prompt', row.prompt));
    if (hasReference) tr.append(element('td', 'llm-lab-cmp-text llm-lab-cmp-reference', row.reference ?? ''));
    row.outputs.forEach((output, j) => {
      const td = element('td', 'llm-lab-cmp-output');
      const cell = element('div', 'llm-lab-cmp-cell');
      if (row.correct) cell.append(mark(row.correct[j]));
      cell.append(element('div', 'llm-lab-cmp-text', output));
      td.append(cell);
      tr.append(td);
    });
  }
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(table);
  root.append(element('div', 'llm-lab-title', spec.title), scroller);
  if (spec.note) root.append(element('div', 'llm-lab-attention-note llm-lab-view-note', spec.note));
  return root;
}

export const CompareRenderer = specRenderer('compare', validateCompareSpec, compareView);
