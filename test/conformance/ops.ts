/**
 * Every operation the models use, forward and backward, as cases that can run on any backend.
 * The conformance suites run them on cpu (the reference) and on the backend under test
 * (wasm with the fused kernels, webgpu) and compare: the forward value, and the gradient of
 * sum(f(x) * dy) with respect to every float input, for a fixed random dy.
 */
import * as tf from '@tensorflow/tfjs';
import { causalMask, CausalSelfAttention, paddingMask, scaledDotProductAttention } from '../../kernel-lib/src/nn/attention';
import { Block } from '../../kernel-lib/src/nn/block';
import { CrossAttention } from '../../kernel-lib/src/nn/crossAttention';
import { embeddingLookup } from '../../kernel-lib/src/nn/embedding';
import { layerNorm } from '../../kernel-lib/src/nn/layerNorm';
import { crossEntropy } from '../../kernel-lib/src/nn/loss';
import { gelu, SwiGLU } from '../../kernel-lib/src/nn/mlp';
import { Init } from '../../kernel-lib/src/nn/init';
import { Module } from '../../kernel-lib/src/nn/module';
import { rope } from '../../kernel-lib/src/nn/positions';
import { rmsNorm } from '../../kernel-lib/src/nn/rmsNorm';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { AdamW } from '../../kernel-lib/src/train/adamw';
import { seededRandom } from '../../kernel-lib/src/random';

export interface Input {
  shape: number[];
  /** int32 inputs hold ids in [0, max); they get no gradient. */
  ids?: number;
}

export interface OpCase {
  name: string;
  inputs: Input[];
  /** A plain function of the inputs... */
  f?: (...xs: tf.Tensor[]) => tf.Tensor;
  /** ...or a model (a layer or a whole model), built once per run, whose parameters get gradients too. */
  model?: () => { module: Module; f: (...xs: tf.Tensor[]) => tf.Tensor };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The targets with -1 (no target) on the rows `drop` picks. */
function withoutTargets(targets: tf.Tensor, drop: (row: number) => boolean): tf.Tensor1D {
  return tf.tidy(() => {
    const dropped = tf.tensor1d(Array.from({ length: targets.size }, (_, r) => (drop(r) ? 1 : 0)), 'bool');
    return tf.where(dropped, tf.fill(targets.shape, -1, 'int32'), targets) as tf.Tensor1D;
  });
}

/**
 * Multi-head self-attention on x of `shape` (B, T, C); x is scaled up so the softmax is peaked.
 * Causal unless `causal: false` (an encoder); `lengths` pads sequence b after lengths[b] tokens
 * (paddingMask).
 */
function selfAttention(name: string, shape: number[], nHead: number, options: { causal?: boolean; lengths?: number[] } = {}): OpCase {
  return {
    name,
    inputs: [{ shape }],
    model: () => {
      const m = new CausalSelfAttention(new Init(5), shape[2], nHead, 0.02, { causal: options.causal ?? true });
      const mask = options.lengths && (() => paddingMask(options.lengths!, shape[1]));
      return { module: m, f: x => tf.tidy(() => m.forward(x.mul(20), mask?.()).output) };
    }
  };
}

export const CASES: OpCase[] = [
  { name: 'matMul', inputs: [{ shape: [6, 5] }, { shape: [5, 7] }], f: (a, b) => tf.matMul(a, b) },
  { name: 'matMul, b transposed', inputs: [{ shape: [6, 5] }, { shape: [7, 5] }], f: (a, b) => tf.matMul(a, b, false, true) },
  { name: 'matMul, a transposed', inputs: [{ shape: [5, 6] }, { shape: [5, 7] }], f: (a, b) => tf.matMul(a, b, true, false) },
  // sizes for the software adapter's product (blocks of 4 rows x 8 columns): part blocks at the
  // edges, transposed operands, 13 columns read from a transposed B
  { name: 'matMul, sizes multiples of 4 but not of the block', inputs: [{ shape: [10, 12] }, { shape: [12, 20] }], f: (a, b) => tf.matMul(a, b) },
  { name: 'matMul, a transposed, sizes multiples of 4', inputs: [{ shape: [16, 12] }, { shape: [16, 20] }], f: (a, b) => tf.matMul(a, b, true, false) },
  { name: 'matMul, b transposed, 13 outputs', inputs: [{ shape: [9, 12] }, { shape: [13, 12] }], f: (a, b) => tf.matMul(a, b, false, true) },
  { name: 'matMul, batch dimensions of 1', inputs: [{ shape: [1, 8, 12] }, { shape: [1, 12, 8] }], f: (a, b) => tf.matMul(a, b) },
  { name: 'batched matMul, both transposed', inputs: [{ shape: [3, 5, 4] }, { shape: [3, 6, 5] }], f: (a, b) => tf.matMul(a, b, true, true) },
  { name: 'batched matMul (B, nh, T, hs)', inputs: [{ shape: [2, 3, 5, 4] }, { shape: [2, 3, 4, 5] }], f: (a, b) => tf.matMul(a, b) },
  { name: 'add with a broadcast bias', inputs: [{ shape: [4, 6] }, { shape: [6] }], f: (a, b) => a.add(b) },
  { name: 'mul, sub, div', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], f: (a, b) => a.mul(b).sub(a).div(b.square().add(1)) },
  { name: 'reshape + transpose (split heads)', inputs: [{ shape: [2, 5, 8] }], f: x => x.reshape([2, 5, 2, 4]).transpose([0, 2, 1, 3]) },
  { name: 'split + concat', inputs: [{ shape: [2, 3, 12] }], f: x => tf.concat(tf.split(x, 3, -1).reverse(), -1) },
  { name: 'softmax', inputs: [{ shape: [3, 7] }], f: x => tf.softmax(x.mul(3)) },
  { name: 'logSoftmax', inputs: [{ shape: [3, 7] }], f: x => tf.logSoftmax(x.mul(3)) },
  { name: 'sum, mean, sqrt, rsqrt', inputs: [{ shape: [4, 5] }], f: x => x.square().add(1).sqrt().sum(-1).add(x.square().add(1).rsqrt().mean(-1)) },
  { name: 'tanh, exp, log', inputs: [{ shape: [9] }], f: x => x.tanh().add(x.exp()).add(x.square().add(1).log()) },
  { name: 'maximum, minimum (clipping)', inputs: [{ shape: [8] }], f: x => tf.minimum(tf.maximum(x, -0.3), 0.4) },
  { name: 'gelu', inputs: [{ shape: [3, 17] }], f: x => gelu(x.mul(3)) },
  { name: 'layerNorm', inputs: [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }], f: (x, g, b) => layerNorm(x.mul(2), g.add(1), b) },
  // 150 rows: the gain, bias and bias-add gradients sum more rows than a workgroup has threads
  { name: 'layerNorm over 150 rows', inputs: [{ shape: [3, 50, 8] }, { shape: [8] }, { shape: [8] }], f: (x, g, b) => layerNorm(x, g.add(1), b) },
  { name: 'add a broadcast bias to 150 rows', inputs: [{ shape: [150, 6] }, { shape: [6] }], f: (a, b) => a.add(b) },
  { name: 'layerNorm, width not a multiple of 4', inputs: [{ shape: [5, 6] }, { shape: [6] }, { shape: [6] }], f: (x, g, b) => layerNorm(x, g.add(1), b) },
  { name: 'RMSNorm', inputs: [{ shape: [2, 3, 8] }, { shape: [8] }], f: (x, g) => rmsNorm(x.mul(2), g.add(1)) },
  { name: 'RoPE (rotary positions), after 3 earlier tokens', inputs: [{ shape: [2, 2, 5, 8] }], f: x => rope(x, { offset: 3 }) },
  {
    name: 'SwiGLU feed-forward',
    inputs: [{ shape: [2, 3, 8] }],
    model: () => {
      const m = new SwiGLU(new Init(7), 8, 12, 0.02);
      return { module: m, f: x => m.forward(x.mul(10)) };
    }
  },
  { name: 'embedding lookup (gather)', inputs: [{ shape: [7, 4] }, { shape: [9], ids: 7 }], f: (t, ids) => embeddingLookup(t as tf.Tensor2D, ids as tf.Tensor1D) },
  {
    name: 'cross-entropy, every row with a target',
    inputs: [{ shape: [6, 5] }, { shape: [6], ids: 5 }],
    f: (logits, targets) => crossEntropy(logits.mul(3) as tf.Tensor2D, targets as tf.Tensor1D)
  },
  {
    name: 'cross-entropy, 150 classes (more than a workgroup has threads)',
    inputs: [{ shape: [20, 150] }, { shape: [20], ids: 150 }],
    f: (logits, targets) => crossEntropy(logits.mul(3) as tf.Tensor2D, targets as tf.Tensor1D)
  },
  {
    name: 'cross-entropy, targets -1 (no loss, no gradient) on rows 1, 2 and 5',
    inputs: [{ shape: [6, 5] }, { shape: [6], ids: 5 }],
    f: (logits, targets) => crossEntropy(logits.mul(3) as tf.Tensor2D, withoutTargets(targets, r => [1, 2, 5].includes(r)))
  },
  {
    name: 'cross-entropy, every target -1 (loss 0, zero gradient)',
    inputs: [{ shape: [4, 5] }, { shape: [4], ids: 5 }],
    f: (logits, targets) => crossEntropy(logits.mul(3) as tf.Tensor2D, withoutTargets(targets, () => true))
  },
  {
    // 300 x 256 logits: enough work for the wasm threads to share the gradient's rows
    name: 'cross-entropy, 300 rows of 256 classes, every third target -1',
    inputs: [{ shape: [300, 256] }, { shape: [300], ids: 256 }],
    f: (logits, targets) => crossEntropy(logits.mul(3) as tf.Tensor2D, withoutTargets(targets, r => r % 3 === 1))
  },
  {
    name: 'scaled dot-product attention with the causal mask',
    inputs: [{ shape: [2, 2, 6, 4] }, { shape: [2, 2, 6, 4] }, { shape: [2, 2, 6, 4] }],
    f: (q, k, v) => tf.tidy(() => scaledDotProductAttention(q.mul(2), k, v, causalMask(6)).output)
  },
  selfAttention('causal self-attention (B 2, T 7, C 8, 2 heads)', [2, 7, 8], 2),
  selfAttention('causal self-attention, head size 3 (not a multiple of 4)', [1, 5, 6], 2),
  selfAttention('causal self-attention, GPT-like size (B 2, T 33, C 32, 4 heads)', [2, 33, 32], 4),
  // more keys per row than a workgroup has threads (webgpu's row kernels)
  selfAttention('causal self-attention, T 80 (B 1, C 16, 2 heads)', [1, 80, 16], 2),
  // padded batches: sequence b has lengths[b] real tokens, its keys after them are hidden
  selfAttention('causal self-attention, second sequence padded (lengths 7 and 4 of T 7)', [2, 7, 8], 2, { lengths: [7, 4] }),
  selfAttention('causal self-attention, GPT-like size, padded (lengths 33 and 20)', [2, 33, 32], 4, { lengths: [33, 20] }),
  selfAttention('encoder self-attention (not causal)', [2, 7, 8], 2, { causal: false }),
  selfAttention('encoder self-attention (not causal), second sequence padded (lengths 7 and 4 of T 7)', [2, 7, 8], 2, { causal: false, lengths: [7, 4] }),
  selfAttention('encoder self-attention (not causal), T 80, padded (lengths 80 and 50)', [2, 80, 16], 2, { causal: false, lengths: [80, 50] }),
  {
    name: 'transformer block',
    inputs: [{ shape: [2, 6, 8] }],
    model: () => {
      const m = new Block(new Init(5), 8, 2, 0.02);
      return { module: m, f: x => m.forward(x).output };
    }
  },
  {
    name: 'cross-attention (decoder T 5 reads encoder S 7, second source padded to 4)',
    inputs: [{ shape: [2, 5, 8] }, { shape: [2, 7, 8] }],
    model: () => {
      const m = new CrossAttention(new Init(6), 8, 2, 0.02);
      return { module: m, f: (x, memory) => tf.tidy(() => m.forward(x.mul(10), memory, paddingMask([7, 4], 7)).output) };
    }
  },
  {
    name: 'Seq2Seq loss, padded source, targets -1 (padding) ignored',
    inputs: [{ shape: [2, 6], ids: 11 }, { shape: [2, 5], ids: 11 }, { shape: [2, 5], ids: 11 }],
    model: () => {
      const m = new Seq2Seq({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 2 });
      // tgtOut - 1: the ids drawn as 0 become -1, padding
      return { module: m, f: (src, tgtIn, tgtOut) => tf.tidy(() => m.loss(src, tgtIn, tgtOut.sub(1), paddingMask([6, 4], 6))) };
    }
  },
  {
    name: 'BERT (RoPE) masked-LM loss, second sequence padded to 4',
    inputs: [{ shape: [2, 6], ids: 11 }],
    model: () => {
      const m = new BERT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 2 });
      const labels = Int32Array.from([3, -1, 5, -1, -1, 7, -1, 2, -1, 9, -1, -1]);
      return { module: m, f: ids => tf.tidy(() => m.mlmLoss(ids, labels, paddingMask([6, 4], 6))) };
    }
  },
  {
    name: 'GPT loss',
    inputs: [{ shape: [2, 6], ids: 11 }, { shape: [2, 6], ids: 11 }],
    model: () => {
      const m = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 2 });
      return { module: m, f: (ids, targets) => m.loss(ids, targets) };
    }
  },
  {
    name: 'GPT loss on the answer only (targets -1 on the first 3 tokens of each sequence)',
    inputs: [{ shape: [2, 6], ids: 11 }, { shape: [2, 6], ids: 11 }],
    model: () => {
      const m = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 2 });
      const answerOnly = (targets: tf.Tensor) => withoutTargets(targets.reshape([-1]), r => r % 6 < 3).reshape([2, 6]);
      return { module: m, f: (ids, targets) => tf.tidy(() => m.loss(ids, answerOnly(targets))) };
    }
  }
];

export interface CaseResult {
  forward: Float32Array;
  grads: Float32Array[];
}

/** Run a case on the current backend with inputs and dy drawn from `seed`. */
export async function runCase(c: OpCase, seed = 1): Promise<CaseResult> {
  const random = seededRandom(seed);
  const model = c.model?.();
  const f = model ? model.f : c.f!;
  // float inputs become variables, so that one variableGrads call covers inputs and weights
  const inputs = c.inputs.map(i =>
    i.ids !== undefined
      ? tf.tensor(Int32Array.from({ length: size(i.shape) }, () => Math.floor(random() * i.ids!)), i.shape, 'int32')
      : tf.variable(tf.tensor(Float32Array.from({ length: size(i.shape) }, () => random() * 2 - 1), i.shape))
  );
  const wrt = [...inputs.filter(t => t instanceof tf.Variable), ...(model ? model.module.parameters() : [])] as tf.Variable[];
  const out = tf.tidy(() => f(...inputs));
  const dy = tf.tensor(Float32Array.from({ length: out.size }, () => random() * 2 - 1), out.shape);
  const { grads } = tf.variableGrads(() => f(...inputs).mul(dy).sum() as tf.Scalar, wrt);
  const result = {
    forward: (await out.data()) as Float32Array,
    grads: (await Promise.all(wrt.map(v => grads[v.name].data()))) as Float32Array[]
  };
  tf.dispose([...inputs, out, dy, ...Object.values(grads)]);
  model?.module.dispose();
  return result;
}

/** One AdamW update of a (5, 7) matrix and a bias of 7 (decayed and not), after 3 earlier steps. */
export async function adamwSteps(): Promise<Float32Array[]> {
  const random = seededRandom(3);
  const draw = (shape: number[]) => tf.tensor(Float32Array.from({ length: size(shape) }, () => random() * 2 - 1), shape);
  const params = new Map([['w', tf.variable(draw([5, 7]))], ['b', tf.variable(draw([7]))]]);
  const optimizer = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  for (let step = 0; step < 4; step++) {
    const grads = { [params.get('w')!.name]: draw([5, 7]), [params.get('b')!.name]: draw([7]) };
    optimizer.step(grads, 0.01, step === 2 ? 0.25 : 1); // step 2: gradients clipped to a quarter
    tf.dispose(Object.values(grads));
  }
  const out = await Promise.all([...params.values()].map(p => p.data() as Promise<Float32Array>));
  optimizer.dispose();
  tf.dispose([...params.values()]);
  return out;
}
