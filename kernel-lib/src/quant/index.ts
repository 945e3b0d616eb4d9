/**
 * Quantization: weights stored as 8- or 4-bit codes (int8 per tensor, per channel or with a
 * zero-point; int4 in groups; QLoRA's NF4 with double quantization), a Linear that holds them,
 * quantizing a model through its module tree, and saving and loading it.
 */
export { QUANT_METHODS, DEFAULT_GROUP_SIZE, checkQuantConfig } from './config';
export type { QuantConfig, QuantMethod } from './config';
export { quantize, dequantize, dequantizeTensor, quantizedTensor, codebook, codeAt, decodeAt, packNibbles, bitsOf } from './formats';
export type { QuantizedTensor } from './formats';
export { NF4, nearestNF4 } from './nf4';
export { DOUBLE_QUANT_BLOCK, doubleQuantize, dequantizeScales } from './doubleQuant';
export type { DoubleQuant } from './doubleQuant';
export { QuantizedLinear } from './quantizedLinear';
export { quantizeModel, quantizationError, modelBytes, DEFAULT_TARGET_MODULES } from './quantizeModel';
export type { QuantizeModelConfig, QuantizedLayerReport } from './quantizeModel';
export { saveQuantized, loadQuantized } from './save';
export type { QuantizationConfigJson } from './save';
