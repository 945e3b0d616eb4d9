/**
 * GRPO's groups: a prompt, its G sampled answers, each answer's reward and its advantage within
 * the group (a signed bar: above the group's mean to the right, below it to the left), the group's
 * mean and std, and the checker's verdict. The group's own mean is the baseline: no value model.
 */
import { formatNumber, GrpoGroupsSpec, groupStats, groupSummary, validateGrpoGroupsSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';

function cell(row: HTMLTableRowElement, className: string, text = ''): HTMLTableCellElement {
  const td = element('td', className, text);
  row.append(td);
  return td;
}

export function grpoGroupsView(spec: GrpoGroupsSpec): HTMLElement {
  const root = element('div', 'llm-lab-grpo-groups');
  const all = spec.groups.map(g => groupStats(g.completions.map(c => c.reward), spec.scaleRewards));
  // one scale for every bar: groups compare
  const maxAbs = Math.max(...all.flatMap(s => s.advantages.map(Math.abs))) || 1;
  const formula = spec.scaleRewards ? 'advantage = (reward \u2212 group mean) / group std' : 'advantage = reward \u2212 group mean';
  root.append(element('div', 'llm-lab-title', spec.title), element('div', 'llm-lab-grpo-hint', `${formula}: the group is its own baseline, so no value model is needed.`));
  spec.groups.forEach((g, gi) => {
    const stats = all[gi];
    const box = element('div', 'llm-lab-grpo-group');
    box.append(element('div', 'llm-lab-grpo-prompt', g.prompt), element('div', 'llm-lab-grpo-summary', groupSummary(g, stats)));
    const table = element('table', 'llm-lab-grpo-table');
    const head = table.createTHead().insertRow();
    for (const [name, cls] of [['', 'mark'], ['answer', ''], ['reward', 'num'], ['advantage', ''], ['', 'num']]) head.append(element('th', cls ? `llm-lab-grpo-${cls}` : '', name));
    const body = table.createTBody();
    g.completions.forEach((c, j) => {
      const a = stats.advantages[j];
      const row = body.insertRow();
      row.className = 'llm-lab-grpo-row';
      if (c.correct !== undefined) row.dataset.correct = String(c.correct);
      const mark = cell(row, 'llm-lab-grpo-mark', c.correct === undefined ? '' : c.correct ? '\u2713' : '\u2717');
      if (c.correct !== undefined) mark.title = c.correct ? 'correct' : 'wrong';
      cell(row, 'llm-lab-grpo-text', c.text);
      cell(row, 'llm-lab-grpo-reward llm-lab-grpo-num', formatNumber(c.reward));
      const track = element('div', 'llm-lab-grpo-track');
      const bar = element('div', `llm-lab-grpo-bar ${a >= 0 ? 'llm-lab-grpo-pos' : 'llm-lab-grpo-neg'}`);
      const width = (50 * Math.abs(a)) / maxAbs;
      bar.style.width = `${width}%`;
      bar.style.left = a >= 0 ? '50%' : `${50 - width}%`;
      track.append(bar);
      track.title = `reward ${formatNumber(c.reward)} \u2212 mean ${formatNumber(stats.mean)}${spec.scaleRewards ? `, over std ${formatNumber(stats.std)}` : ''} = ${formatNumber(a)}`;
      cell(row, 'llm-lab-grpo-bar-cell').append(track);
      cell(row, 'llm-lab-grpo-adv llm-lab-grpo-num', `${a > 0 ? '+' : ''}${formatNumber(a)}`);
    });
    box.append(table);
    root.append(box);
  });
  return root;
}

export const GrpoGroupsRenderer = specRenderer('grpo-groups', validateGrpoGroupsSpec, grpoGroupsView);
