/**
 * How the WGSL programs of fusedWebgpu.ts are shaped and run: one thread per output value
 * (program), one workgroup per column (columnSum) or per row (rowProgram), on tfjs-backend-webgpu.
 * On a software adapter, columns and rows get one thread each (see onSoftwareAdapter).
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

export interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  /** Numbers per element of each input (1: f32, 4: vec4<f32>) and of the output; 1 by default. */
  variableComponents?: number[];
  outputComponent?: number;
  getUserCode(): string;
}

export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

export interface WebgpuBackend {
  runWebGPUProgram(program: Program, inputs: TensorInfo[], dtype: 'float32', uniforms?: Uniform[]): TensorInfo;
}

export const WORKGROUP = 64;
// One uniform entry per value: tfjs lays an entry of several values out as a vector, with the
// alignment of a vector, which would not match a struct of scalar fields.
export const int = (...values: number[]): Uniform[] => values.map(v => ({ type: 'int32', data: [v] }));
export const float = (...values: number[]): Uniform[] => values.map(v => ({ type: 'float32', data: [v] }));

/**
 * A program with `threads` threads (one per output value, or one per row), each running `body`
 * with its flat thread number `index`. `uniforms` declares extra WGSL uniform fields.
 */
export function program(name: string, variableNames: string[], outputShape: number[], threads: number, uniforms: string, body: string, prelude = ''): Program {
  // at most 65,535 workgroups along x: beyond that, rows of them (tfjs's global index counts on)
  const groups = Math.ceil(threads / WORKGROUP);
  return {
    variableNames,
    outputShape,
    shaderKey: `llmlab_${name}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: groups > 65535 ? [65535, Math.ceil(groups / 65535), 1] : [groups, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `threads : i32, ${uniforms}`,
    getUserCode: () => `
      ${prelude}
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        ${body}
      }`
  };
}

/**
 * Whether the programs take the shapes for a software adapter (lavapipe: Vulkan on the CPU). It
 * runs a workgroup's threads in turn on one CPU core, 8 at a time in SIMD registers, and switches
 * between them at every barrier. So there rowProgram and columnSum give each row or column one
 * thread and no barriers (their workgroup reductions made the attention kernels ~5x slower), and
 * matrix products take webgpuMatMul.ts. Set from the adapter when the backend starts
 * (backend.ts); the conformance tests run both shapes.
 */
let software = false;
let forced: boolean | null = null;
export function setSoftwareAdapter(on: boolean): void {
  software = on;
}
/** For the tests: the software adapter's shapes (true) or a GPU's (false) on any adapter; null undoes. */
export function forceSoftwareShapes(on: boolean | null): void {
  forced = on;
}
export const onSoftwareAdapter = () => forced ?? software;
/** How many threads share a row in rowProgram. */
const rowLanes = () => (onSoftwareAdapter() ? 1 : WORKGROUP);

/**
 * Sums down the columns of an (N, C) layout: out[c] = sum over rows r of `term` (a WGSL expression
 * of r and c). One workgroup per column: its threads take every WORKGROUP-th row, then add their
 * partial sums pairwise in workgroup memory. (One thread per column, looping down all N rows, left
 * most of a GPU idle: a LayerNorm's gain gradient took ~0.9 ms on an H200, this takes a few us.)
 * On a software adapter, one thread per column after all: no barriers.
 */
export function columnSum(name: string, variableNames: string[], C: number, term: string, outputShape = [C]): Program {
  const alone = onSoftwareAdapter();
  return {
    variableNames,
    outputShape,
    shaderKey: `llmlab_${name}${alone ? '_alone' : ''}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [alone ? Math.ceil(C / WORKGROUP) : C, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'C : i32, N : i32, which : i32,',
    getUserCode: () => alone
      ? `
      fn main(index : i32) {
        let c = index;
        let C = uniforms.C;
        if (c >= C) { return; }
        var s = 0.0;
        for (var r = 0; r < uniforms.N; r++) { s += ${term}; }
        result[c] = s;
      }`
      : `
      var<workgroup> partial : array<f32, ${WORKGROUP}>;
      fn main(index : i32) {
        let c = i32(workgroupId.x);
        let lane = i32(localIndex);
        let C = uniforms.C;
        var s = 0.0;
        for (var r = lane; r < uniforms.N; r += ${WORKGROUP}) { s += ${term}; }
        partial[lane] = s;
        workgroupBarrier();
        for (var half = ${WORKGROUP / 2}; half > 0; half /= 2) {
          if (lane < half) { partial[lane] += partial[lane + half]; }
          workgroupBarrier();
        }
        if (lane == 0) { result[c] = partial[0]; }
      }`
  };
}

/**
 * One workgroup per row (of attention scores, of logits): its WORKGROUP threads share the row's
 * columns and combine their partial maxima and sums with rowMax / rowSum. One thread per row
 * left a GPU mostly idle: a small GPT's 8,192 attention rows are 128 workgroups of 64 threads
 * for an H200's 132 multiprocessors, each thread walking 128 keys alone. `body` sees `row`,
 * `lane` (0 .. LANES-1, a thread's first column; it strides by LANES) and `valid` (false in the
 * spare workgroups of the last grid row), and must reach rowMax / rowSum in every thread of the
 * workgroup (so: no early return). On a software adapter the same body runs one thread per row:
 * lane is 0, and rowMax / rowSum return their argument, with no barrier.
 */
export function rowProgram(name: string, variableNames: string[], outputShape: number[], rows: number, uniforms: string, body: string, prelude = ''): Program {
  const lanes = rowLanes();
  const x = Math.min(lanes === 1 ? Math.ceil(rows / WORKGROUP) : rows, 65535);
  const reduce = lanes === 1
    ? `
      fn rowMax(value : f32, lane : i32) -> f32 { return value; }
      fn rowSum(value : f32, lane : i32) -> f32 { return value; }`
    : `
      var<workgroup> shared_ : array<f32, ${WORKGROUP}>;
      fn rowReduce(value : f32, lane : i32, isMax : bool) -> f32 {
        shared_[lane] = value;
        workgroupBarrier();
        for (var half = ${WORKGROUP / 2}; half > 0; half /= 2) {
          if (lane < half) {
            let other = shared_[lane + half];
            shared_[lane] = select(shared_[lane] + other, max(shared_[lane], other), isMax);
          }
          workgroupBarrier();
        }
        let result = shared_[0];
        workgroupBarrier(); // everyone has read it before the next reduction writes
        return result;
      }
      fn rowMax(value : f32, lane : i32) -> f32 { return rowReduce(value, lane, true); }
      fn rowSum(value : f32, lane : i32) -> f32 { return rowReduce(value, lane, false); }`;
  const place = lanes === 1
    ? `let row = (i32(workgroupId.y) * ${x} + i32(workgroupId.x)) * ${WORKGROUP} + i32(localIndex);
        let lane = 0;`
    : `let row = i32(workgroupId.y) * ${x} + i32(workgroupId.x);
        let lane = i32(localIndex);`;
  return {
    variableNames,
    outputShape,
    shaderKey: `llmlab_${name}_lanes${lanes}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [x, Math.ceil(Math.ceil(rows / (lanes === 1 ? WORKGROUP : 1)) / x), 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `rows : i32, ${uniforms}`,
    getUserCode: () => `
      ${prelude}
      const LANES : i32 = ${lanes};${reduce}
      fn main(index : i32) {
        ${place}
        let valid = row < uniforms.rows;
        ${body}
      }`
  };
}

export function runRows(backend: WebgpuBackend, p: Program, inputs: TensorInfo[], rows: number, uniforms: Uniform[][] = []): TensorInfo {
  return backend.runWebGPUProgram(p, inputs, 'float32', [...int(rows), ...uniforms.flat()]);
}

export function dispose(backend: WebgpuBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
}

export function run(backend: WebgpuBackend, p: Program, inputs: TensorInfo[], threads: number, uniforms: Uniform[][] = []): TensorInfo {
  return backend.runWebGPUProgram(p, inputs, 'float32', [...int(threads), ...uniforms.flat()]);
}
