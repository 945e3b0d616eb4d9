/**
 * When a fused kernel stands in for the readable code: one rule per kernel, in one place.
 *
 * A fast path may only run when it honours every input the readable path takes. The fused
 * attention reads causally or in both directions, and adds a key mask (B, 1, 1, T) to the scores
 * as the readable code does (paddingMask: padded batches keep the fast path); it knows no other
 * mask, no rotated (RoPE) queries and keys, and no dropout of the attention weights (which acts in
 * training mode with a rate > 0). So a call with any of those takes the readable path, and the
 * conformance suite (test/conformance) checks both paths on the same inputs, masks included.
 */
import * as tf from '@tensorflow/tfjs';
import { fused } from './fused';

/** What self-attention is asked to do: the inputs a fused kernel must honour to stand in for it. */
export interface AttentionCall {
  /** The input x: (B, T, C). */
  shape: number[];
  /** Queries may not read later keys. */
  causal: boolean;
  /** q and k are rotated by position (RoPE). */
  rope: boolean;
  /** An additive mask besides the causal one (padding). */
  mask?: tf.Tensor;
  /** The attention weights are dropped (training mode with a dropout rate > 0). */
  dropout: boolean;
  /** d_model / n_heads. */
  headSize: number;
}

/** The wasm loops go four floats at a time. */
const wasmWidthFits = (n: number) => tf.getBackend() !== 'wasm' || n % 4 === 0;

/** A mask the fused attention adds itself: one float32 row of T per sequence, (B, 1, 1, T), as paddingMask makes. */
const isKeyMask = (mask: tf.Tensor, [B, T]: number[]) => mask.dtype === 'float32' && mask.shape.join() === [B, 1, 1, T].join();

export const fastPath = {
  /** The fused kernels are installed and switched on for the current backend. */
  get active(): boolean {
    return fused.active;
  },
  /** Self-attention, causal or not, without a mask or with a key mask, without RoPE or dropout, at a head size the backend's loops take. */
  attention(call: AttentionCall): boolean {
    return fused.active && !call.rope && !call.dropout && (call.mask === undefined || isKeyMask(call.mask, call.shape)) && wasmWidthFits(call.headSize);
  },
  layerNorm(dim: number): boolean {
    return fused.active && wasmWidthFits(dim);
  },
  gelu(): boolean {
    return fused.active;
  },
  crossEntropy(): boolean {
    return fused.active;
  },
  adamw(): boolean {
    return fused.active;
  }
};
