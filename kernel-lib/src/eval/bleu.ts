/**
 * Corpus BLEU (Papineni et al. 2002) over token arrays, several references per candidate, with the
 * numbers of nltk's `corpus_bleu`:
 *
 *   p_n  = sum over candidates of clipped n-gram matches / sum of candidate n-gram counts
 *          (a match counts at most as often as the n-gram appears in any one reference; a
 *          candidate shorter than n counts 1 in the denominator, as nltk does)
 *   BP   = 1 if c > r, 0 if c = 0, else exp(1 - r / c)
 *          c: total candidate length, r: sum of each candidate's closest reference length
 *          (the shorter one on a tie)
 *   BLEU = BP · exp(sum_n w_n log p_n)
 *
 * BLEU is 0 when no unigram matches. Smoothing, for short texts where some higher order has no match:
 * - 'none' (default, nltk's method0): any zero p_n (with a weight > 0) makes BLEU 0
 *   (nltk returns the tiny exp(w_n · log 2.2e-308) there instead of exactly 0);
 * - 'add-one' (Lin and Och 2004, nltk's method2): p_n = (matches + 1) / (count + 1) for n >= 2.
 */

export interface BleuOptions {
  /** Longest n-gram, default 4 (BLEU-4); the weights are then 1 / maxN each. */
  maxN?: number;
  /** Weight of each order n = 1..weights.length in the geometric mean; default uniform. */
  weights?: number[];
  smoothing?: 'none' | 'add-one';
}

export interface BleuScore {
  bleu: number;
  /** p_1 .. p_maxN as they enter the geometric mean (smoothed, when smoothing is on). */
  precisions: number[];
  brevityPenalty: number;
  /** Candidate length / reference length (c / r; 1 when both are 0). */
  ratio: number;
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = JSON.stringify(tokens.slice(i, i + n)); // unambiguous whatever the tokens hold
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function resolveWeights(options: BleuOptions): number[] {
  const { maxN, weights } = options;
  if (maxN !== undefined && (!Number.isInteger(maxN) || maxN < 1)) throw new Error(`maxN (${maxN}) must be a positive integer`);
  if (weights === undefined) return new Array<number>(maxN ?? 4).fill(1 / (maxN ?? 4));
  if (weights.length === 0) throw new Error('weights is empty: give one weight per n-gram order');
  if (maxN !== undefined && weights.length !== maxN) throw new Error(`weights has ${weights.length} entries (${weights.join(', ')}) but maxN is ${maxN}`);
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) throw new Error(`weights[${i}] = ${w} must be a finite number >= 0`);
  });
  return weights;
}

function checkTokens(name: string, tokens: unknown): void {
  if (typeof tokens === 'string') throw new Error(`${name} is a string; BLEU takes token arrays (split text with wordTokens)`);
  if (!Array.isArray(tokens)) throw new Error(`${name} must be an array of tokens, got ${typeof tokens}`);
}

/** Corpus BLEU of tokenized candidates, each against its list of tokenized references. */
export function bleu(candidates: string[][], references: string[][][], options: BleuOptions = {}): BleuScore {
  if (candidates.length !== references.length) {
    throw new Error(`candidates has ${candidates.length} texts but references has ${references.length} lists`);
  }
  if (candidates.length === 0) throw new Error('candidates and references are empty: nothing to evaluate');
  const smoothing = options.smoothing ?? 'none';
  if (smoothing !== 'none' && smoothing !== 'add-one') throw new Error(`smoothing '${smoothing}' is not 'none' or 'add-one'`);
  const weights = resolveWeights(options);
  const maxN = weights.length;

  const matches = new Array<number>(maxN).fill(0);
  const counts = new Array<number>(maxN).fill(0);
  let c = 0;
  let r = 0;
  candidates.forEach((candidate, i) => {
    checkTokens(`candidates[${i}]`, candidate);
    const refs = references[i];
    if (!Array.isArray(refs) || refs.length === 0) throw new Error(`references[${i}] must be a non-empty list of token arrays`);
    refs.forEach((ref, j) => checkTokens(`references[${i}][${j}]`, ref));
    for (let n = 1; n <= maxN; n++) {
      const own = ngramCounts(candidate, n);
      const refCounts = refs.map(ref => ngramCounts(ref, n));
      let total = 0;
      for (const [gram, count] of own) {
        const most = Math.max(...refCounts.map(rc => rc.get(gram) ?? 0));
        matches[n - 1] += Math.min(count, most);
        total += count;
      }
      counts[n - 1] += Math.max(1, total);
    }
    c += candidate.length;
    // the reference length closest to the candidate's, the shorter one on a tie
    r += refs.map(ref => ref.length).reduce((best, len) => {
      const d = Math.abs(len - candidate.length) - Math.abs(best - candidate.length);
      return d < 0 || (d === 0 && len < best) ? len : best;
    });
  });

  const brevityPenalty = c > r ? 1 : c === 0 ? 0 : Math.exp(1 - r / c);
  const precisions = matches.map((m, k) => (smoothing === 'add-one' && k > 0 ? (m + 1) / (counts[k] + 1) : m / counts[k]));
  const zero = matches[0] === 0 || precisions.some((p, k) => p === 0 && weights[k] > 0);
  const logMean = weights.reduce((s, w, k) => (w > 0 ? s + w * Math.log(precisions[k]) : s), 0);
  return { bleu: zero ? 0 : brevityPenalty * Math.exp(logMean), precisions, brevityPenalty, ratio: r > 0 ? c / r : c > 0 ? Infinity : 1 };
}

/** BLEU of one candidate against its references: the corpus BLEU of a corpus of one. */
export function sentenceBleu(candidate: string[], references: string[][], options: BleuOptions = {}): number {
  return bleu([candidate], [references], options).bleu;
}
