// The fused kernels of LLM Lab's wasm backend: compiled by AssemblyScript into one small module
// that imports the memory of TensorFlow.js's own wasm backend, so the kernels read and write
// tensors where they already are. kernel-lib/src/device/fused.ts registers them with tfjs.
export { attentionForward, attentionBackward } from './attention';
export { geluForward, geluBackward, adamw, sumOfSquares, addRepeated } from './elementwise';
export { layerNormForward, layerNormBackward } from './layerNorm';
export { unsortedSegmentSum, gatherRows, sumRows } from './rows';
export { crossEntropyForward, crossEntropyBackward, countTargets } from './crossEntropy';
export { transposeLastTwo } from './transpose';
export { matMulRows, matMulRowsT } from './matmul';
export { softmaxRows } from './softmax';
