/**
 * A matrix product for software WebGPU adapters (lavapipe), where tfjs's own runs slowly.
 *
 * A software adapter runs the threads of a workgroup in turn on a CPU core, 8 at a time in SIMD
 * registers. Arithmetic is cheap there; what costs is every load from a buffer (each of the 8
 * threads' addresses is checked and fetched on its own, about 1 ns each here) and every barrier
 * (a switch between the threads). tfjs's products share tiles through workgroup memory, which
 * means barriers, and load one number at a time: [2048,128] x [128,512] took 70 ms, ~3.8
 * GFLOP/s. Here each thread computes a block of 4 rows x 8 columns of C on its own, from vec4
 * loads (4 numbers per load): 12 loads per 128 multiply-adds, no workgroup memory, no barrier.
 *
 * C = op(A) op(B), op = transpose or not. The loop over K takes 4 at a time, and a vec4 runs
 * along a row in memory, so K and each operand's row length must be multiples of 4 (M too when
 * A is transposed, N when B is not). Other shapes, batched products and products with both
 * operands transposed go to tfjs's kernel (webgpuMatMul returns null).
 */
import * as tf from '@tensorflow/tfjs';
import { int, WORKGROUP, type Program, type WebgpuBackend } from './webgpuPrograms';

type TensorInfo = tf.TensorInfo;

/** Rows and columns of C one thread computes (ROWS = 4: a transposed A gives 4 rows per vec4). */
const ROWS = 4;
const COLS = 8;
const range = (n: number) => [...Array(n).keys()];

/**
 * The WGSL of one thread: a (ROWS x COLS) block of C at (r0, c0), as ROWS x COLS/4 vec4
 * accumulators acc_i_j (row r0 + i, columns c0 + 4j .. c0 + 4j + 3), over K in steps of 4.
 */
function blockCode(transposeA: boolean, transposeB: boolean): string {
  const loads: string[] = [];
  // a(i, kk): A[r0 + i, 4 k4 + kk]
  let a: (i: number, kk: number) => string;
  if (!transposeA) {
    // a_i = A[r0 + i, 4k4 .. 4k4+3] (rows past M read row M-1; their results are not written)
    loads.push(...range(ROWS).map(i => `let a${i} = A[min(r0 + ${i}, M - 1) * K4 + k4];`));
    a = (i, kk) => `a${i}[${kk}]`;
  } else {
    // A is (K, M): at_kk = A[4k4 + kk, r0 .. r0+3] (M % 4 == 0, so r0 .. r0+3 are rows of C)
    loads.push(...range(4).map(kk => `let at${kk} = A[(4 * k4 + ${kk}) * M4 + r0 / 4];`));
    a = (i, kk) => `at${kk}[${i}]`;
  }
  const fmas: string[] = [];
  if (!transposeB) {
    // b_kk_j = B[4k4 + kk, c0 + 4j .. c0 + 4j + 3] (N % 4 == 0; past N: clamped, not written)
    loads.push(...range(4).flatMap(kk => range(COLS / 4).map(j => `let b${kk}_${j} = B[(4 * k4 + ${kk}) * N4 + min(c0 / 4 + ${j}, N4 - 1)];`)));
    for (const i of range(ROWS)) for (const j of range(COLS / 4)) for (const kk of range(4)) {
      fmas.push(`acc${i}_${j} = fma(vec4<f32>(${a(i, kk)}), b${kk}_${j}, acc${i}_${j});`);
    }
  } else {
    // B is (N, K): bt_c = B[c0 + c, 4k4 .. 4k4+3]; C[r, c] += dot(A[r, 4k4 ..], bt_c)
    loads.push(...range(COLS).map(c => `let bt${c} = B[min(c0 + ${c}, N - 1) * K4 + k4];`));
    for (const i of range(ROWS)) for (const j of range(COLS / 4)) {
      const row = `vec4<f32>(${a(i, 0)}, ${a(i, 1)}, ${a(i, 2)}, ${a(i, 3)})`;
      fmas.push(`acc${i}_${j} += vec4<f32>(${range(4).map(c => `dot(${row}, bt${4 * j + c})`).join(', ')});`);
    }
  }
  const stores = range(ROWS).flatMap(i => range(COLS).map(c =>
    `if (r0 + ${i} < M && c0 + ${c} < N) { result[(r0 + ${i}) * N + c0 + ${c}] = acc${i}_${c >> 2}[${c & 3}]; }`));
  return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let M = uniforms.M; let N = uniforms.N; let K4 = uniforms.K / 4; let M4 = M / 4; let N4 = N / 4;
        let blocksPerRow = (N + ${COLS - 1}) / ${COLS};
        let r0 = (index / blocksPerRow) * ${ROWS};
        let c0 = (index % blocksPerRow) * ${COLS};
        ${range(ROWS).flatMap(i => range(COLS / 4).map(j => `var acc${i}_${j} = vec4<f32>(0.0);`)).join(' ')}
        for (var k4 = 0; k4 < K4; k4++) {
          ${loads.join('\n          ')}
          ${fmas.join('\n          ')}
        }
        ${stores.join('\n        ')}
      }`;
}

/** C = op(A) op(B) on a software adapter, or null where tfjs's kernel should run (see above). */
export function webgpuMatMul(backend: WebgpuBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | null {
  if (a.shape.length < 2 || b.shape.length < 2 || (transposeA && transposeB)) return null;
  const batch = (t: TensorInfo) => tf.util.sizeFromShape(t.shape.slice(0, -2));
  if (batch(a) !== 1 || batch(b) !== 1) return null;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const [M, K] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const N = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== K) return null; // tfjs's kernel names the mismatch
  if (K % 4 !== 0 || aCols % 4 !== 0 || bCols % 4 !== 0 || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const threads = Math.ceil(M / ROWS) * Math.ceil(N / COLS);
  const groups = Math.ceil(threads / WORKGROUP);
  if (groups > 65535) return null;
  const program: Program = {
    variableNames: ['A', 'B'],
    variableComponents: [4, 4], // both read as vec4 (the output is read as numbers)
    outputShape: [...(a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2), M, N], // batch dims of 1
    shaderKey: `llmlab_matmul_${transposeA}_${transposeB}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [groups, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'threads : i32, M : i32, K : i32, N : i32,',
    getUserCode: () => blockCode(transposeA, transposeB)
  };
  return backend.runWebGPUProgram(program, [a, b], 'float32', int(threads, M, K, N));
}
