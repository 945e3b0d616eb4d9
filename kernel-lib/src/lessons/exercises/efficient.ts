/**
 * Exercises of notebooks 7 (parameter-efficient fine-tuning) and 8 (quantization): LoRA's
 * parameter count checked against a real adapted model, a merged LoRA weight against
 * LoRALinear.merge(), and int8 / int4 against the library's quantize.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../models/gpt';
import { Init } from '../../nn/init';
import { Linear } from '../../nn/linear';
import { LoRALinear } from '../../peft/lora';
import { getPeftModel } from '../../peft/peftModel';
import { dequantize, quantize } from '../../quant/formats';
import { attempt, numbersCase, randomTensor, tensorCase, uniforms } from './compare';
import { CheckCase, defineExercise } from './exercise';

export type LoraCountFn = (config: { nLayer: number; nEmbd: number }, r: number) => number;

export const loraParamsExercise = defineExercise<LoraCountFn>({
  id: '07.lora-params',
  title: "LoRA's trainable parameters",
  task: "A GPT with nLayer blocks of width nEmbd gets LoRA of rank r on c_attn (nEmbd → 3·nEmbd) and c_fc (nEmbd → 4·nEmbd) in every block. Return how many numbers train.",
  hints: [
    'A layer of in → out gets A (in × r) and B (r × out): r · (in + out) numbers. The frozen weight adds none.',
    'Per block: c_attn gives r · (C + 3C), c_fc gives r · (C + 4C). Multiply by the number of blocks.'
  ],
  solution: `function myLoraParams(config: { nLayer: number; nEmbd: number }, r: number): number {
  const C = config.nEmbd;
  const perBlock = r * (C + 3 * C) + r * (C + 4 * C); // c_attn, c_fc: A (in x r) and B (r x out)
  return config.nLayer * perBlock;
}`,
  cases: async answer => {
    const configs: [number, number, number, number][] = [
      // nLayer, nEmbd, nHead, r
      [1, 8, 2, 1],
      [2, 16, 4, 2],
      [4, 32, 4, 8],
      [2, 160, 4, 8]
    ];
    return configs.map(([nLayer, nEmbd, nHead, r]) => {
      const model = new GPT({ vocabSize: 16, blockSize: 8, nLayer, nHead, nEmbd, seed: 1 });
      const peft = getPeftModel(model, { peftType: 'LORA', r, loraAlpha: 2 * r, targetModules: ['c_attn', 'c_fc'] });
      const expected = peft.countTrainable().trainable;
      model.dispose();
      return numbersCase(`nLayer ${nLayer}, nEmbd ${nEmbd}, r ${r}`, [{ at: 'trainable', run: () => answer({ nLayer, nEmbd }, r), expected }], { abs: 0, rel: 0 });
    });
  }
});

export type LoraMergeFn = (W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, alpha: number, r: number) => tf.Tensor;

/** The weight LoRALinear.merge() leaves in its base layer for these factors. */
function libraryMerged(W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, alpha: number, r: number): tf.Tensor {
  const [inF, outF] = W.shape;
  const base = new Linear(new Init(0), inF, outF, { bias: false });
  base.weight.assign(W);
  const lora = new LoRALinear(base);
  const adapter = lora.addAdapter('default', { r, alpha, dropout: 0, init: new Init(0), seed: 0 });
  adapter.a.weight.assign(A);
  adapter.b.weight.assign(B);
  lora.merge();
  const merged = base.weight.clone();
  lora.dispose();
  return merged;
}

export const loraMergeExercise = defineExercise<LoraMergeFn>({
  id: '07.lora-merge',
  title: 'merging a LoRA update',
  task: 'Given a frozen weight W (in × out), the LoRA factors A (in × r) and B (r × out), alpha and r, return the merged weight W′ that makes x W′ equal to the adapted layer\'s x W + (alpha / r) x A B.',
  hints: [
    'x W + (alpha / r) x A B = x (W + (alpha / r) A B): the update is a matrix of the shape of W.',
    'tf.matMul(A, B) is (in × out); scale it by alpha / r and add W.'
  ],
  solution: `function myLoraMerge(W: tf.Tensor, A: tf.Tensor, B: tf.Tensor, alpha: number, r: number): tf.Tensor {
  return W.add(tf.matMul(A, B).mul(alpha / r)); // W + (alpha / r) A B
}`,
  cases: async answer => {
    const u = uniforms(17);
    const cases: CheckCase[] = [];
    for (const [inF, outF, r, alpha] of [[4, 6, 2, 4], [16, 48, 8, 16], [10, 3, 1, 1]]) {
      const [W, A, B] = [randomTensor([inF, outF], u), randomTensor([inF, r], u), randomTensor([r, outF], u)];
      const expected = libraryMerged(W, A, B, alpha, r);
      cases.push(await tensorCase(`W [${inF}, ${outF}], r ${r}, alpha ${alpha}`, () => answer(W, A, B, alpha, r), expected, { abs: 1e-5, rel: 1e-5 }));
      tf.dispose([W, A, B, expected]);
    }
    return cases;
  }
});

/**
 * One vector through the answer's int8 round trip: every value must sit on the grid of
 * scale = absmax / 127, at most scale / 2 from the original (the error bound of rounding), and
 * equal the library's dequantize(quantize(...)).
 */
function int8Case(label: string, w: number[], answer: (w: number[]) => number[]): CheckCase {
  const library = dequantize(quantize(Float32Array.from(w), [w.length], { method: 'int8' }));
  const scale = Math.max(...w.map(Math.abs)) / 127;
  const { value, problem } = attempt(() => answer([...w]));
  if (problem !== undefined) return { inputs: label, passed: false, maxError: null, problem };
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return { inputs: label, passed: false, maxError: null, problem: 'returned no array of numbers' };
  const got = Array.from(value as ArrayLike<number>);
  if (got.length !== w.length) return { inputs: label, passed: false, maxError: null, problem: `${got.length} numbers, expected ${w.length}` };
  let maxError = 0;
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(got[i] - w[i]);
    if (!(err <= scale / 2 + 1e-6)) return { inputs: label, passed: false, maxError: null, problem: `[${i}]: ${w[i]} came back as ${got[i]}, more than scale / 2 = ${(scale / 2).toExponential(3)} away` };
    const code = got[i] / scale;
    if (Math.abs(code - Math.round(code)) > 1e-3) return { inputs: label, passed: false, maxError: null, problem: `[${i}]: ${got[i]} is not a whole number of steps of scale ${scale.toExponential(3)} (absmax / 127)` };
    if (Math.abs(got[i] - library[i]) > 1e-6 + 1e-5 * Math.abs(library[i])) return { inputs: label, passed: false, maxError: null, problem: `[${i}]: got ${got[i]}, the library gives ${library[i]}` };
    maxError = Math.max(maxError, err);
  }
  return { inputs: label, passed: true, maxError };
}

export const int8Exercise = defineExercise<(w: number[]) => number[]>({
  id: '08.int8-absmax',
  title: 'int8 absmax, there and back',
  task: 'Quantize a vector to int8 with one absmax scale (scale = max |w| / 127, code = round(w / scale)) and decode it again (code × scale). Return the decoded numbers.',
  hints: [
    'The largest |w| maps to code ±127: scale = Math.max(...w.map(Math.abs)) / 127.',
    'Each number becomes Math.round(x / scale) * scale: at most scale / 2 away from x.'
  ],
  solution: `function myInt8RoundTrip(w: number[]): number[] {
  const scale = Math.max(...w.map(Math.abs)) / 127;
  return w.map(x => Math.round(x / scale) * scale);
}`,
  cases: async answer => {
    const u = uniforms(19);
    const normal = Array.from({ length: 64 }, () => u(-0.05, 0.05));
    const outlier = Array.from({ length: 64 }, (_, i) => (i === 17 ? 2.5 : u(-0.05, 0.05)));
    return [
      int8Case('64 weights in ±0.05', normal, answer),
      int8Case('one outlier (2.5) among 64', outlier, answer),
      int8Case('5 numbers with negatives', [-1.5, 0.3, 0.0, 0.75, -0.01], answer)
    ];
  }
});

export const bitsPerWeightExercise = defineExercise<(n: number, groupSize: number) => number>({
  id: '08.bits-per-weight',
  title: 'bits per weight of int4 with group scales',
  task: 'A weight of n numbers is stored in int4: 4 bits per code, plus one float32 scale per group of groupSize consecutive numbers. Return the bits per weight.',
  hints: [
    'Count the bits: n codes of 4 bits, and n / groupSize scales of 32 bits. Divide by n.',
    '4 + 32 / groupSize.'
  ],
  solution: `function myBitsPerWeight(n: number, groupSize: number): number {
  return (4 * n + 32 * (n / groupSize)) / n; // = 4 + 32 / groupSize
}`,
  cases: async answer => {
    const u = uniforms(23);
    const sizes: [number, number][] = [[1024, 32], [1024, 64], [4096, 1024], [64, 64], [102400, 102400]];
    return sizes.map(([n, groupSize]) => {
      const q = quantize(Float32Array.from({ length: n }, () => u(-1, 1)), [n], { method: 'int4', groupSize });
      return numbersCase(`n ${n}, groupSize ${groupSize}`, [{ at: `${q.bytes} bytes`, run: () => answer(n, groupSize), expected: q.bitsPerWeight }], { abs: 1e-9, rel: 1e-9 });
    });
  }
});
