/**
 * Text generation: feed the model its own predictions, one token at a time.
 * Sampling happens in plain JavaScript on probabilities read back from the device
 * (tf.multinomial is unreliable on WebGPU), with a seeded generator for reproducibility.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT, KVCache } from './models/gpt';
import { checkLogitsFinite } from './nn/heads';
import { seededRandom, Rng } from './random';
import { InterruptedError, watchInterrupt } from './interrupt';

export interface SamplingOptions {
  /** 0 = greedy (always the most likely token); <1 sharper, >1 flatter. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens. */
  topK?: number;
  /** Keep the smallest set of tokens whose probabilities add up to at least p (nucleus sampling). */
  topP?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Called with each new token id as soon as it is chosen (streaming). */
  onToken?: (id: number) => void;
  /** Keep the keys and values of earlier tokens (default true); false recomputes the whole context every step. */
  kvCache?: boolean;
}

export function checkSampling(o: SamplingOptions): void {
  const t = o.temperature ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`temperature must be a number >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new Error(`topK must be an integer >= 1, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${o.topP}`);
}

/** Probabilities after temperature, top-k and top-p, from one row of logits. */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const n = logits.length;
  const probs = new Float64Array(n);
  const temperature = o.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]);
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[i] = Math.exp((logits[i] - max) / temperature);
  for (let i = 0; i < n; i++) probs[i] /= total;

  // Tokens by falling probability; keep a prefix of them.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b] - probs[a]);
  let keep = o.topK !== undefined ? Math.min(o.topK, n) : n;
  if (o.topP !== undefined) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += probs[order[r]];
      if (mass >= o.topP) {
        keep = r + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let r = 0; r < n; r++) {
    if (r < keep) kept += probs[order[r]];
    else probs[order[r]] = 0;
  }
  for (let i = 0; i < n; i++) probs[i] /= kept;
  return probs;
}

/** Draw an index from a distribution. */
export function sampleFrom(probs: ArrayLike<number>, rng: Rng): number {
  let u = rng();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i; // rounding left a sliver
  return probs.length - 1;
}

/**
 * Continue `prompt` (token ids) by maxNewTokens tokens; returns only the new ones. A kernel
 * interrupt stops it between two tokens with an InterruptedError (the model is unchanged).
 */
export async function generate(model: GPT, prompt: number[], options: GenerateOptions): Promise<number[]> {
  const { blockSize, vocabSize } = model.config;
  const context = model.contextLength; // blockSize, less the virtual tokens of prompt or prefix tuning
  if (prompt.length === 0) throw new Error('generate: the prompt is empty; give at least one token');
  if (prompt.length > context) {
    throw new Error(`generate: the prompt has ${prompt.length} tokens, longer than the context ${context === blockSize ? `blockSize ${blockSize}` : `(${context} tokens: blockSize ${blockSize} less ${blockSize - context} virtual tokens)`}`);
  }
  const bad = prompt.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
  if (bad >= 0) throw new Error(`generate: prompt token ${prompt[bad]} at position ${bad} is outside the vocabulary [0, ${vocabSize})`);
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 0)) throw new Error(`generate: maxNewTokens must be an integer >= 0, got ${options.maxNewTokens}`);
  checkSampling(options);

  const rng = seededRandom(options.seed ?? 0);
  const tokens = [...prompt];
  const out: number[] = [];
  let cache: KVCache | null = null;
  const interrupt = watchInterrupt();
  try {
    for (let i = 0; i < options.maxNewTokens; i++) {
      if (await interrupt.poll()) throw new InterruptedError(`generate: interrupted after ${i} of ${options.maxNewTokens} tokens; the model is unchanged`);
      const row = await nextLogits();
      checkLogitsFinite(row, i + 1, 'generate');
      const next = sampleFrom(samplingDistribution(row, options), rng);
      tokens.push(next);
      out.push(next);
      options.onToken?.(next);
    }
  } finally {
    interrupt.close();
    if (cache) disposeCache(cache);
  }
  return out;

  /** Logits for the token after `tokens`. The model sees at most the last `context` tokens. */
  async function nextLogits(): Promise<Float32Array> {
    if (cache && cache.length + 1 > blockSize) { // the cache counts virtual tokens too
      // the window slides: every position changes, so the cache starts again
      disposeCache(cache);
      cache = null;
    }
    const useCache = options.kvCache ?? true;
    const ids = !useCache || !cache ? tokens.slice(-context) : tokens.slice(-1); // all, or only the newest
    let nextCache: KVCache | null = null;
    const last = tf.tidy(() => {
      const input = tf.tensor2d(ids, [1, ids.length], 'int32');
      if (!useCache) return model.forward(input).logits.slice([0, ids.length - 1, 0], [1, 1, vocabSize]);
      const r = model.forwardCached(input, cache);
      // the cache outlives this step
      for (const { k, v } of r.cache.layers) {
        tf.keep(k);
        tf.keep(v);
      }
      nextCache = r.cache;
      return r.logits.slice([0, ids.length - 1, 0], [1, 1, vocabSize]);
    });
    if (cache) disposeCache(cache); // the new cache holds copies (concatenations)
    cache = nextCache;
    const row = (await last.data()) as Float32Array;
    last.dispose();
    return row;
  }
}

function disposeCache(cache: KVCache): void {
  for (const { k, v } of cache.layers) tf.dispose([k, v]);
}

export interface TextCodec {
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
}

/**
 * Continue a text prompt and return prompt + continuation. With `stream: true` the text is
 * also printed as it is chosen (a few times a second), so a notebook shows it appear.
 */
export async function generateText(model: GPT, tokenizer: TextCodec, prompt: string, options: GenerateOptions & { stream?: boolean }): Promise<string> {
  let pending = options.stream ? prompt : '';
  let flushed = Date.now();
  const flush = () => {
    if (pending) process.stdout.write(pending);
    pending = '';
    flushed = Date.now();
  };
  const onToken = (id: number) => {
    options.onToken?.(id);
    if (!options.stream) return;
    pending += tokenizer.decode([id]);
    if (Date.now() - flushed > 200) flush();
  };
  try {
    const out = await generate(model, tokenizer.encode(prompt), { ...options, onToken });
    return prompt + tokenizer.decode(out);
  } finally {
    // an interrupt or an error keeps the text streamed so far on screen
    if (options.stream) {
      pending += '\n';
      flush();
    }
  }
}
