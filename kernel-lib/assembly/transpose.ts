// Swapping the last two axes of a float32 tensor: x (batch, R, C) -> out (batch, C, R).
//
// The wasm matrix product (device/wasmMatMul.ts) transposes an operand before each product of
// backpropagation, and tfjs's generic wasm Transpose walks the output one element at a time through
// an index computation (about 7 ns per element here). This one moves 4 x 4 blocks: four rows of four
// floats are loaded as four vectors, rearranged by shuffles into four columns, and stored as four
// output rows. The blocks go tile by tile (TILE x TILE floats), so that the rows of a tile that are
// read and the rows that are written both stay in the cache.
//
// The work is cut into bands of TILE rows, batch * ceil(R / TILE) of them; a call does bands
// [start, end) (several threads can share one transpose).

const TILE = 32; // (device/fusedWasm.ts counts the bands with the same number)

export function transposeLastTwo(x: usize, out: usize, batch: i32, R: i32, C: i32, start: i32, end: i32): void {
  const plane = <usize>R * <usize>C << 2; // bytes per matrix
  const bands = (R + TILE - 1) / TILE;
  for (let band = start; band < end; band++) {
    const b = band / bands;
    const src = x + <usize>b * plane;
    const dst = out + <usize>b * plane;
    const r0 = (band % bands) * TILE;
    const r1 = min(r0 + TILE, R);
    for (let c0 = 0; c0 < C; c0 += TILE) {
      const c1 = min(c0 + TILE, C);
      transposeTile(src, dst, R, C, r0, r1, c0, c1);
    }
  }
}

// out[c, r] = x[r, c] for r in [r0, r1), c in [c0, c1)
// @ts-ignore: decorator
@inline function transposeTile(x: usize, out: usize, R: i32, C: i32, r0: i32, r1: i32, c0: i32, c1: i32): void {
  const inRow = <usize>C << 2;
  const outRow = <usize>R << 2;
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const a = x + <usize>r * inRow + (<usize>c << 2);
      const row0 = v128.load(a);
      const row1 = v128.load(a + inRow);
      const row2 = v128.load(a + 2 * inRow);
      const row3 = v128.load(a + 3 * inRow);
      // [r0c0 r1c0 r0c1 r1c1], [r2c0 r3c0 r2c1 r3c1], [r0c2 r1c2 r0c3 r1c3], [r2c2 r3c2 r2c3 r3c3]
      const t0 = v128.shuffle<f32>(row0, row1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(row2, row3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(row0, row1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(row2, row3, 2, 6, 3, 7);
      const o = out + <usize>c * outRow + (<usize>r << 2);
      v128.store(o, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(o + outRow, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(o + 2 * outRow, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(o + 3 * outRow, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; c < c1; c++) {
      for (let k = r; k < r + 4; k++) store<f32>(out + <usize>c * outRow + (<usize>k << 2), load<f32>(x + <usize>k * inRow + (<usize>c << 2)));
    }
  }
  for (; r < r1; r++) {
    for (let c = c0; c < c1; c++) store<f32>(out + <usize>c * outRow + (<usize>r << 2), load<f32>(x + <usize>r * inRow + (<usize>c << 2)));
  }
}
