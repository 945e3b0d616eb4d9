/**
 * One entry point for the fine-tuning lessons: score a classifier's predictions, or generated text
 * against references.
 *
 *   evaluate('classification', { yTrue, yPred, labels })      // -> ClassificationReport
 *   evaluate('generation', { predictions, references })       // -> { exactMatch, bleu, rougeL, ... }
 *   metricValue(result, 'f1')                                 // one number by name
 */
import { bleu } from './bleu';
import { classify, type ClassificationReport } from './classification';
import { exactMatches, referenceLists, rougeL, wordTokens } from './text';

export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1' | 'exact_match' | 'bleu' | 'rouge_l';

export interface ClassificationInput {
  /** True class index per example, in [0, labels.length). */
  yTrue: ArrayLike<number>;
  yPred: ArrayLike<number>;
  labels: string[];
}

export interface GenerationInput {
  predictions: string[];
  /** One reference per prediction, or a list of acceptable references per prediction. */
  references: string[] | string[][];
}

export interface GenerationScores {
  /** Fraction of predictions equal to one of their references, after normalizeAnswer. */
  exactMatch: number;
  /** Corpus BLEU-4 over wordTokens, no smoothing (see bleu.ts). */
  bleu: number;
  /** Mean over predictions of the ROUGE-L F1 against the best-matching reference. */
  rougeL: number;
  count: number;
  /** Per prediction: did it match exactly? */
  matches: boolean[];
}

export function evaluate(kind: 'classification', input: ClassificationInput): ClassificationReport;
export function evaluate(kind: 'generation', input: GenerationInput): GenerationScores;
export function evaluate(kind: 'classification' | 'generation', input: ClassificationInput | GenerationInput): ClassificationReport | GenerationScores {
  if (kind === 'classification') {
    const { yTrue, yPred, labels } = input as ClassificationInput;
    return classify(yTrue, yPred, labels);
  }
  if (kind === 'generation') return evaluateGeneration(input as GenerationInput);
  throw new Error(`evaluate: kind '${kind}' is not 'classification' or 'generation'`);
}

function evaluateGeneration({ predictions, references }: GenerationInput): GenerationScores {
  const refs = referenceLists(predictions, references);
  const matches = exactMatches(predictions, refs);
  const candidates = predictions.map(wordTokens);
  const refTokens = refs.map(list => list.map(wordTokens));
  const rouge = candidates.map((c, i) => Math.max(...refTokens[i].map(r => rougeL(c, r).f)));
  return {
    exactMatch: matches.filter(Boolean).length / matches.length,
    bleu: bleu(candidates, refTokens).bleu,
    rougeL: rouge.reduce((a, b) => a + b, 0) / rouge.length,
    count: predictions.length,
    matches
  };
}

/**
 * One number of a result by name. For a classification report, precision, recall and f1 are the
 * macro averages (every class counts the same).
 */
export function metricValue(result: ClassificationReport | GenerationScores, name: MetricName): number {
  if ('perClass' in result) {
    if (name === 'accuracy') return result.accuracy;
    if (name === 'precision' || name === 'recall' || name === 'f1') return result.macro[name];
    throw new Error(`metric '${name}' is not one of a classification report (accuracy, precision, recall, f1)`);
  }
  if (name === 'exact_match') return result.exactMatch;
  if (name === 'bleu') return result.bleu;
  if (name === 'rouge_l') return result.rougeL;
  throw new Error(`metric '${name}' is not one of generated text (exact_match, bleu, rouge_l)`);
}
