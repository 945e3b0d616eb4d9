// Row operations: gather rows (embedding lookup), scatter-add rows (its gradient), sum rows.
import { addRow } from './math';

// UnsortedSegmentSum, the gradient of a gather (an embedding lookup): row r of x is added into
// row ids[r] of the output. tfjs's wasm backend has no kernel for it, so without this one the
// wasm backend could not train an embedding.
//   x (N, D) float32, ids (N,) int32, out (numSegments, D); ids outside [0, numSegments) are skipped.
export function unsortedSegmentSum(x: usize, ids: usize, out: usize, N: i32, D: i32, numSegments: i32): void {
  const bytes = <usize>D << 2;
  memory.fill(out, 0, <usize>numSegments * bytes);
  for (let r = 0; r < N; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < 0 || id >= numSegments) continue;
    const dst = out + <usize>id * bytes;
    addRow(dst, dst, x + <usize>r * bytes, D);
  }
}

// The embedding lookup itself (a gather of rows): out[r] = table[ids[r]] for r < N.
// Returns -1, or the position of the first id outside [0, rows) (nothing is read for it).
export function gatherRows(table: usize, ids: usize, out: usize, N: i32, D: i32, rows: i32): i32 {
  const bytes = <usize>D << 2;
  for (let r = 0; r < N; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < 0 || id >= rows) return r;
    memory.copy(out + <usize>r * bytes, table + <usize>id * bytes, bytes);
  }
  return -1;
}

// Sum over the leading axis of x (N, C) -> (C,): a bias's gradient, summed over every token.
// (tfjs's wasm Sum reduces only innermost axes, so it would first transpose x: a full copy.)
export function sumRows(x: usize, out: usize, N: i32, C: i32): void {
  const bytes = <usize>C << 2;
  memory.fill(out, 0, bytes);
  for (let r = 0; r < N; r++) addRow(out, out, x + <usize>r * bytes, C);
}
