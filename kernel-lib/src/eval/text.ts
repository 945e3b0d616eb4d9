/**
 * Metrics of generated text: exact match (SQuAD-style), ROUGE-L (Lin 2004), and perplexity from a
 * mean loss. BLEU has its own file (bleu.ts). All take plain strings or token arrays.
 */

/**
 * Lowercase words and single punctuation marks, the default tokens of BLEU and ROUGE on strings:
 * "Don't stop, Bob!" -> ["don't", "stop", ",", "bob", "!"].
 */
export function wordTokens(text: string): string[] {
  // a word: letters and digits, with inner apostrophes; anything else that is not a space stands alone
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** " The  Eiffel Tower. " -> "the eiffel tower": lowercase, spaces collapsed and trimmed, final . , ! ? ; : dropped. */
export function normalizeAnswer(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim().replace(/[.,!?;:]+$/, '').trim();
}

/**
 * Per example: does the prediction equal (one of) its reference(s)? With `normalize` (the default)
 * both sides go through normalizeAnswer first; without it, the strings must be identical.
 */
export function exactMatches(predictions: string[], references: string[] | string[][], options: { normalize?: boolean } = {}): boolean[] {
  const refs = referenceLists(predictions, references);
  const norm = (options.normalize ?? true) ? normalizeAnswer : (s: string) => s;
  return predictions.map((p, i) => refs[i].some(r => norm(r) === norm(p)));
}

/** Fraction of predictions that equal (one of) their reference(s); see exactMatches. */
export function exactMatch(predictions: string[], references: string[] | string[][], options: { normalize?: boolean } = {}): number {
  const matches = exactMatches(predictions, references, options);
  return matches.filter(Boolean).length / matches.length;
}

/** References as one list per prediction (a single string becomes a list of one), checked. */
export function referenceLists(predictions: string[], references: string[] | string[][]): string[][] {
  if (predictions.length !== references.length) {
    throw new Error(`predictions has ${predictions.length} texts but references has ${references.length}`);
  }
  if (predictions.length === 0) throw new Error('predictions and references are empty: nothing to evaluate');
  return references.map((r, i) => {
    const list = typeof r === 'string' ? [r] : r;
    if (list.length === 0) throw new Error(`references[${i}] is an empty list: each prediction needs at least one reference`);
    return list;
  });
}

/** Length of the longest common subsequence of two token arrays (dynamic programming, one row at a time). */
export function lcsLength(a: string[], b: string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], row[j - 1]);
    }
    previous = row;
  }
  return previous[b.length];
}

/**
 * ROUGE-L of one candidate against one reference (Lin 2004), over tokens:
 * precision = LCS / |candidate|, recall = LCS / |reference|,
 * f = (1 + beta²) P R / (R + beta² P); beta > 1 favours recall. Each is 0 when its denominator is.
 */
export function rougeL(candidate: string[], reference: string[], options: { beta?: number } = {}): { precision: number; recall: number; f: number } {
  const beta = options.beta ?? 1;
  if (!Number.isFinite(beta) || beta <= 0) throw new Error(`beta (${beta}) must be a finite number > 0`);
  const lcs = lcsLength(candidate, reference);
  const precision = candidate.length === 0 ? 0 : lcs / candidate.length;
  const recall = reference.length === 0 ? 0 : lcs / reference.length;
  const b2 = beta * beta;
  const f = precision + recall === 0 ? 0 : ((1 + b2) * precision * recall) / (recall + b2 * precision);
  return { precision, recall, f };
}

/** Perplexity from a mean cross-entropy in nats per token: exp(meanNats) (Infinity past ~709 nats). */
export function perplexity(meanNats: number): number {
  if (typeof meanNats !== 'number' || !Number.isFinite(meanNats) || meanNats < 0) {
    throw new Error(`meanNats (${meanNats}) must be a finite mean cross-entropy >= 0, in nats per token`);
  }
  return Math.exp(meanNats);
}
