/**
 * Classification metrics from a confusion matrix: accuracy, and precision, recall and F1 per class,
 * with their macro and support-weighted averages (the numbers of scikit-learn's
 * `classification_report`).
 *
 *   const report = classify(yTrue, yPred, ['negative', 'positive']);
 *   report.accuracy, report.macro.f1, report.perClass[1].recall
 *
 * Zero division, as scikit-learn's `zero_division=0`: the precision of a class never predicted is 0,
 * the recall of a class with no true examples is 0, and F1 is 0 when precision and recall both are.
 * Every class of `labels` enters the macro average, present in the data or not; the weighted
 * average weighs each class by its support (its number of true examples), so absent ones add 0.
 */

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** How many examples truly belong to this class (its row sum). */
  support: number;
}

export interface ClassificationReport {
  labels: string[];
  /** confusion[true][predicted]: counts, (numClasses, numClasses). */
  confusion: number[][];
  accuracy: number;
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  perClass: ClassScores[];
  /** Number of examples (sum of the confusion matrix). */
  total: number;
}

/** Counts of (true class, predicted class) pairs: (numClasses, numClasses), rows true, columns predicted. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  return countPairs(yTrue, yPred, numClasses);
}

function countPairs(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number, labels?: string[]): number[][] {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses (${numClasses}) must be a positive integer`);
  if (yTrue.length !== yPred.length) throw new Error(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  if (yTrue.length === 0) throw new Error('yTrue and yPred are empty: nothing to evaluate');
  const named = labels ? ` (labels: ${labels.join(', ')})` : '';
  const check = (name: string, ys: ArrayLike<number>, i: number): number => {
    const y = ys[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new Error(`${name}[${i}] = ${y} is not a class index in [0, ${numClasses})${named}`);
    }
    return y;
  };
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) confusion[check('yTrue', yTrue, i)][check('yPred', yPred, i)]++;
  return confusion;
}

/** The report of a confusion matrix (rows true, columns predicted) whose classes are named by `labels`. */
export function classificationReport(confusion: number[][], labels: string[]): ClassificationReport {
  const k = confusion.length;
  if (k === 0) throw new Error('the confusion matrix is empty: it needs one row per class');
  confusion.forEach((row, i) => {
    if (row.length !== k) throw new Error(`the confusion matrix must be square: row ${i} has ${row.length} columns, but there are ${k} rows`);
    row.forEach((c, j) => {
      if (!Number.isFinite(c) || c < 0) throw new Error(`confusion[${i}][${j}] = ${c} is not a count (a finite number >= 0)`);
    });
  });
  if (labels.length !== k) {
    throw new Error(`labels has ${labels.length} names (${labels.join(', ')}) but the confusion matrix has ${k} classes`);
  }
  const support = confusion.map(row => row.reduce((a, b) => a + b, 0));
  const predicted = confusion[0].map((_, j) => confusion.reduce((a, row) => a + row[j], 0));
  const total = support.reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error('the confusion matrix holds no examples (all counts are 0)');

  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const perClass: ClassScores[] = labels.map((label, c) => {
    const tp = confusion[c][c];
    const precision = ratio(tp, predicted[c]);
    const recall = ratio(tp, support[c]);
    // 2PR / (P + R) = 2tp / (2tp + fp + fn); 0 when the class is never predicted nor present
    const f1 = ratio(2 * tp, predicted[c] + support[c]);
    return { label, precision, recall, f1, support: support[c] };
  });
  const average = (weight: (s: ClassScores) => number) => {
    const sum = perClass.reduce((a, s) => a + weight(s), 0);
    const mean = (key: 'precision' | 'recall' | 'f1') => perClass.reduce((a, s) => a + weight(s) * s[key], 0) / sum;
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') };
  };
  return {
    labels: [...labels],
    confusion: confusion.map(row => [...row]),
    accuracy: confusion.reduce((a, row, i) => a + row[i], 0) / total,
    macro: average(() => 1),
    weighted: average(s => s.support),
    perClass,
    total
  };
}

/** confusionMatrix + classificationReport: class indices in, the report out. */
export function classify(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: string[]): ClassificationReport {
  if (labels.length === 0) throw new Error('labels is empty: name one label per class');
  return classificationReport(countPairs(yTrue, yPred, labels.length, labels), labels);
}
