/**
 * What to quantize a weight to: `{ method }`, and for the 4-bit methods the group size (bitsandbytes'
 * blocksize) and, for nf4, whether the block scales are quantized too (double quantization).
 */

export type QuantMethod = 'int8' | 'int8-channel' | 'int8-zeropoint' | 'int4' | 'nf4';
export const QUANT_METHODS: readonly QuantMethod[] = ['int8', 'int8-channel', 'int8-zeropoint', 'int4', 'nf4'];

export interface QuantConfig {
  method: QuantMethod;
  /** int4 and nf4: consecutive weights that share a scale; 64 by default; must divide the weight count. */
  groupSize?: number;
  /** nf4: quantize the block scales to 8 bits in blocks of 256 (QLoRA's double quantization); true by default. */
  doubleQuant?: boolean;
}

export const DEFAULT_GROUP_SIZE = 64;

/** The config, checked against a weight's shape, with every default filled in. */
export function checkQuantConfig(config: QuantConfig, shape: number[]): { method: QuantMethod; groupSize: number; doubleQuant: boolean } {
  const { method, groupSize, doubleQuant } = config ?? ({} as QuantConfig);
  if (!QUANT_METHODS.includes(method)) throw new Error(`quantization method ${JSON.stringify(method)} is unknown; known: ${QUANT_METHODS.join(', ')}`);
  if (!shape.every(d => Number.isInteger(d) && d >= 1)) throw new Error(`${method}: the shape [${shape}] must be positive integers`);
  const n = shape.reduce((a, b) => a * b, 1);
  const N = shape.length ? shape[shape.length - 1] : 1;
  const fourBit = method === 'int4' || method === 'nf4';
  if (groupSize !== undefined && !fourBit) throw new Error(`${method}: groupSize (${groupSize}) applies to int4 and nf4 only (${method} has one scale per ${method === 'int8' ? 'tensor' : 'output channel'})`);
  if (doubleQuant !== undefined && method !== 'nf4') throw new Error(`${method}: doubleQuant (${doubleQuant}) applies to nf4 only`);
  if (!fourBit) return { method, groupSize: method === 'int8' ? n : n / N, doubleQuant: false };
  const g = groupSize ?? DEFAULT_GROUP_SIZE;
  if (!Number.isInteger(g) || g < 1) throw new Error(`${method}: groupSize must be a whole number >= 1, got ${groupSize}`);
  if (n % g !== 0) throw new Error(`${method}: groupSize ${g} does not divide the ${n} weights of shape [${shape}]`);
  return { method, groupSize: g, doubleQuant: method === 'nf4' && doubleQuant !== false };
}
