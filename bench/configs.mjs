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
  finetune: true // the fine-tuning row (FINETUNE) after the others
};

/** `npm run bench -- --quick`: a couple of minutes. */
export const QUICK = { configs: ['tiny'], steps: 5, warmup: 2, warmupSec: 1, liveSteps: 30, finetune: false };

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
