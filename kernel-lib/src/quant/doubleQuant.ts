/**
 * Double quantization (QLoRA, section 3): the block scales of nf4 (one float32 per 64 weights,
 * 0.5 bits per weight) are themselves quantized. Their mean is taken out (all scales are positive,
 * so centring them uses the 8 bits better), and the centred scales are quantized to 8-bit absmax
 * codes in blocks of 256, each block with its own float32 scale: 8/64 + 32/(64*256) ≈ 0.127 bits per
 * weight instead of 0.5. (bitsandbytes maps the 8 bits non-linearly, its "dynamic" map; here they
 * are linear int8, like every other 8-bit code of this folder.)
 */

export const DOUBLE_QUANT_BLOCK = 256;

export interface DoubleQuant {
  /** One int8 code (two's complement) per block scale. */
  readonly codes: Uint8Array;
  /** One float32 scale per DOUBLE_QUANT_BLOCK block scales. */
  readonly scales: Float32Array;
  /** The mean of the block scales, taken out before quantizing them. */
  readonly offset: number;
  readonly blockSize: number;
}

export function doubleQuantize(scales: Float32Array): DoubleQuant {
  let sum = 0;
  for (const s of scales) sum += s;
  const offset = Math.fround(sum / scales.length);
  const codes = new Uint8Array(scales.length);
  const second = new Float32Array(Math.ceil(scales.length / DOUBLE_QUANT_BLOCK));
  for (let b = 0; b < second.length; b++) {
    const end = Math.min(scales.length, (b + 1) * DOUBLE_QUANT_BLOCK);
    let absmax = 0;
    for (let i = b * DOUBLE_QUANT_BLOCK; i < end; i++) absmax = Math.max(absmax, Math.abs(scales[i] - offset));
    const s = (second[b] = absmax / 127);
    for (let i = b * DOUBLE_QUANT_BLOCK; i < end; i++) codes[i] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((scales[i] - offset) / s))) & 255;
  }
  return { codes, scales: second, offset, blockSize: DOUBLE_QUANT_BLOCK };
}

/** The block scales back: code * its block's scale + offset. */
export function dequantizeScales(dq: DoubleQuant): Float32Array {
  const out = new Float32Array(dq.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = ((dq.codes[i] << 24) >> 24) * dq.scales[Math.floor(i / dq.blockSize)] + dq.offset;
  return out;
}

/** Stored bytes: the codes, the float32 second-level scales and the float32 offset. */
export const doubleQuantBytes = (dq: DoubleQuant) => dq.codes.length + 4 * dq.scales.length + 4;
