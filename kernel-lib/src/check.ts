/**
 * Exercise checks: `lab.check.<name>(yourFunction)` runs a learner's own implementation on many
 * inputs against the library's (or against what the result must satisfy) and shows which cases
 * pass, the largest error, and a hint. Each check belongs to an exercise with an id, hints
 * (lab.hint(id)) and a hidden solution (lab.solution(id)); see lessons/exercises/.
 *
 *   await lab.check.attention((q, k, v, mask) => { ...your code... });
 *
 * The learner's function gets what the exercise says (tensors or plain numbers); whatever it throws
 * or returns is caught and shown as the result of that case, so a failing exercise never breaks the
 * notebook. Every result is displayed with the exercise's id and outcome for the course panel.
 */
import * as tf from '@tensorflow/tfjs';
import * as ex from './lessons/exercises';
import { Tokenizer } from './tokenizers/tokenizer';
import { ScheduleConfig } from './train/schedule';

export { checkBundle, checkHtml, checkText } from './lessons/exercises';
export type { CheckCase, CheckResult } from './lessons/exercises';

export const check = {
  // ---- notebook 2: the blocks of a transformer (tensors in, a tensor out)
  /** softmax(q k^T / sqrt(hs) + mask) v, for q, k, v (B, nh, T, hs) and an additive mask (T, T). */
  attention: (yours: ex.AttentionFn) => ex.showCheck(ex.attentionExercise, yours, undefined),
  /** GELU, tanh approximation. */
  gelu: (yours: (x: tf.Tensor) => tf.Tensor) => ex.showCheck(ex.geluExercise, yours, undefined),
  /** Normalize each vector on the last axis, then scale by gamma and shift by beta (eps 1e-5). */
  layerNorm: (yours: ex.NormFn) => ex.showCheck(ex.layerNormExercise, yours, undefined),
  /** x / sqrt(mean(x^2) + 1e-6) * gamma, over the last axis. */
  rmsNorm: (yours: (x: tf.Tensor, gamma: tf.Tensor) => tf.Tensor) => ex.showCheck(ex.rmsNormExercise, yours, undefined),

  // ---- notebook 3: what attention heads do, measured
  /** One head's weights (T, T) -> the mean weight of queries q >= 1 on key q - 1. */
  previousToken: (yours: (weights: number[][]) => number) => ex.showCheck(ex.previousTokenExercise, yours, undefined),
  /** One attention row -> its entropy in nats. */
  attentionEntropy: (yours: (row: number[]) => number) => ex.showCheck(ex.attentionEntropyExercise, yours, undefined),

  // ---- notebook 4: pretraining
  /** A mean loss in nats -> the perplexity. */
  perplexity: (yours: (meanLoss: number) => number) => ex.showCheck(ex.perplexityExercise, yours, undefined),
  /** Logits and k -> the probabilities top-k sampling draws from. */
  topK: (yours: (logits: number[], k: number) => number[]) => ex.showCheck(ex.topKExercise, yours, undefined),

  // ---- notebook 5: fine-tuning
  /** (step, schedule) -> the learning rate: linear warmup, then cosine decay. */
  learningRate: (yours: (step: number, schedule: ScheduleConfig) => number) => ex.showCheck(ex.learningRateExercise, yours, undefined),
  /** A confusion matrix -> the macro F1. */
  macroF1: (yours: (confusion: number[][]) => number) => ex.showCheck(ex.macroF1Exercise, yours, undefined),

  // ---- notebook 6: supervised fine-tuning
  /** (tokenizer, chat) -> the loss mask of the chat's tokens, checked with this tokenizer against tokenizeChat. */
  lossMask: (yours: ex.LossMaskFn, tokenizer: Tokenizer) => ex.showCheck(ex.lossMaskExercise, yours, tokenizer),
  /** (ids, lossMask) -> the targets of positions 0..T-2, -1 where not scored. */
  maskedTargets: (yours: (ids: number[], lossMask: number[]) => number[]) => ex.showCheck(ex.maskedTargetsExercise, yours, undefined),

  // ---- notebook 7: parameter-efficient fine-tuning
  /** ({ nLayer, nEmbd }, r) -> LoRA's trainable numbers on c_attn and c_fc. */
  loraParams: (yours: ex.LoraCountFn) => ex.showCheck(ex.loraParamsExercise, yours, undefined),
  /** (W, A, B, alpha, r) -> the merged weight W + (alpha / r) A B. */
  loraMerge: (yours: ex.LoraMergeFn) => ex.showCheck(ex.loraMergeExercise, yours, undefined),

  // ---- notebook 8: quantization
  /** A vector -> the same vector through int8 absmax quantization and back. */
  int8AbsMax: (yours: (w: number[]) => number[]) => ex.showCheck(ex.int8Exercise, yours, undefined),
  /** (n, groupSize) -> bits per weight of int4 with a float32 scale per group. */
  bitsPerWeight: (yours: (n: number, groupSize: number) => number) => ex.showCheck(ex.bitsPerWeightExercise, yours, undefined),

  // ---- notebook 9: alignment from preferences
  /** Rewards of chosen and rejected answers -> the mean Bradley-Terry loss. */
  bradleyTerry: (yours: (rChosen: number[], rRejected: number[]) => number) => ex.showCheck(ex.bradleyTerryExercise, yours, undefined),
  /** Four summed log-probs and beta -> the DPO loss of the pair. */
  dpoLoss: (yours: ex.DpoLossFn) => ex.showCheck(ex.dpoLossExercise, yours, undefined),

  // ---- notebook 10: GRPO and constitutional AI
  /** Rewards in groups of numGenerations -> each answer's advantage. */
  groupAdvantages: (yours: (rewards: number[], numGenerations: number) => number[]) => ex.showCheck(ex.groupAdvantagesExercise, yours, undefined),
  /** (logp, refLogp) of a sampled token -> k3, the KL estimate GRPO's loss adds. */
  klK3: (yours: (logp: number, refLogp: number) => number) => ex.showCheck(ex.klK3Exercise, yours, undefined),
  /** (words, n) -> the share of word n-grams that repeat an earlier one. */
  repeatedNgrams: (yours: (words: string[], n: number) => number) => ex.showCheck(ex.repeatedNgramsExercise, yours, undefined)
};
