import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedAttention } from '../device';
import { Dropout, DropoutConfig } from './dropout';
import { Init } from './init';
import { Linear, LinearLike } from './linear';
import { Module } from './module';
import { rope } from './positions';

/** A large negative number: exp() of it underflows to 0, with no inf - inf = NaN risks. */
const MASKED = -1e9;

/**
 * Additive causal mask (T, T): 0 where key <= query (allowed), MASKED where the key lies in
 * the future. Added to the scores before softmax, so a token never looks ahead.
 */
export function causalMask(T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const allowed = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // lower triangle incl. diagonal
    return tf.sub(1, allowed).mul(MASKED) as tf.Tensor2D;
  });
}

/**
 * Additive padding mask (B, 1, 1, T) for sequences padded to length T: key j of sequence b is
 * hidden (MASKED) when j >= validLengths[b]. It broadcasts over heads and queries; add it to a
 * causal mask, or use it alone (an encoder reads in both directions).
 */
export function paddingMask(validLengths: number[], T: number): tf.Tensor4D {
  const bad = validLengths.findIndex(n => !(Number.isInteger(n) && n >= 1 && n <= T));
  if (bad >= 0) throw new Error(`paddingMask: validLengths[${bad}] = ${validLengths[bad]} must be an integer in [1, ${T}]`);
  const values = new Float32Array(validLengths.length * T);
  validLengths.forEach((n, b) => values.fill(MASKED, b * T + n, (b + 1) * T));
  return tf.tensor4d(values, [validLengths.length, 1, 1, T]);
}

export interface AttentionResult {
  output: tf.Tensor; // (..., T, hs)
  weights: tf.Tensor; // (..., T, T): row q says how much query q reads from each key
}

/**
 * softmax(q k^T / sqrt(hs) + mask) v  for q, k, v of shape (..., T, hs). With `dropout` (training
 * mode), some links from a query to a key are dropped before v is read; `weights` are the softmax's.
 */
export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor, dropout?: Dropout): AttentionResult {
  const hs = q.shape[q.shape.length - 1];
  let scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(hs)); // (..., T, T)
  if (mask) scores = scores.add(mask);
  const weights = tf.softmax(scores, -1);
  return { output: tf.matMul(dropout ? dropout.forward(weights) : weights, v), weights };
}

/** (B, T, C) -> (B, nh, T, hs): each head gets its own slice of the channels. */
export function splitHeads(x: tf.Tensor, nHead: number): tf.Tensor {
  const [B, T, C] = x.shape;
  return x.reshape([B, T, nHead, C / nHead]).transpose([0, 2, 1, 3]);
}

/** (B, nh, T, hs) -> (B, T, C): the heads' outputs side by side again. */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [B, nh, T, hs] = x.shape;
  return x.transpose([0, 2, 1, 3]).reshape([B, T, nh * hs]);
}

/** Keys and values of the tokens seen so far, per layer: (B, nh, T_past, hs) each. */
export interface LayerCache {
  k: tf.Tensor;
  v: tf.Tensor;
}

/**
 * Causal mask for `tNew` queries that come after `tPast` cached tokens: (tNew, tPast + tNew).
 * Query t sits at position tPast + t and may read every key up to that position.
 */
export function causalMaskAfter(tPast: number, tNew: number): tf.Tensor2D {
  return tf.tidy(() => causalMask(tPast + tNew).slice([tPast, 0], [tNew, tPast + tNew]) as tf.Tensor2D);
}

/**
 * Multi-head causal self-attention, as in GPT-2: one projection makes q, k and v for all heads.
 * With `causal: false` every token reads every other one (an encoder, BERT); `mask` then hides
 * padding (paddingMask). With `rope: true` q and k are rotated by their position (nn/positions.ts)
 * so the scores know how far apart two tokens are (the model then needs no position embedding).
 * `dropout` (GPT-2's attn_pdrop and resid_pdrop) drops attention weights and the output, in training mode only.
 */
export class CausalSelfAttention extends Module {
  readonly cAttn: LinearLike;
  readonly cProj: LinearLike;
  readonly attnDropout: Dropout;
  readonly residDropout: Dropout;
  readonly causal: boolean;
  readonly rope: boolean;

  constructor(init: Init, readonly dModel: number, readonly nHead: number, residualStd: number, options: { causal?: boolean; rope?: boolean; dropout?: DropoutConfig } = {}) {
    super();
    this.cAttn = this.addModule('c_attn', new Linear(init, dModel, 3 * dModel));
    this.cProj = this.addModule('c_proj', new Linear(init, dModel, dModel, { std: residualStd }));
    this.attnDropout = this.addModule('attn_dropout', new Dropout(options.dropout));
    this.residDropout = this.addModule('resid_dropout', new Dropout(options.dropout));
    this.causal = options.causal ?? true;
    this.rope = options.rope ?? false;
  }

  /** q, k, v (B, nh, T, hs) from x (B, T, C); with RoPE, q and k turned by their position (from `offset`). */
  private headsOf(x: tf.Tensor, offset = 0): tf.Tensor[] {
    const [q, k, v] = tf.split(this.cAttn.forward(x), 3, -1).map(t => splitHeads(t, this.nHead));
    return this.rope ? [rope(q, { offset }), rope(k, { offset }), v] : [q, k, v];
  }

  forward(x: tf.Tensor, mask?: tf.Tensor): AttentionResult {
    const T = x.shape[1]!;
    const call = { shape: x.shape, causal: this.causal, rope: this.rope, mask, dropout: this.attnDropout.active, headSize: this.dModel / this.nHead };
    if (fastPath.attention(call)) {
      // the same computation as below in one kernel (device/fused.ts)
      const { y, weights } = fusedAttention(this.cAttn.forward(x) as tf.Tensor3D, this.nHead, { causal: this.causal, mask });
      return { output: this.residDropout.forward(this.cProj.forward(y)), weights };
    }
    const [q, k, v] = this.headsOf(x); // 3 x (B, nh, T, hs)
    const causal = this.causal ? causalMask(T) : undefined;
    const { output, weights } = scaledDotProductAttention(q, k, v, causal && mask ? causal.add(mask) : causal ?? mask, this.attnDropout);
    return { output: this.residDropout.forward(this.cProj.forward(mergeHeads(output))), weights }; // (B, T, C), (B, nh, T, T)
  }

  /**
   * The same for new tokens only, with the keys and values of the earlier ones kept from before
   * (a KV cache: generation then costs one token's work per step, not the whole context's).
   */
  forwardCached(x: tf.Tensor, cache: LayerCache | null): { output: tf.Tensor; cache: LayerCache } {
    const T = x.shape[1]!;
    const tPast = cache ? cache.k.shape[2]! : 0;
    const [q, kNew, vNew] = this.headsOf(x, tPast);
    const k = cache ? tf.concat([cache.k, kNew], 2) : kNew; // (B, nh, T_past + T, hs)
    const v = cache ? tf.concat([cache.v, vNew], 2) : vNew;
    // one new token may read every cached one: no mask needed (the common case while generating)
    const { output } = scaledDotProductAttention(q, k, v, T > 1 ? causalMaskAfter(tPast, T) : undefined, this.attnDropout);
    return { output: this.residDropout.forward(this.cProj.forward(mergeHeads(output))), cache: { k, v } };
  }
}
