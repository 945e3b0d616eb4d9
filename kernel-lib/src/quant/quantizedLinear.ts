/**
 * A Linear whose weight is stored quantized: y = x dequant(W) + b, with W decoded on the fly.
 *
 * The packed weight is no parameter (no tf.Variable): it cannot train, and the optimizer, the
 * gradient norm and parameter counts never see it; the bias stays a float32 parameter, frozen. A
 * LoRA layer wraps it like any LinearLike (QLoRA): gradients flow through it to x, for the layers
 * below, and to nothing inside it.
 *
 * Where the dequantizing kernel applies (device/quantMatMul.ts, quantMatMulApplies), the product
 * reads the packed codes directly; elsewhere the readable path decodes the weight (dequantize,
 * formats.ts) and multiplies. Both take the same inputs; the conformance tests hold them equal.
 */
import * as tf from '@tensorflow/tfjs';
import { quantMatMul, quantMatMulApplies, type PackedWeight } from '../device';
import { Linear, LinearLike } from '../nn/linear';
import { Module } from '../nn/module';
import { QuantConfig } from './config';
import { bitsOf, codebook, dequantizeTensor, quantize, QuantizedTensor } from './formats';

export class QuantizedLinear extends Module implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: tf.Variable | null;
  /** The weight as the kernel reads it: packed codes, codebook, scales (plain tensors, not parameters). */
  readonly packed: PackedWeight;

  /** `weight` [in, out] quantized; `bias` (out) is copied into a frozen parameter. */
  constructor(readonly weight: QuantizedTensor, bias: tf.Tensor | null) {
    super();
    if (weight.shape.length !== 2) throw new Error(`QuantizedLinear: the weight must be [in, out], got shape [${weight.shape}]`);
    [this.inFeatures, this.outFeatures] = weight.shape;
    if (bias && bias.shape.join() !== String(this.outFeatures)) throw new Error(`QuantizedLinear: the bias has shape [${bias.shape}], the weight ${this.outFeatures} outputs`);
    this.packed = packedOnDevice(weight);
    this.bias = bias ? this.addParameter('bias', tf.variable(bias, false)) : null;
  }

  /** The Linear's weight quantized by `config`, its bias kept; the Linear itself is left as it was. */
  static fromLinear(linear: Linear, config: QuantConfig): QuantizedLinear {
    return new QuantizedLinear(quantize(linear.weight, linear.weight.shape, config), linear.bias);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const lead = x.shape.slice(0, -1); // (B, T) for x of shape (B, T, in)
    const x2 = x.reshape([-1, this.inFeatures]) as tf.Tensor2D;
    const y = quantMatMulApplies(x2.shape[0])
      ? quantMatMul(x2, this.packed) // reads the packed codes
      : tf.tidy(() => tf.matMul(x2, dequantizeTensor(this.weight))); // the readable path: W decoded, then x W
    return (this.bias ? y.add(this.bias) : y).reshape([...lead, this.outFeatures]);
  }

  /** Bytes of the packed weight and its scales (what `weight.bytes` says), not counting the bias. */
  storageBytes(): number {
    return this.weight.bytes;
  }

  protected override disposeBuffers(): void {
    tf.dispose([this.packed.codes, this.packed.table, this.packed.scales, this.packed.zeros]);
  }
}

/** The tensors the kernels read: the code bytes as int32 words (padded to whole words), codebook, scales, zero-points. */
function packedOnDevice(q: QuantizedTensor): PackedWeight {
  const words = new Int32Array(Math.ceil(q.data.length / 4));
  new Uint8Array(words.buffer).set(q.data);
  return {
    K: q.shape[0],
    N: q.shape[1],
    bits: bitsOf(q.method),
    groupSize: q.groupSize,
    codes: (tf.tensor1d(words, 'int32')),
    table: (tf.tensor1d(codebook(q.method))),
    scales: (tf.tensor1d(q.scales)),
    zeros: tf.tensor1d(q.zeros ? Float32Array.from(q.zeros) : [0]),
    zeroPoints: q.zeros !== null
  };
}
