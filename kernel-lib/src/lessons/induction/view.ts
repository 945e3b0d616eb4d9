/**
 * The induction-heads view: for every layer, the previous-token score and the induction score of
 * each head over training steps (small multiples), and below them the loss on the first copy
 * (unpredictable: stays at chance) and on the second copy (copyable: drops when the heads form).
 * A static picture (SVG) and a text summary; all text escaped.
 */
import { InductionHistory, strongestHead } from './scores';
import { display, MimeBundle } from '../../viz/display';
import { axis, scaleLinear, svgDocument, text } from '../../viz/svg';

const HEAD_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function polyline(xs: number[], ys: number[], x: (v: number) => number, y: (v: number) => number, attrs: string): string {
  const points = xs.flatMap((s, i) => (Number.isFinite(ys[i]) ? [`${x(s).toFixed(1)},${y(ys[i]).toFixed(1)}`] : []));
  return points.length ? `<polyline points="${points.join(' ')}" fill="none" ${attrs}/>` : '';
}

/** The best head of a score kind, as "layer l head h (0.93)". */
function bestText(scores: number[][]): string {
  const best = strongestHead(scores);
  return `layer ${best.layer} head ${best.head} (${best.score.toFixed(2)})`;
}

export function inductionText(h: InductionHistory): string {
  const last = h.records.at(-1);
  const step = h.steps.at(-1) ?? 0;
  if (!last) return `${h.title}: no scores recorded yet`;
  return (
    `${h.title} [${h.status}] step ${step}: loss on the first copy ${last.firstCopyLoss.toFixed(3)}, on the second copy ${last.secondCopyLoss.toFixed(3)} ` +
    `(chance ln ${h.vocabSize} = ${Math.log(h.vocabSize).toFixed(3)}); second-copy accuracy ${(100 * last.secondCopyAccuracy).toFixed(1)}%; ` +
    `strongest previous-token head: ${bestText(last.prevToken)}; strongest induction head: ${bestText(last.induction)}` +
    (h.message ? `. ${h.message}` : '')
  );
}

export function inductionSvg(h: InductionHistory): string {
  const panelW = 300;
  const panelH = 110;
  const left = 50;
  const gap = 60;
  const top = 66;
  const rowH = panelH + 42;
  const lossH = 150;
  const W = left + 2 * panelW + gap + 20;
  const lossTop = top + h.nLayer * rowH + 10;
  const H = lossTop + lossH + 50;
  const maxStep = Math.max(1, h.steps.at(-1) ?? 1, h.trainLoss.step.at(-1) ?? 1);
  const body: string[] = [
    text(8, 18, h.title, 'font-size="13" font-weight="bold" fill="#222"'),
    text(8, 36, 'score of each head over training steps; colour = head', 'fill="#555"'),
    text(8, 50, 'previous-token: attention from i to i - 1; induction: to the token after the earlier occurrence of the current one (1 = always)', 'fill="#555" font-size="10"')
  ];
  for (let hd = 0; hd < h.nHead; hd++) {
    const lx = W - 20 - (h.nHead - hd) * 62;
    body.push(`<line x1="${lx}" x2="${lx + 16}" y1="32" y2="32" stroke="${HEAD_COLORS[hd % HEAD_COLORS.length]}" stroke-width="2"/>`, text(lx + 20, 36, `head ${hd}`, 'fill="#444"'));
  }
  const kinds = [
    { key: 'prevToken' as const, label: 'previous-token score' },
    { key: 'induction' as const, label: 'induction score' }
  ];
  for (let layer = 0; layer < h.nLayer; layer++) {
    const y0 = top + layer * rowH + 16;
    const y = scaleLinear().domain([0, 1]).range([y0 + panelH, y0]);
    kinds.forEach((kind, k) => {
      const x0 = left + k * (panelW + gap);
      const x = scaleLinear().domain([0, maxStep]).range([x0, x0 + panelW]);
      body.push(text(x0, y0 - 6, `layer ${layer}: ${kind.label}`, 'fill="#222"'), axis(y, 'left', x0, 2), axis(x, 'bottom', y0 + panelH, 4));
      for (let hd = 0; hd < h.nHead; hd++) {
        const values = h.records.map(r => r[kind.key][layer]?.[hd] ?? NaN);
        body.push(polyline(h.steps, values, x, y, `stroke="${HEAD_COLORS[hd % HEAD_COLORS.length]}" stroke-width="1.8"`));
      }
    });
  }
  // the loss on each copy, with chance (ln V) for reference
  const chance = Math.log(h.vocabSize);
  const losses = h.records.flatMap(r => [r.firstCopyLoss, r.secondCopyLoss]).filter(Number.isFinite);
  const yMax = Math.max(chance * 1.15, ...losses);
  const x = scaleLinear().domain([0, maxStep]).range([left, left + 2 * panelW + gap]);
  const y = scaleLinear().domain([0, yMax]).range([lossTop + lossH, lossTop + 16]);
  body.push(
    text(left, lossTop + 8, 'next-token loss (nats) on the first copy (not copyable) and on the second copy (copyable)', 'fill="#222"'),
    axis(y, 'left', left, 4),
    axis(x, 'bottom', lossTop + lossH, 6),
    text(left + 2 * panelW + gap, lossTop + lossH + 34, 'training step', 'text-anchor="end" fill="#444"'),
    `<line x1="${left}" x2="${left + 2 * panelW + gap}" y1="${y(chance).toFixed(1)}" y2="${y(chance).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    text(left + 2 * panelW + gap - 2, y(chance) - 4, `chance: ln ${h.vocabSize} = ${chance.toFixed(2)}`, 'text-anchor="end" fill="#777"'),
    polyline(h.steps, h.records.map(r => r.firstCopyLoss), x, y, 'stroke="#7f7f7f" stroke-width="2"'),
    polyline(h.steps, h.records.map(r => r.secondCopyLoss), x, y, 'stroke="#d62728" stroke-width="2"')
  );
  const lastStep = h.steps.at(-1);
  const last = h.records.at(-1);
  if (last && lastStep !== undefined) {
    body.push(
      text(x(lastStep) - 4, y(last.firstCopyLoss) - 6, 'first copy', 'text-anchor="end" fill="#555"'),
      text(x(lastStep) - 4, y(last.secondCopyLoss) - 6, 'second copy', 'text-anchor="end" fill="#d62728"')
    );
  }
  if (h.message) body.push(text(8, H - 8, h.message, 'fill="#a00"'));
  return svgDocument(W, H, body);
}

export function inductionBundle(h: InductionHistory): MimeBundle {
  return { 'image/svg+xml': inductionSvg(h), 'text/plain': inductionText(h) };
}

/** Show the scores and losses recorded by trainInduction (its `history`). */
export function showInduction(h: InductionHistory): void {
  display(inductionBundle(h));
}
