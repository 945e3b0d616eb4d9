/**
 * The dequantizing matrix product of quantMatMul.ts in WGSL. Each thread computes ROWS rows of one
 * output column (forward: y[m..m+3, n]; transposed: dx[m..m+3, k]) and decodes each weight it
 * needs once, from the packed code word, the codebook and the group's scale, for all ROWS rows:
 * the float32 weight is never written to memory.
 *
 *   code of stored number i:  8 bits: byte i of the packed words;  4 bits: byte i / 2, high nibble
 *                             first.  word = codes[i / 4] (8 bits) or codes[i / 8] (4 bits)
 *   W[k, n] = (table[code] - zeros[g]) * scales[g],  i = n K + k,  g = i / groupSize
 */
import * as tf from '@tensorflow/tfjs';
import { int, WORKGROUP, type Program, type WebgpuBackend } from './webgpuPrograms';

type TensorInfo = tf.TensorInfo;
type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, number> };

/** Output rows per thread: each decoded weight serves this many rows of x. */
const ROWS = 4;
const range = (n: number) => [...Array(n).keys()];

/** WGSL: w(i), the decoded weight at stored index i. */
function decodeCode(bits: number, zeros: boolean): string {
  const code = bits === 8
    ? 'let code = (bitcast<u32>(codes[i >> 2u]) >> (8u * (i & 3u))) & 255u;'
    : 'let code = (bitcast<u32>(codes[i >> 3u]) >> (8u * ((i >> 1u) & 3u) + 4u * (1u - (i & 1u)))) & 15u;';
  return `
      fn weight(i : u32) -> f32 {
        ${code}
        let g = i32(i / u32(uniforms.G));
        return (table[code]${zeros ? ' - zeros[g]' : ''}) * scales[g];
      }`;
}

/**
 * forward:    thread (r0, n): out[r0 + j, n] = sum_k x[r0 + j, k] w(n K + k)
 * transposed: thread (r0, k): out[r0 + j, k] = sum_n dy[r0 + j, n] w(n K + k)
 */
function quantProgram(transposed: boolean, M: number, K: number, N: number, bits: number, zeros: boolean): { program: Program; threads: number } {
  const cols = transposed ? K : N; // output columns
  const threads = Math.ceil(M / ROWS) * cols;
  const groups = Math.ceil(threads / WORKGROUP);
  const xName = transposed ? 'dy' : 'x';
  const index = transposed ? 'u32(t) * u32(K) + u32(c)' : 'u32(c) * u32(K) + u32(t)'; // stored index of the weight (t: the summed index)
  const program: Program = {
    variableNames: [xName, 'codes', 'table', 'scales', ...(zeros ? ['zeros'] : [])],
    outputShape: [M, cols],
    shaderKey: `llmlab_quantmatmul_${transposed ? 't' : 'f'}_${bits}_${zeros ? 'z' : 's'}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: groups > 65535 ? [65535, Math.ceil(groups / 65535), 1] : [groups, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'threads : i32, M : i32, K : i32, N : i32, G : i32,',
    getUserCode: () => `
      ${decodeCode(bits, zeros)}
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let M = uniforms.M; let K = uniforms.K; let N = uniforms.N;
        let cols = ${transposed ? 'K' : 'N'}; let inner = ${transposed ? 'N' : 'K'};
        let c = index % cols;
        let r0 = (index / cols) * ${ROWS};
        ${range(ROWS).map(j => `var acc${j} = 0.0; let row${j} = min(r0 + ${j}, M - 1) * inner;`).join('\n        ')}
        for (var t = 0; t < inner; t++) {
          let w = weight(${index});
          ${range(ROWS).map(j => `acc${j} = fma(${xName}[row${j} + t], w, acc${j});`).join('\n          ')}
        }
        ${range(ROWS).map(j => `if (r0 + ${j} < M) { result[(r0 + ${j}) * cols + c] = acc${j}; }`).join('\n        ')}
      }`
  };
  return { program, threads };
}

const kernel = (transposed: boolean) => ({ inputs, backend, attrs: { K, N, bits, groupSize, zeroPoints } }: Args): TensorInfo => {
  const x = inputs[transposed ? 'dy' : 'x'];
  if (x.dtype !== 'float32' || x.shape.length !== 2) throw new Error(`quantMatMul: ${transposed ? 'dy' : 'x'} must be a float32 matrix, got ${x.dtype} [${x.shape}]`);
  const M = x.shape[0];
  const zeros = zeroPoints === 1;
  const { program, threads } = quantProgram(transposed, M, K, N, bits, zeros);
  const ins = [x, inputs.codes, inputs.table, inputs.scales, ...(zeros ? [inputs.zeros] : [])];
  return (backend as WebgpuBackend).runWebGPUProgram(program, ins, 'float32', int(threads, M, K, N, groupSize));
};

export const WEBGPU_QUANT_KERNELS: [string, (args: Args) => TensorInfo][] = [
  ['LlmLabQuantMatMul', kernel(false)],
  ['LlmLabQuantMatMulT', kernel(true)]
];
