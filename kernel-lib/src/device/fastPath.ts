/**
 * When a fused kernel stands in for the readable code: one rule per kernel, in one place.
 *
 * A fast path may only run when it honours every input the readable path takes. The fused
 * attention knows the causal mask and nothing else: no padding mask, no rotated (RoPE) queries
 * and keys, no bidirectional reading. So a call with any of those takes the readable path, and the
 * conformance suite (test/conformance) checks both paths on the same inputs, masks included.
 */
import * as tf from '@tensorflow/tfjs';
import { fused } from './fused';

/** What self-attention is asked to do: the inputs a fused kernel must honour to stand in for it. */
export interface AttentionCall {
  /** Queries may not read later keys. */
  causal: boolean;
  /** q and k are rotated by position (RoPE). */
  rope: boolean;
  /** An additive mask besides the causal one (padding). */
  mask?: tf.Tensor;
  /** d_model / n_heads. */
  headSize: number;
}

/** The wasm loops go four floats at a time. */
const wasmWidthFits = (n: number) => tf.getBackend() !== 'wasm' || n % 4 === 0;

export const fastPath = {
  /** The fused kernels are installed and switched on for the current backend. */
  get active(): boolean {
    return fused.active;
  },
  /** Causal self-attention without padding or RoPE, at a head size the backend's loops take. */
  attention(call: AttentionCall): boolean {
    return fused.active && call.causal && !call.rope && call.mask === undefined && wasmWidthFits(call.headSize);
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
