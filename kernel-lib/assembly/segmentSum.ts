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
    const src = x + <usize>r * bytes;
    const dst = out + <usize>id * bytes;
    let d = 0;
    for (; d + 4 <= D; d += 4) {
      const o = <usize>d << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; d < D; d++) {
      const o = <usize>d << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}
