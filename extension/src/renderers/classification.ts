/**
 * The classification view: accuracy and macro-F1 in the header; the confusion matrix (rows: the
 * true class, columns: the predicted one), each cell its count, shaded by its share of the row;
 * each class's F1 as a bar. Point at a cell or a bar to read its numbers.
 */
import {
  classificationSummary,
  ClassificationSpec,
  classScoresTitle,
  confusionShare,
  confusionTitle,
  formatScore,
  validateClassificationSpec
} from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';

const HINT = 'Point at a cell or a bar to read its numbers.';

export function classificationView(spec: ClassificationSpec): HTMLElement {
  const root = element('div', 'llm-lab-classification');
  const readout = element('div', 'llm-lab-attention-readout', HINT);
  readout.setAttribute('aria-live', 'polite');
  const hover = (node: HTMLElement, text: string) => {
    node.title = text;
    node.addEventListener('mouseenter', () => (readout.textContent = text));
  };

  const matrix = element('table', 'llm-lab-cls-matrix');
  const head = matrix.createTHead().insertRow();
  head.append(element('th', 'llm-lab-cls-corner', 'true \u2193 predicted \u2192'));
  for (const label of spec.labels) head.append(element('th', 'llm-lab-cls-col', label));
  const body = matrix.createTBody();
  spec.confusion.forEach((row, t) => {
    const tr = body.insertRow();
    tr.append(element('th', 'llm-lab-cls-row', spec.labels[t]));
    row.forEach((count, p) => {
      const share = confusionShare(spec.confusion, t, p);
      const cell = element('td', t === p ? 'llm-lab-cls-cell llm-lab-cls-diag' : 'llm-lab-cls-cell');
      cell.dataset.share = String(share);
      // the shade is a layer of its own, so the count keeps the theme's text colour
      const shade = element('span', 'llm-lab-cls-shade');
      shade.style.opacity = String(0.04 + 0.8 * share);
      cell.append(shade, element('span', 'llm-lab-cls-count', String(count)));
      hover(cell, confusionTitle(spec, t, p));
      tr.append(cell);
    });
  });

  const bars = element('div', 'llm-lab-cls-bars');
  bars.append(element('div', 'llm-lab-cls-bars-title', 'F1 per class'));
  for (const c of spec.perClass) {
    const row = element('div', 'llm-lab-cls-bar-row');
    const track = element('div', 'llm-lab-cls-track');
    const bar = element('div', 'llm-lab-cls-bar');
    bar.style.width = `${((c.f1 ?? 0) * 100).toFixed(1)}%`;
    track.append(bar);
    row.append(element('span', 'llm-lab-cls-bar-label', c.label), track, element('span', 'llm-lab-cls-bar-value', formatScore(c.f1)));
    hover(row, classScoresTitle(c));
    bars.append(row);
  }

  const panels = element('div', 'llm-lab-cls-panels');
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(matrix);
  panels.append(scroller, bars);
  const note = element('div', 'llm-lab-attention-note', 'Colour: the share of the true class\u2019s examples (each row sums to 100%); the diagonal is right.');
  root.append(element('div', 'llm-lab-title', spec.title), element('div', 'llm-lab-cls-summary', classificationSummary(spec)), readout, panels, note);
  return root;
}

export const ClassificationRenderer = specRenderer('classification', validateClassificationSpec, classificationView);
