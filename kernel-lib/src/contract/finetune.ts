/**
 * The fine-tuning lessons' view specs: how well a classifier does (confusion matrix, per-class
 * F1), which tokens of a chat example get loss (the answer) and which do not (the prompt), and
 * generations before and after fine-tuning side by side. Re-exported by spec.ts, which lists
 * every kind and its version.
 */
import { arr, bool, fail, header, int, num, obj, SpecError, str, strings } from './check';
import { checkClassificationSize, checkExamplesSize, VIEW_LIMITS } from './limits';

/** Precision, recall and F1; null where a score is 0/0 (a class never predicted, or never seen). */
export interface ScoresView {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface ClassScoresView extends ScoresView {
  label: string;
  /** How many examples truly are of this class (the row sum of the confusion matrix). */
  support: number;
}

/** What the view draws of a classifier's evaluation (eval/'s ClassificationReport, with 0/0 scores as null). */
export interface ClassificationReportView {
  /** Class names (untrusted text: always escaped). */
  labels: string[];
  /** confusion[true class][predicted class]: counts. */
  confusion: number[][];
  accuracy: number | null;
  macro: ScoresView;
  weighted: ScoresView;
  /** One entry per label, in the order of labels. */
  perClass: ClassScoresView[];
  total: number;
}

export interface ClassificationSpec extends ClassificationReportView {
  kind: 'classification';
  version: 1;
  title: string;
}

/** One tokenized example: mask[i] is 1 where token i gets loss (the answer), 0 where not (the prompt). */
export interface TokenMaskRow {
  tokens: string[];
  mask: (0 | 1)[];
  /** The loss on each token, null where there is none (prompt tokens). */
  loss?: (number | null)[];
  /** True where a token is a special token of the chat template (<|user|>, <eos>, ...). */
  special?: boolean[];
}

export interface TokenMaskSpec {
  kind: 'token-mask';
  version: 1;
  title: string;
  rows: TokenMaskRow[];
  /** What the builder left out to fit the limits, shown under the view. */
  note?: string;
}

export interface CompareRow {
  prompt: string;
  reference?: string;
  /** One generation per column. */
  outputs: string[];
  /** Whether each column's output is right, when it was judged. */
  correct?: boolean[];
}

/** Generations of several models (columns: "base model", "after SFT") for the same prompts. */
export interface CompareSpec {
  kind: 'compare';
  version: 1;
  title: string;
  columns: string[];
  rows: CompareRow[];
  /** What the builder left out to fit the limits, shown under the view. */
  note?: string;
}

/** A score in [0, 1], or null (NaN sent as JSON: a 0/0). */
function score(v: unknown, path: string): void {
  if (v === null) return;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(path, 'a number in [0, 1] or null', v);
}

function scores(v: unknown, path: string): void {
  const o = obj(v, path);
  for (const key of ['precision', 'recall', 'f1']) score(o[key], `${path}.${key}`);
}

function optionalNote(o: Record<string, unknown>): void {
  if (o.note !== undefined) str(o.note, 'note');
}

/** A text of a view of examples: a string of at most VIEW_LIMITS.sampleChars characters. */
function exampleText(v: unknown, path: string): void {
  const s = str(v, path);
  if (s.length > VIEW_LIMITS.sampleChars) throw new SpecError(`${path} has ${s.length} characters, more than ${VIEW_LIMITS.sampleChars} (the builders cut longer texts)`);
}

export function validateClassificationSpec(v: unknown): ClassificationSpec {
  const o = obj(v, 'spec');
  header(o, 'classification', [1]);
  const n = arr(o.labels, 'labels').length;
  if (n === 0) fail('labels', 'a non-empty array', o.labels);
  checkClassificationSize(n);
  const labels = strings(o.labels, 'labels');
  arr(o.confusion, 'confusion', n).forEach((row, t) => arr(row, `confusion[${t}]`, n).forEach((c, p) => int(c, `confusion[${t}][${p}]`)));
  score(o.accuracy, 'accuracy');
  scores(o.macro, 'macro');
  scores(o.weighted, 'weighted');
  arr(o.perClass, 'perClass', n).forEach((c, i) => {
    const path = `perClass[${i}]`;
    const entry = obj(c, path);
    const label = str(entry.label, `${path}.label`);
    if (label !== labels[i]) throw new SpecError(`${path}.label (${JSON.stringify(label)}) must equal labels[${i}] (${JSON.stringify(labels[i])})`);
    scores(entry, path);
    int(entry.support, `${path}.support`);
  });
  int(o.total, 'total');
  return o as unknown as ClassificationSpec;
}

export function validateTokenMaskSpec(v: unknown): TokenMaskSpec {
  const o = obj(v, 'spec');
  header(o, 'token-mask', [1]);
  const rows = arr(o.rows, 'rows');
  if (rows.length === 0) fail('rows', 'a non-empty array', o.rows);
  checkExamplesSize('token mask view', { rows: rows.length });
  const lengths = rows.map((r, i) => arr(obj(r, `rows[${i}]`).tokens, `rows[${i}].tokens`).length);
  checkExamplesSize('token mask view', { rows: rows.length, tokens: Math.max(...lengths) });
  rows.forEach((r, i) => {
    const row = r as Record<string, unknown>;
    const n = lengths[i];
    strings(row.tokens, `rows[${i}].tokens`);
    arr(row.mask, `rows[${i}].mask`, n).forEach((m, j) => {
      if (m !== 0 && m !== 1) fail(`rows[${i}].mask[${j}]`, '0 or 1', m);
    });
    if (row.loss !== undefined)
      arr(row.loss, `rows[${i}].loss`, n).forEach((l, j) => {
        if (l !== null && num(l, `rows[${i}].loss[${j}]`) < 0) fail(`rows[${i}].loss[${j}]`, 'a number >= 0 or null', l);
      });
    if (row.special !== undefined) arr(row.special, `rows[${i}].special`, n).forEach((s, j) => bool(s, `rows[${i}].special[${j}]`));
  });
  optionalNote(o);
  return o as unknown as TokenMaskSpec;
}

export function validateCompareSpec(v: unknown): CompareSpec {
  const o = obj(v, 'spec');
  header(o, 'compare', [1]);
  const columns = arr(o.columns, 'columns');
  if (columns.length === 0) fail('columns', 'a non-empty array', o.columns);
  const rows = arr(o.rows, 'rows');
  if (rows.length === 0) fail('rows', 'a non-empty array', o.rows);
  checkExamplesSize('comparison view', { rows: rows.length, columns: columns.length });
  strings(columns, 'columns');
  rows.forEach((r, i) => {
    const path = `rows[${i}]`;
    const row = obj(r, path);
    exampleText(row.prompt, `${path}.prompt`);
    if (row.reference !== undefined) exampleText(row.reference, `${path}.reference`);
    arr(row.outputs, `${path}.outputs`, columns.length).forEach((t, j) => exampleText(t, `${path}.outputs[${j}]`));
    if (row.correct !== undefined) arr(row.correct, `${path}.correct`, columns.length).forEach((c, j) => bool(c, `${path}.correct[${j}]`));
  });
  optionalNote(o);
  return o as unknown as CompareSpec;
}

// ---- what the kernel's pictures and the extension's views both show -------------------------

/** A score to 3 decimals, or an en dash where it is 0/0 (null). */
export function formatScore(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '\u2013';
}

/** The share of the true class `t`'s examples predicted as `p` (a row of the matrix sums to 1; 0 in an empty row). */
export function confusionShare(confusion: number[][], t: number, p: number): number {
  const row = confusion[t].reduce((a, b) => a + b, 0);
  return row === 0 ? 0 : confusion[t][p] / row;
}

/** "true cat predicted as dog: 3 (25.0%)": the hover text of one cell of the confusion matrix. */
export function confusionTitle(spec: Pick<ClassificationReportView, 'labels' | 'confusion'>, t: number, p: number): string {
  const share = (100 * confusionShare(spec.confusion, t, p)).toFixed(1);
  return `true ${spec.labels[t]} predicted as ${spec.labels[p]}: ${spec.confusion[t][p]} (${share}%)`;
}

/** "precision 0.900, recall 0.818, F1 0.857, support 11": the hover text of a class's F1 bar. */
export function classScoresTitle(c: ClassScoresView): string {
  return `${c.label}: precision ${formatScore(c.precision)}, recall ${formatScore(c.recall)}, F1 ${formatScore(c.f1)}, support ${c.support}`;
}

/** "accuracy 0.873 · macro-F1 0.851 · weighted-F1 0.860 · 120 examples" */
export function classificationSummary(spec: ClassificationReportView): string {
  return `accuracy ${formatScore(spec.accuracy)} \u00b7 macro-F1 ${formatScore(spec.macro.f1)} \u00b7 weighted-F1 ${formatScore(spec.weighted.f1)} \u00b7 ${spec.total} examples`;
}

/** "7/10 correct" for one column of a comparison, or null when no row judged it. */
export function columnScore(spec: CompareSpec, column: number): string | null {
  const judged = spec.rows.filter(r => r.correct !== undefined);
  if (judged.length === 0) return null;
  return `${judged.filter(r => r.correct![column]).length}/${judged.length} correct`;
}

/** "14 prompt tokens, 6 answer tokens, mean answer loss 1.234": one token-mask row in numbers. */
export function tokenMaskSummary(row: TokenMaskRow): string {
  const answer = row.mask.filter(m => m === 1).length;
  const losses = (row.loss ?? []).filter((l, i): l is number => typeof l === 'number' && row.mask[i] === 1);
  const mean = losses.length > 0 ? `, mean answer loss ${(losses.reduce((a, b) => a + b, 0) / losses.length).toFixed(3)}` : '';
  return `${row.tokens.length - answer} prompt tokens, ${answer} answer tokens${mean}`;
}

/** The largest loss of any row (the darkest shade), 0 when there is none. */
export function maxLoss(rows: TokenMaskRow[]): number {
  let m = 0;
  for (const r of rows) for (const l of r.loss ?? []) if (typeof l === 'number' && l > m) m = l;
  return m;
}

/** 'token 3 "Hi": answer (gets loss), loss 2.314': the hover text of one token. */
export function tokenMaskTitle(row: TokenMaskRow, i: number): string {
  const role = row.mask[i] === 1 ? 'answer (gets loss)' : 'prompt (no loss)';
  const loss = row.loss?.[i];
  return `token ${i} ${JSON.stringify(row.tokens[i])}${row.special?.[i] ? ', special' : ''}: ${role}${typeof loss === 'number' ? `, loss ${loss.toFixed(3)}` : ''}`;
}

/** A token as the views show it: a newline as \u21b5, a tab as \u21e5, spaces kept. */
export function visibleToken(token: string): string {
  return token.replace(/\n/g, '\u21b5').replace(/\t/g, '\u21e5');
}
