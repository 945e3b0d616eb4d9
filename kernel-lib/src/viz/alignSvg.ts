/**
 * The static pictures of the alignment views (for nbconvert, GitHub, a lab without the
 * extension): the same marks the extension draws, in fixed colours on white. Every text from a
 * spec goes through text()/escapeXml: samples and prompts are untrusted.
 */
import { HEAD_COLORS } from '../contract/palette';
import {
  AlignPipelineSpec,
  clipLine as clip,
  disagreements,
  formatNumber,
  GrpoGroupsSpec,
  groupStats,
  groupSummary,
  klDomain,
  markerPath,
  paddedDomain,
  rewardKlTitle,
  RewardKlSpec,
  rewardPointTitle,
  RewardScatterSpec,
  RlSamplesSpec,
  runMethods,
  scatterStats,
  splitStatsLine,
  disagreementLine
} from '../contract/align';
import { ALIGN_ROLE_NAMES, ALIGN_STEP_INFO, AlignRole, alignPipelineLayout, emphasised, wrapWords } from '../contract/alignLayout';
import { axis, escapeXml, num, scaleLinear, svgDocument, text } from './svg';

const BLUE = HEAD_COLORS[0];
const ORANGE = HEAD_COLORS[1];
const RED = HEAD_COLORS[2];
const GREEN = HEAD_COLORS[3];
const heading = (title: string) => text(8, 16, title, 'font-size="12" font-weight="bold" fill="#222"');

const FILL: Record<AlignRole, string> = { trains: '#cfe3f7', frozen: '#e8e8e8', data: '#ffffff', model: '#fde3c4' };
const STROKE: Record<AlignRole, string> = { trains: '#1976d2', frozen: '#9e9e9e', data: '#9e9e9e', model: '#e65100' };

export function alignPipelineSvg(spec: AlignPipelineSpec): string {
  const layout = alignPipelineLayout();
  const h = spec.highlight;
  const body = [heading(spec.title)];
  const what = h === null ? [] : wrapWords(`${ALIGN_STEP_INFO[h].name}: ${ALIGN_STEP_INFO[h].what}`, 160);
  what.forEach((l, i) => body.push(text(8, 32 + i * 14, l, 'fill="#333"')));
  const ly = 34 + what.length * 14;
  let lx = 8;
  for (const role of ['trains', 'frozen', 'data', 'model'] as AlignRole[]) {
    body.push(`<rect x="${lx}" y="${ly}" width="14" height="10" fill="${FILL[role]}" stroke="${STROKE[role]}"${role === 'data' ? ' stroke-dasharray="3 2"' : ''}/>`, text(lx + 18, ly + 9, ALIGN_ROLE_NAMES[role], 'fill="#444"'));
    lx += 30 + ALIGN_ROLE_NAMES[role].length * 5.8;
  }
  const dy = ly + 18;
  const dim = (steps: Parameters<typeof emphasised>[0]) => (emphasised(steps, h) ? '' : ' opacity=".25"');
  body.push('<defs><marker id="align-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#666"/></marker></defs>');
  for (const f of layout.frames) {
    body.push(`<g${dim(f.steps)}><rect x="${f.x}" y="${f.y + dy}" width="${f.w}" height="${f.h}" rx="6" fill="none" stroke="#1976d2" stroke-dasharray="5 3"><title>${escapeXml(f.title)}</title></rect>`);
    body.push(text(f.x + 8, f.y + dy + 15, f.label, 'font-size="11" font-weight="bold" fill="#222"'), text(f.x + 8, f.y + dy + 29, f.lines.join(' '), 'font-size="10" fill="#444"'), '</g>');
  }
  for (const e of layout.edges) {
    const strong = h !== null && emphasised(e.steps, h);
    body.push(`<g${dim(e.steps)}><polyline points="${e.points.map(([x, y]) => `${num(x)},${num(y + dy)}`).join(' ')}" fill="none" stroke="#666" stroke-width="${strong ? 2.5 : 1.2}" marker-end="url(#align-arrow)"/>`);
    if (e.label) body.push(text(e.label.x, e.label.y + dy, e.label.text, `text-anchor="${e.label.anchor}" font-size="10" font-style="italic" fill="#555"`));
    body.push('</g>');
  }
  for (const b of layout.boxes) {
    const strong = h !== null && emphasised(b.steps, h);
    body.push(`<g${dim(b.steps)}><rect x="${b.x}" y="${num(b.y + dy)}" width="${num(b.w)}" height="${b.h}" rx="4" fill="${FILL[b.role]}" stroke="${STROKE[b.role]}" stroke-width="${strong ? 3 : b.role === 'trains' || b.role === 'model' ? 1.5 : 1}"${b.role === 'data' ? ' stroke-dasharray="3 2"' : ''}><title>${escapeXml(b.title)}</title></rect>`);
    body.push(text(b.x + 6, b.y + dy + 16, b.label, 'font-size="11" font-weight="bold" fill="#222"'));
    b.lines.forEach((l, i) => body.push(text(b.x + 6, b.y + dy + 30 + i * 12, l, 'font-size="10" fill="#444"')));
    body.push('</g>');
  }
  return svgDocument(layout.width, layout.height + dy, body);
}

export function rewardScatterSvg(spec: RewardScatterSpec): string {
  const stats = scatterStats(spec.points);
  const [left, right, top] = [56, 560, 40 + stats.length * 14];
  const bottom = top + 260;
  const x = scaleLinear().domain(paddedDomain(spec.points.map(p => p.x))).nice().range([left, right]);
  const y = scaleLinear().domain(paddedDomain(spec.points.map(p => p.y))).nice().range([bottom, top]);
  const body = [heading(spec.title)];
  stats.forEach((s, i) => body.push(text(8, 32 + i * 14, splitStatsLine(s), `fill="${s.split === 'train' ? BLUE : ORANGE}"`)));
  const color = (split: string) => (split === 'train' ? BLUE : ORANGE);
  for (const p of spec.points) body.push(`<circle cx="${num(x(p.x))}" cy="${num(y(p.y))}" r="3.5" fill="${color(p.split)}" fill-opacity=".65"><title>${escapeXml(clip(rewardPointTitle(spec, p), 300))}</title></circle>`);
  const flagged = disagreements(spec.points, spec.flag);
  flagged.forEach((i, k) => {
    const p = spec.points[i];
    body.push(`<circle cx="${num(x(p.x))}" cy="${num(y(p.y))}" r="7" fill="none" stroke="${RED}" stroke-width="2"/>`, text(x(p.x) + 8, y(p.y) - 6, String(k + 1), `font-weight="bold" fill="${RED}"`));
  });
  body.push(axis(x, 'bottom', bottom), axis(y, 'left', left), text((left + right) / 2, bottom + 32, spec.xTitle, 'text-anchor="middle" fill="#555"'), text(left - 40, top - 8, spec.yTitle, 'fill="#555"'));
  // the legend, right of the plot
  body.push(`<circle cx="${right + 24}" cy="${top + 6}" r="4" fill="${BLUE}"/>`, text(right + 32, top + 10, 'train', 'fill="#444"'), `<circle cx="${right + 24}" cy="${top + 24}" r="4" fill="${ORANGE}"/>`, text(right + 32, top + 28, 'held-out', 'fill="#444"'));
  body.push(`<circle cx="${right + 24}" cy="${top + 42}" r="6" fill="none" stroke="${RED}" stroke-width="2"/>`, text(right + 34, top + 46, 'most disagreement', 'fill="#444"'));
  let ty = bottom + 56;
  if (flagged.length > 0) body.push(text(8, ty, 'Where the reward model and the stand-in disagree most (by rank):', 'font-weight="bold" fill="#222"'));
  flagged.forEach((i, k) => {
    ty += 16;
    body.push(text(8, ty, `${k + 1}. ${disagreementLine(spec.points, i)}: \u201c${clip(spec.points[i].text, 70)}\u201d`, 'fill="#333"'));
  });
  return svgDocument(700, ty + 10, body);
}

export function grpoGroupsSvg(spec: GrpoGroupsSpec): string {
  const all = spec.groups.map(g => groupStats(g.completions.map(c => c.reward), spec.scaleRewards));
  const maxAbs = Math.max(...all.flatMap(s => s.advantages.map(Math.abs))) || 1;
  const [textX, rewardX, zero, half, advX, W] = [24, 460, 560, 80, 700, 720];
  const body = [heading(spec.title), text(rewardX, 34, 'reward', 'text-anchor="end" fill="#555"'), text(zero, 34, `advantage ${spec.scaleRewards ? '(r \u2212 mean) / std' : 'r \u2212 mean'}`, 'text-anchor="middle" fill="#555"')];
  let y = 44;
  spec.groups.forEach((g, gi) => {
    const stats = all[gi];
    body.push(text(8, y + 14, `prompt: ${clip(g.prompt, 90)}`, 'font-weight="bold" font-family="monospace" fill="#222"'), text(8, y + 29, groupSummary(g, stats), 'fill="#555"'));
    y += 36;
    body.push(`<line x1="${zero}" x2="${zero}" y1="${y}" y2="${y + g.completions.length * 18}" stroke="#999"/>`);
    g.completions.forEach((c, j) => {
      const a = stats.advantages[j];
      const cy = y + 13;
      if (c.correct !== undefined) body.push(text(8, cy, c.correct ? '\u2713' : '\u2717', `font-weight="bold" fill="${c.correct ? GREEN : RED}"`));
      body.push(text(textX, cy, clip(c.text, 68), 'font-family="monospace" fill="#333"'), text(rewardX, cy, formatNumber(c.reward), 'text-anchor="end" fill="#333"'));
      const w = (Math.abs(a) / maxAbs) * half;
      body.push(`<rect x="${num(a >= 0 ? zero : zero - w)}" y="${y + 4}" width="${num(Math.max(w, 0.5))}" height="11" fill="${a >= 0 ? GREEN : RED}" fill-opacity=".8"/>`);
      body.push(text(advX, cy, `${a > 0 ? '+' : ''}${formatNumber(a)}`, 'text-anchor="end" fill="#333"'));
      y += 18;
    });
    y += 12;
  });
  return svgDocument(W, y, body);
}

export function rewardKlSvg(spec: RewardKlSpec): string {
  const [left, right, top, bottom] = [60, 500, 40, 300];
  const pts = spec.runs.flatMap(r => r.points);
  const x = scaleLinear().domain(klDomain(pts.map(p => p.kl))).nice().range([left, right]);
  const y = scaleLinear().domain(paddedDomain(pts.map(p => p.reward))).nice().range([bottom, top]);
  const methods = runMethods(spec.runs);
  const body = [heading(spec.title)];
  spec.runs.forEach((r, i) => {
    const color = HEAD_COLORS[i % HEAD_COLORS.length];
    const shape = methods.indexOf(r.method);
    if (r.points.length > 1) body.push(`<polyline points="${r.points.map(p => `${num(x(p.kl))},${num(y(p.reward))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="1.5" stroke-opacity=".8"/>`);
    r.points.forEach((p, k) => {
      const last = k === r.points.length - 1;
      body.push(`<path d="${markerPath(shape, x(p.kl), y(p.reward), last ? 5.5 : 3.5)}" fill="${color}"${last ? ' stroke="#222"' : ''}><title>${escapeXml(rewardKlTitle(r, p))}</title></path>`);
    });
    const ly = top + 6 + i * 18;
    body.push(`<path d="${markerPath(shape, right + 30, ly, 5)}" fill="${color}"/>`, text(right + 42, ly + 4, clip(`${r.run} (${r.method})`, 30), 'fill="#333"'));
  });
  body.push(axis(x, 'bottom', bottom), axis(y, 'left', left), text((left + right) / 2, bottom + 32, spec.xTitle, 'text-anchor="middle" fill="#555"'), text(left - 44, top - 10, spec.yTitle, 'fill="#555"'));
  body.push(text(right + 24, top + 14 + spec.runs.length * 18, 'larger marker: the last point', 'font-size="10" fill="#777"'));
  return svgDocument(720, bottom + 44, body);
}

/** The SVG shows this many rows; the view and the text show all. */
export const SAMPLES_SVG_ROWS = 30;

export function rlSamplesSvg(spec: RlSamplesSpec): string {
  const cols: [string, number, string][] = [['step', 44, 'end'], [spec.rewardName, 120, 'end'], ['prompt', 132, 'start'], ['sample', 330, 'start']];
  const body = [heading(spec.title)];
  cols.forEach(([name, cx, anchor]) => body.push(text(cx, 36, name, `text-anchor="${anchor}" font-weight="bold" fill="#222"`)));
  body.push('<line x1="8" x2="852" y1="42" y2="42" stroke="#999"/>');
  const shown = spec.rows.slice(0, SAMPLES_SVG_ROWS);
  shown.forEach((r, i) => {
    const y = 58 + i * 18;
    if (i % 2 === 1) body.push(`<rect x="8" y="${y - 13}" width="844" height="18" fill="#f3f3f3"/>`);
    body.push(text(44, y, String(r.step), 'text-anchor="end" fill="#333"'), text(120, y, formatNumber(r.reward), 'text-anchor="end" fill="#333"'));
    body.push(text(132, y, clip(r.prompt, 30), 'font-family="monospace" fill="#333"'), text(330, y, clip(r.sample, 72), 'font-family="monospace" fill="#333"'));
  });
  let end = 58 + shown.length * 18;
  if (spec.rows.length === 0) body.push(text(8, end, 'no samples yet', 'fill="#777"'));
  if (spec.rows.length > shown.length) body.push(text(8, end, `\u2026 ${spec.rows.length - shown.length} older rows`, 'fill="#777"'));
  end += 8;
  return svgDocument(860, end, body);
}
