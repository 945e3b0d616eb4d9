// The benchmark's models and defaults, in one place: bench/run.mjs and its child processes
// (ours.mjs, nanogpt_peer.mjs, torch_gpt.py) all read their sizes from here.
import os from 'os';

/** GPT sizes (our GPTConfig names) plus the batch size of a training step. */
export const CONFIGS = {
  // a character vocabulary, like tiny Shakespeare
  tiny: { vocabSize: 65, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64, batchSize: 16 },
  // a small BPE vocabulary
  small: { vocabSize: 1024, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, batchSize: 16 },
  // the course's base model
  base: { vocabSize: 1024, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 160, batchSize: 16 }
};

/** Plain JavaScript is slow: the cpu backend runs the tiny config only. */
export const CPU_CONFIGS = ['tiny'];

export const DEFAULTS = {
  configs: Object.keys(CONFIGS),
  backends: ['cpu', 'wasm', 'webgpu'],
  steps: 10, // timed training steps; the median counts
  warmup: 3, // untimed steps first (shader compilation, Adam state, caches)...
  // ...and for at least this long: V8 keeps optimizing for the first seconds, and ours on wasm
  // took 40-45 ms a tiny step at steps 3-12 but 25-30 ms from step 30 on (a class runs hundreds)
  warmupSec: 3,
  liveSteps: 50, // steps per Trainer.train() run when measuring the live view's cost (4 runs)
  liveConfigs: ['tiny'], // the fastest steps: there a redraw every liveIntervalMs costs the most
  // CPU threads: ours (wasm, as its default: one per core) and lavapipe's; PyTorch + OpenBLAS runs
  // with 1 thread (the target's reference) and, when this is more, with this many too
  threads: Math.min(os.availableParallelism(), 8),
  repeats: 1, // runs per row, the systems taking turns; the report takes each one's median
  finetune: true, // the fine-tuning row (FINETUNE) after the others
  align: true // the alignment row (ALIGN) after fine-tuning
};

/** `npm run bench -- --quick`: a couple of minutes. */
export const QUICK = { configs: ['tiny'], steps: 5, warmup: 2, warmupSec: 1, liveSteps: 30, finetune: false, align: false };

/**
 * The fine-tuning row: a classifier on the course's base GPT, as notebook 05 fine-tunes one (texts
 * of up to 64 tokens, 4 classes, batch 16), trained in full and with the GPT's body frozen.
 * Every text is `textTokens` long: no padding, so the last real token is the last one.
 */
export const FINETUNE = { config: 'base', textTokens: 64, labels: ['a', 'b', 'c', 'd'], pooling: 'last', batchSize: 16 };

/**
 * Parameter-efficient fine-tuning in the same setting: LoRA as the course sets it (rank 8, alpha 16,
 * on the attention's qkv projection and the MLP's first layer) with the new head training too, as
 * PEFT's modules_to_save does for a classifier; QLoRA is the same LoRA on a base whose block Linear
 * layers are NF4 (quantizeModel's default targets: c_attn, c_proj, c_fc).
 */
export const PEFT = {
  lora: { peftType: 'LORA', r: 8, loraAlpha: 16, targetModules: ['c_attn', 'c_fc'], modulesToSave: ['score'] },
  quant: { method: 'nf4' },
  // the QLoRA base's bytes over float32's, for the whole model (embeddings stay float32)
  targetBaseFraction: 0.3
};

/**
 * The alignment rows (bench/align.mjs, torch_gpt.py's "align" job), on the course's base model
 * (FINETUNE.config's size; ours loads the committed weights with loadBaseModel). DPO: one step on a
 * batch of `pairs` preference pairs, the policy and a frozen reference (TRL's DPOConfig beta).
 * PPO: one iteration, a rollout of `batchSize` prompts x `responseLength` sampled tokens with the
 * KV cache, scored by a fixed reward (how often `rewardToken`, ' the' in the base model's
 * tokenizer, is in each answer: no reward model), the policy's, value head's and reference's
 * log-probs, then numPpoEpochs x numMiniBatches updates. Prompts and answers are cut from the
 * synthetic token stream (streamRows, preferencePairs):
 * speed does not depend on the words. No stop ids, so every answer has responseLength tokens.
 */
export const ALIGN = {
  config: 'base',
  dpo: { pairs: 8, promptTokens: 8, answerTokens: 16, beta: 0.1 },
  ppo: { batchSize: 16, promptTokens: 8, responseLength: 16, temperature: 1, numPpoEpochs: 4, numMiniBatches: 2, klCoef: 0.05, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, gamma: 1, lam: 0.95, rewardToken: 259 }
};

/** n token-id rows of `length` from the synthetic stream, starting at row `offset` (torch_gpt.py's stream_rows is the same). */
export function streamRows(vocabSize, n, length, offset = 0) {
  const tokens = tokenStream(vocabSize, (offset + n) * length);
  return Array.from({ length: n }, (_, i) => Array.from(tokens.subarray((offset + i) * length, (offset + i + 1) * length)));
}

/** The DPO batch: prompts are rows 0..n-1 of promptTokens, chosen and rejected answers the rows after them. */
export function preferencePairs(vocabSize, { pairs, promptTokens, answerTokens }) {
  const prompts = streamRows(vocabSize, pairs, promptTokens);
  const answers = streamRows(vocabSize, 2 * pairs, answerTokens, Math.ceil((pairs * promptTokens) / answerTokens));
  return prompts.map((prompt, i) => ({ prompt, chosen: answers[2 * i], rejected: answers[2 * i + 1] }));
}

/** New tokens per generation run (from a 1-token prompt, batch 1, no KV cache). */
export const GENERATE_TOKENS = 64;

/** Training hyper-parameters shared by every system (our Trainer's defaults where they exist). */
export const OPTIMIZER = { learningRate: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

/** A synthetic token stream: speed does not depend on the text (torch_gpt.py uses the same formula). */
export function tokenStream(vocabSize, length = 50000) {
  return Int32Array.from({ length }, (_, i) => (i * 7 + (i >> 5)) % vocabSize);
}

export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
