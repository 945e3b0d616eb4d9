/**
 * How well a classifier does, in one view: the confusion matrix (rows: the true class, columns:
 * the predicted one; colour: the share of the row, so a rare class reads as clearly as a common
 * one), each class's F1 as a bar beside its row, and accuracy and macro-F1 in the header.
 */
import { HEAD_COLORS } from '../contract/palette';
import {
  classificationSummary,
  ClassificationReportView,
  ClassificationSpec,
  ScoresView,
  classScoresTitle,
  confusionShare,
  confusionTitle,
  formatScore,
  validateClassificationSpec
} from '../contract/finetune';
import { bundleOf, display, MimeBundle } from './display';
import { escapeXml, num, opacity, svgDocument, text } from './svg';

export interface ClassificationViewOptions {
  title?: string;
}

/** JSON has no NaN: a 0/0 score travels as null. */
const orNull = (v: number | null) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const scoresOf = (s: ScoresView): ScoresView => ({ precision: orNull(s.precision), recall: orNull(s.recall), f1: orNull(s.f1) });

/** The spec of a classification report; refuses more than VIEW_LIMITS.classes classes. */
export function classificationView(report: ClassificationReportView, options: ClassificationViewOptions = {}): ClassificationSpec {
  const spec: ClassificationSpec = {
    kind: 'classification',
    version: 1,
    title: options.title ?? `Classification: ${report.labels.length} classes`,
    labels: report.labels,
    confusion: report.confusion,
    accuracy: orNull(report.accuracy),
    macro: scoresOf(report.macro),
    weighted: scoresOf(report.weighted),
    perClass: report.perClass.map(c => ({ label: c.label, ...scoresOf(c), support: c.support })),
    total: report.total
  };
  return validateClassificationSpec(spec);
}

const short = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '\u2026' : s);

export function classificationSvg(spec: ClassificationSpec): string {
  const n = spec.labels.length;
  const cell = Math.max(14, Math.min(36, Math.floor(480 / n)));
  const labelW = Math.ceil(Math.min(14, Math.max(3, ...spec.labels.map(l => l.length))) * 6.5) + 12;
  const x0 = 24 + labelW; // matrix left: axis title, then the true labels
  const y0 = 48 + labelW + 16; // matrix top: title, summary, predicted labels (vertical), axis title
  const barX = x0 + n * cell + 24;
  const barW = 120;
  const W = barX + barW + 60;
  const H = y0 + n * cell + 16;
  const body = [
    text(8, 16, spec.title, 'font-size="12" font-weight="bold" fill="#222"'),
    text(8, 34, classificationSummary(spec), 'fill="#444"'),
    text(x0 + (n * cell) / 2, 56, 'predicted class \u2192', 'text-anchor="middle" fill="#555"'),
    text(12, y0 + (n * cell) / 2, 'true class \u2192', `text-anchor="middle" fill="#555" transform="rotate(90 12 ${num(y0 + (n * cell) / 2)})"`),
    text(barX, y0 - 6, 'F1 per class', 'fill="#555"')
  ];
  const mono = 'font-family="monospace" fill="#222"';
  spec.labels.forEach((label, i) => {
    const name = short(label, 14);
    body.push(text(x0 - 6, y0 + i * cell + cell / 2 + 4, name, `text-anchor="end" ${mono}`));
    const cx = x0 + i * cell + cell / 2 + 4;
    body.push(text(cx, y0 - 6, name, `${mono} transform="rotate(-90 ${num(cx)} ${num(y0 - 6)})"`));
  });
  spec.confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      const share = confusionShare(spec.confusion, t, p);
      const [x, y] = [x0 + p * cell, y0 + t * cell];
      body.push(
        `<rect x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${HEAD_COLORS[0]}" fill-opacity="${opacity(Math.max(share, 0.04))}">` +
          `<title>${escapeXml(confusionTitle(spec, t, p))}</title></rect>`
      );
      if (cell >= 22) body.push(text(x + cell / 2, y + cell / 2 + 4, String(count), `text-anchor="middle" fill="${share > 0.55 ? '#fff' : '#222'}"`));
    })
  );
  spec.perClass.forEach((c, i) => {
    const y = y0 + i * cell;
    const h = Math.min(cell - 4, 16);
    body.push(
      `<rect x="${barX}" y="${num(y + (cell - h) / 2)}" width="${num((c.f1 ?? 0) * barW)}" height="${h}" fill="${HEAD_COLORS[1]}"><title>${escapeXml(classScoresTitle(c))}</title></rect>`,
      text(barX + barW + 6, y + cell / 2 + 4, formatScore(c.f1), mono)
    );
  });
  return svgDocument(W, H, body);
}

/** The title, the summary, the matrix as a table and each class's scores. */
export function classificationText(spec: ClassificationSpec): string {
  const names = spec.labels.map(l => short(l.replace(/\s/g, ' '), 12));
  const width = Math.max(5, ...names.map(l => l.length), ...spec.confusion.flat().map(c => String(c).length));
  const pad = (s: string) => s.padStart(width);
  const lines = [
    spec.title,
    classificationSummary(spec),
    'confusion matrix (rows: true class, columns: predicted):',
    `${pad('')} ${names.map(pad).join(' ')}`,
    ...spec.confusion.map((row, t) => `${pad(names[t])} ${row.map(c => pad(String(c))).join(' ')}`),
    ...spec.perClass.map(classScoresTitle)
  ];
  return lines.join('\n');
}

export function classificationBundle(spec: ClassificationSpec): MimeBundle {
  return bundleOf(spec, classificationSvg(spec), classificationText(spec));
}

/** Show a classification report: confusion matrix, F1 per class, accuracy and macro-F1. */
export function showClassification(report: ClassificationReportView, options: ClassificationViewOptions = {}): void {
  display(classificationBundle(classificationView(report, options)));
}
