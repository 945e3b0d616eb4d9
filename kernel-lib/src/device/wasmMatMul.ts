/**
 * A faster matrix multiply for the wasm backend.
 *
 * tfjs-backend-wasm 4.22 multiplies transposed operands far more slowly than plain ones
 * (measured here, [1024,64] x [64,256]: 2.1 ms plain, 18.6 ms with transposeB, 22.4 ms with
 * transposeA). Backpropagation through a matmul is two transposed matmuls, so training spent
 * most of its time there. Transposing explicitly first (a cheap copy, fusedWasm.ts's Transpose)
 * and then taking the plain path gives the same numbers several times faster.
 *
 * The plain path has a cost of its own: XNNPACK, which does it, first repacks the second operand
 * into its own layout (about 7 ns per number here, where a transpose takes about 1 ns). tfjs keeps
 * that packed copy only as long as the tensor lives, which is one product for everything but
 * weights. So the order matters: C = op(A) op(B) can also be computed as the transpose of
 * op(B)^T op(A)^T, which packs A instead of B and transposes the other operands and the result.
 * For a weight's gradient dW = X^T dY with X (2048, 128) and dY (2048, 512), that packs 262k
 * numbers instead of 1M. Each product takes the order that moves the fewest numbers, weighted so.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];
type TensorInfo = tf.TensorInfo;

/** What XNNPACK's repacking of a number costs, against a transpose moving one (measured here). */
const PACK = 7;

let installed = false;

export function installWasmMatMul(): void {
  if (installed) return;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original || !tf.getKernel('Transpose', 'wasm')) return; // the wasm backend is not loaded
  installed = true;

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args: KernelArgs) => {
      const { inputs, backend, attrs } = args;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const a = inputs.a as TensorInfo;
      const b = inputs.b as TensorInfo;
      const dispose = (backend as unknown as { disposeData(id: object): void }).disposeData.bind(backend);
      // (looked up per call: fusedWasm.ts installs a faster Transpose after this kernel)
      const transpose = tf.getKernel('Transpose', 'wasm')!;
      /** x with its last two axes swapped, on the wasm backend. */
      const swap = (x: TensorInfo): TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
        return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
      };
      const plain = (x: TensorInfo, y: TensorInfo): TensorInfo =>
        original.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;

      // the cost each way, in transposed numbers (1 each) and packed numbers (PACK each):
      // op(A) op(B) directly, or (op(B)^T op(A)^T)^T
      const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);
      const [M, N] = [a.shape[a.shape.length - (transposeA ? 1 : 2)], b.shape[b.shape.length - (transposeB ? 2 : 1)]];
      const batch = Math.max(size(a) / (a.shape.at(-1)! * a.shape.at(-2)!), size(b) / (b.shape.at(-1)! * b.shape.at(-2)!));
      const direct = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0) + PACK * size(b);
      const swapped = (transposeA ? 0 : size(a)) + (transposeB ? 0 : size(b)) + batch * M * N + PACK * size(a);

      const temporaries: TensorInfo[] = [];
      const take = (t: TensorInfo) => (temporaries.push(t), t);
      try {
        if (direct <= swapped) return plain(transposeA ? take(swap(a)) : a, transposeB ? take(swap(b)) : b);
        const outT = take(plain(transposeB ? b : take(swap(b)), transposeA ? a : take(swap(a))));
        return swap(outT);
      } finally {
        for (const t of temporaries) dispose(t.dataId);
      }
    }
  });
}
