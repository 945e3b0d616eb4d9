// Fine-tuning speed of our library on one backend: a training step of GPTForSequenceClassification
// with every weight training (full), with the GPT's body frozen (only the new head trains), with
// LoRA (configs.mjs's PEFT) and with QLoRA (the same LoRA on an NF4 base), and the memory of each.
// The steps take turns, so that a drifting host speed hits them alike.
// usage: node bench/finetune.mjs '{"backend": "wasm", "steps": 10, "warmup": 3, "warmupSec": 3}'
import lab from '../kernel-lib/dist/index.js';
import { CONFIGS, FINETUNE, OPTIMIZER, PEFT, tokenStream } from './configs.mjs';
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

/**
 * A classifier on a fresh base-size GPT (the same seed for every mode) made ready for `mode`, and
 * its Trainer. For QLoRA also what quantizing did: the quantized layers' and the model's bytes before and after.
 */
function classifierTrainer(mode, data) {
  const { batchSize, ...gptConfig } = CONFIGS[FINETUNE.config];
  const gpt = new lab.GPT({ ...gptConfig, seed: 1 });
  const model = lab.GPTForSequenceClassification.fromGPT(gpt, { labels: FINETUNE.labels, pooling: FINETUNE.pooling });
  let base;
  if (mode === 'frozen') model.transformer.freeze();
  if (mode === 'qlora') {
    const modelBefore = lab.modelBytes(model);
    const layers = lab.quantizeModel(model, PEFT.quant);
    const sum = key => layers.reduce((n, l) => n + l[key], 0);
    base = { method: PEFT.quant.method, layers: layers.length, layerBytesBefore: sum('bytesBefore'), layerBytesAfter: sum('bytesAfter'), modelBytesBefore: modelBefore, modelBytesAfter: lab.modelBytes(model) };
  }
  if (mode === 'lora' || mode === 'qlora') lab.getPeftModel(model, PEFT.lora);
  const objective = lab.classificationObjective(model, data, { batchSize: FINETUNE.batchSize });
  // steps is large because we call trainStep() ourselves
  return { model, base, trainer: new lab.Trainer(objective, { steps: 1e6, ...OPTIMIZER, live: false }) };
}

/** A ratio rounded for the report. */
const fraction = (a, b) => Number((a / b).toFixed(4));

report(async () => {
  const device = await lab.useDevice(job.backend, { quiet: true });
  const data = { train: syntheticTexts(CONFIGS[FINETUNE.config].vocabSize, 256), validation: syntheticTexts(CONFIGS[FINETUNE.config].vocabSize, 16) };
  // built one at a time, each taking one step (AdamW makes its state): the tensor bytes each one holds
  const runs = {};
  for (const mode of ['full', 'frozen', 'lora', 'qlora']) {
    const before = tf.memory().numBytes;
    runs[mode] = classifierTrainer(mode, data);
    await runs[mode].trainer.trainStep();
    runs[mode].heldBytes = tf.memory().numBytes - before; // weights (float and packed) and AdamW's m and v; no gradient outlives a step
  }

  const steps = Object.fromEntries(Object.entries(runs).map(([mode, { trainer }]) => [mode, () => trainer.trainStep()]));
  const timed = await timeInTurn(steps, job, tf);
  const modes = {};
  for (const [mode, { model, trainer, heldBytes }] of Object.entries(runs)) {
    const state = trainer.optimizer.stateSize(); // m and v, float32, for the parameters that got gradients
    const between = tf.memory().numBytes; // every model's weights and optimizer state
    const { tensorPeakBytes, kernelsPerStep } = await profileStep(() => trainer.trainStep(), tf);
    modes[mode] = {
      stepMs: Number(timed.stepMs[mode].toFixed(2)),
      trainableParams: model.countParameters().trainable,
      optimizerParams: state.parameters.length,
      optimizerBytes: state.numbers * FLOAT32_BYTES,
      stepPeakBytes: tensorPeakBytes - between, // what the step adds at its fullest: activations, gradients
      kernelsPerStep,
      memory: lab.trainingMemory(model), // counted from the module tree: numbers, weights, gradients, AdamW state
      heldBytes // measured: tf.memory().numBytes that the model and its trainer hold after a step
    };
  }
  const { base } = runs.qlora;
  const result = {
    system: 'ours',
    backend: device.backend,
    device: device.line.replace(/^device: /, '').replace(/ - asked for explicitly$/, ''),
    params: runs.full.model.numParams(),
    ...modes,
    frozenOverFull: Number((modes.frozen.stepMs / modes.full.stepMs).toFixed(3)),
    loraOverFull: Number((modes.lora.stepMs / modes.full.stepMs).toFixed(3)),
    qloraOverFull: Number((modes.qlora.stepMs / modes.full.stepMs).toFixed(3)),
    // QLoRA's frozen base against float32: the quantized layers alone, and the whole model (embeddings stay float32)
    qloraBase: { ...base, layerFraction: fraction(base.layerBytesAfter, base.layerBytesBefore), modelFraction: fraction(base.modelBytesAfter, base.modelBytesBefore) },
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
