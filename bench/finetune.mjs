// Fine-tuning speed of our library on one backend: a training step of GPTForSequenceClassification
// with every weight training (full) and with the GPT's body frozen (only the new head trains), and
// AdamW's state after each. The two steps take turns, so that a drifting host speed hits both alike.
// usage: node bench/finetune.mjs '{"backend": "wasm", "steps": 10, "warmup": 3, "warmupSec": 3}'
import lab from '../kernel-lib/dist/index.js';
import { CONFIGS, FINETUNE, OPTIMIZER, tokenStream } from './configs.mjs';
import { peakRssBytes, profileStep, readJob, report, timeInTurn } from './measure.mjs';

const { tf } = lab;
const job = readJob();
const FLOAT32_BYTES = 4;

/** n labelled texts of FINETUNE.textTokens tokens, cut from the synthetic stream: speed does not depend on the words. */
function syntheticTexts(vocabSize, n) {
  const T = FINETUNE.textTokens;
  const tokens = tokenStream(vocabSize, n * T);
  return Array.from({ length: n }, (_, i) => ({ ids: Array.from(tokens.subarray(i * T, (i + 1) * T)), label: i % FINETUNE.labels.length }));
}

/** A classifier on a fresh base-size GPT (the same seed for both), its Trainer; the body frozen or not. */
function classifierTrainer(frozenBody, data) {
  const { batchSize, ...gptConfig } = CONFIGS[FINETUNE.config];
  const gpt = new lab.GPT({ ...gptConfig, seed: 1 });
  const model = lab.GPTForSequenceClassification.fromGPT(gpt, { labels: FINETUNE.labels, pooling: FINETUNE.pooling });
  if (frozenBody) model.transformer.freeze();
  const objective = lab.classificationObjective(model, data, { batchSize: FINETUNE.batchSize });
  // steps is large because we call trainStep() ourselves
  return { model, trainer: new lab.Trainer(objective, { steps: 1e6, ...OPTIMIZER, live: false }) };
}

report(async () => {
  const device = await lab.useDevice(job.backend, { quiet: true });
  const data = { train: syntheticTexts(CONFIGS[FINETUNE.config].vocabSize, 256), validation: syntheticTexts(CONFIGS[FINETUNE.config].vocabSize, 16) };
  const runs = { full: classifierTrainer(false, data), frozen: classifierTrainer(true, data) };

  const steps = Object.fromEntries(Object.entries(runs).map(([mode, { trainer }]) => [mode, () => trainer.trainStep()]));
  const timed = await timeInTurn(steps, job, tf);
  const modes = {};
  for (const [mode, { model, trainer }] of Object.entries(runs)) {
    const state = trainer.optimizer.stateSize(); // m and v, float32, for the parameters that got gradients
    const between = tf.memory().numBytes; // both models' weights and optimizer state
    const { tensorPeakBytes, kernelsPerStep } = await profileStep(() => trainer.trainStep(), tf);
    modes[mode] = {
      stepMs: Number(timed.stepMs[mode].toFixed(2)),
      trainableParams: model.countParameters().trainable,
      optimizerParams: state.parameters.length,
      optimizerBytes: state.numbers * FLOAT32_BYTES,
      stepPeakBytes: tensorPeakBytes - between, // what the step adds at its fullest: activations, gradients
      kernelsPerStep
    };
  }
  const result = {
    system: 'ours',
    backend: device.backend,
    device: device.line.replace(/^device: /, '').replace(/ - asked for explicitly$/, ''),
    params: runs.full.model.numParams(),
    ...modes,
    frozenOverFull: Number((modes.frozen.stepMs / modes.full.stepMs).toFixed(3)),
    warmupSteps: timed.warmupSteps,
    tensorsStable: timed.tensorsAfterWarmup === timed.tensorsAtEnd,
    peakRssBytes: peakRssBytes()
  };
  for (const { model, trainer } of Object.values(runs)) {
    trainer.dispose();
    model.dispose();
  }
  lab.releaseWebgpu();
  return result;
});
