/**
 * Many continuations at once: PPO and GRPO learn from rollouts, a batch of answers the policy
 * writes to a batch of prompts at every step. One forward per new token for all of them, with the
 * KV cache, costs little more than one sequence's (the matrices are the same, with B rows).
 *
 * Prompts of different lengths, without padding: every sequence advances one position per step, so
 * all of them sit at the same position and share one cache length (no padding mask, no per-row
 * positions). The prompts' common length goes in at once; after it, a sequence whose prompt is
 * longer is fed its next prompt token (its logits are not used) while the shorter ones already
 * sample. A sequence leaves the batch (its rows of the cache are dropped) once it writes a stop id
 * or its maxNewTokens tokens. So each sequence sees exactly what `generate` would show it alone.
 *
 * What is guaranteed: sequence i has its own random generator, seeded with seeds[i] (default
 * seed + i), and draws once per new token as `generate` does, so its tokens are those of
 * generate(model, prompts[i], { ...options, seed: seeds[i] }), cut after the first stop id,
 * whatever the other prompts of the batch are and in whatever order: for temperature 0 and for
 * sampling (up to float rounding of a batched matrix product, which could move a draw that lands
 * within ~1e-7 of a token's edge). Unlike generate, the context does not slide: every prompt's
 * length + maxNewTokens - 1 must fit in the model's context.
 */
import * as tf from '@tensorflow/tfjs';
import { checkSampling, sampleFrom, samplingDistribution, SamplingOptions } from '../generate';
import { InterruptedError, watchInterrupt } from '../interrupt';
import { GPT, KVCache } from '../models/gpt';
import { checkLogitsFinite } from '../nn/heads';
import { Rng, seededRandom } from '../random';

export interface GenerateBatchOptions extends SamplingOptions {
  /** The most new tokens per sequence. */
  maxNewTokens: number;
  /** Sequence i samples with seed + i (default seed 0), unless `seeds` gives its seed. */
  seed?: number;
  /** One seed per prompt: the same prompt with the same seed gives the same tokens in any batch. */
  seeds?: number[];
  /** Token ids that end a sequence (an end-of-text token); the stop id is kept as its last token. */
  stopIds?: number[];
  /** Also return log p(token | everything before it) of every new token (see BatchGeneration). */
  logProbs?: boolean;
}

export interface BatchGeneration {
  /** Each prompt's new tokens (not the prompt), up to and including its first stop id. */
  tokens: number[][];
  /** Whether each sequence ended on a stop id (false: it wrote maxNewTokens tokens). */
  stopped: boolean[];
  /**
   * With logProbs: the log-probability of each new token under the model's own distribution
   * (softmax of the logits, before temperature, top-k or top-p), the number sequenceLogProbs gives
   * for the same tokens. PPO's ratio compares the policy to itself under that distribution.
   */
  logProbs?: number[][];
}

function checkBatch(model: GPT, prompts: number[][], o: GenerateBatchOptions): void {
  const { vocabSize } = model.config;
  const context = model.contextLength;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error('generateBatch: prompts is empty; give at least one prompt (token ids)');
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 0)) throw new Error(`generateBatch: maxNewTokens must be an integer >= 0, got ${o.maxNewTokens}`);
  checkSampling(o);
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new Error(`generateBatch: prompt ${i} is empty; give at least one token`);
    const bad = p.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad >= 0) throw new Error(`generateBatch: prompt ${i} has token ${p[bad]} at position ${bad}, outside the vocabulary [0, ${vocabSize})`);
    if (p.length + o.maxNewTokens - 1 > context) {
      throw new Error(`generateBatch: prompt ${i} has ${p.length} tokens; with maxNewTokens ${o.maxNewTokens} it needs ${p.length + o.maxNewTokens - 1} positions, more than the context ${context}`);
    }
  });
  if (o.seeds !== undefined && (o.seeds.length !== prompts.length || !o.seeds.every(s => Number.isInteger(s)))) {
    throw new Error(`generateBatch: seeds must hold one integer per prompt (${prompts.length}), got ${JSON.stringify(o.seeds)}`);
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error(`generateBatch: seed must be an integer, got ${o.seed}`);
  const badStop = (o.stopIds ?? []).find(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
  if (badStop !== undefined) throw new Error(`generateBatch: stop id ${badStop} is outside the vocabulary [0, ${vocabSize})`);
}

/** log softmax(row)[id], in float64. */
function logProbOf(row: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return row[id] - max - Math.log(sum);
}

function disposeCache(cache: KVCache | null): void {
  if (cache) for (const { k, v } of cache.layers) tf.dispose([k, v]);
}

/**
 * Continue every prompt by at most maxNewTokens tokens, B sequences per forward (see the top of
 * this file for what it guarantees). A kernel interrupt stops it between two steps with an
 * InterruptedError (the model is unchanged).
 */
export async function generateBatch(model: GPT, prompts: number[][], options: GenerateBatchOptions): Promise<BatchGeneration> {
  checkBatch(model, prompts, options);
  const { vocabSize } = model.config;
  const { maxNewTokens, stopIds = [] } = options;
  const rngs: Rng[] = prompts.map((_, i) => seededRandom(options.seeds?.[i] ?? (options.seed ?? 0) + i));
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const stopped = prompts.map(() => false);
  const result = (): BatchGeneration => ({ tokens, stopped, ...(options.logProbs && { logProbs }) });
  if (maxNewTokens === 0) return result();

  let active = prompts.map((_, i) => i); // the sequences in the batch, in the cache's row order
  let fed = Math.min(...prompts.map(p => p.length)); // tokens every active sequence has read
  let input: number[][] = active.map(i => prompts[i].slice(0, fed)); // (B, fed): the common prefix length at once
  let cache: KVCache | null = null;
  const interrupt = watchInterrupt();
  try {
    for (let step = 0; ; step++) {
      if (await interrupt.poll()) throw new InterruptedError(`generateBatch: interrupted after ${step} steps; the model is unchanged`);
      const rows = await nextLogits(input); // (B, V), one row per active sequence
      const next: number[] = [];
      const keep: number[] = [];
      active.forEach((i, b) => {
        const row = rows.subarray(b * vocabSize, (b + 1) * vocabSize);
        let id: number;
        if (fed < prompts[i].length) {
          id = prompts[i][fed]; // still reading its prompt
        } else {
          checkLogitsFinite(row, tokens[i].length + 1, 'generateBatch');
          id = sampleFrom(samplingDistribution(row, options), rngs[i]);
          tokens[i].push(id);
          if (options.logProbs) logProbs[i].push(logProbOf(row, id));
          stopped[i] = stopIds.includes(id);
          if (stopped[i] || tokens[i].length === maxNewTokens) return; // done: leaves the batch
        }
        keep.push(b);
        next.push(id);
      });
      if (keep.length === 0) break;
      if (keep.length < active.length) cache = dropRows(cache!, keep);
      active = keep.map(b => active[b]);
      input = next.map(id => [id]);
      fed += 1;
    }
  } finally {
    interrupt.close();
    disposeCache(cache);
  }
  return result();

  /** Logits (B, V) for the token after `ids` (B, T), which follow the cache; the cache grows by T. */
  async function nextLogits(ids: number[][]): Promise<Float32Array> {
    const T = ids[0].length;
    let nextCache: KVCache | null = null;
    const last = tf.tidy(() => {
      const r = model.forwardCached(tf.tensor2d(ids.flat(), [ids.length, T], 'int32'), cache);
      // the cache outlives this step
      for (const { k, v } of r.cache.layers) {
        tf.keep(k);
        tf.keep(v);
      }
      nextCache = r.cache;
      return r.logits.slice([0, T - 1, 0], [ids.length, 1, vocabSize]); // (B, 1, V)
    });
    disposeCache(cache); // the new cache holds copies (concatenations)
    cache = nextCache;
    const data = (await last.data()) as Float32Array;
    last.dispose();
    return data;
  }
}

/** The cache with only the rows `keep` of the batch; the old one is disposed. */
function dropRows(cache: KVCache, keep: number[]): KVCache {
  const layers = tf.tidy(() => {
    const index = tf.tensor1d(keep, 'int32');
    return cache.layers.map(({ k, v }) => ({ k: tf.gather(k, index), v: tf.gather(v, index) }));
  });
  disposeCache(cache);
  return { length: cache.length, layers };
}
