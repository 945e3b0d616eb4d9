// Our GPT (@llm-lab/kernel, the build in kernel-lib/dist) on one backend: training and generation
// speed, memory, tensor-count stability and, when the job has liveSteps, the live view's cost.
// usage: node bench/ours.mjs '{"config": "tiny", "backend": "wasm", "steps": 10, "warmup": 3, "liveSteps": 20}'
import lab from '../kernel-lib/dist/index.js';
import { CONFIGS, GENERATE_TOKENS, OPTIMIZER, tokenStream } from './configs.mjs';
import { peakRssBytes, profileStep, readJob, report, timeSteps } from './measure.mjs';

const { tf } = lab;
const job = readJob();

/** A Trainer of the causal LM with the shared optimizer settings; `steps` is large because we call trainStep() ourselves. */
function causalTrainer(model, data, batchSize, overrides = {}, evalBatches = 4) {
  const { learningRate, beta1, beta2, eps, weightDecay, gradClip } = OPTIMIZER;
  const objective = lab.causalLM(model, data, { batchSize, evalBatches });
  return new lab.Trainer(objective, { steps: 1e6, learningRate, beta1, beta2, eps, weightDecay, gradClip, live: false, ...overrides });
}

/**
 * Throughput of Trainer.train() with the live view on, relative to off. Runs in the order
 * off, on, on, off, twice, so that a drifting host (or GPU clock) speed cancels out. The display goes to a sink that
 * serializes each update the way a notebook kernel does before sending it, and drops it.
 */
async function liveViewCost(model, data, batchSize, steps) {
  let updates = 0;
  lab.setDisplaySink(message => {
    JSON.stringify(message);
    updates++;
  });
  const seconds = { on: 0, off: 0 };
  const runs = { on: [], off: [] };
  for (const live of [false, true, true, false, false, true, true, false]) {
    // evalEvery = steps: the same two validations (at step 0 and at the end) in both modes
    const trainer = causalTrainer(model, data, batchSize, { steps, live, evalEvery: steps }, 1);
    const t0 = performance.now();
    await trainer.train();
    const sec = (performance.now() - t0) / 1000;
    seconds[live ? 'on' : 'off'] += sec;
    runs[live ? 'on' : 'off'].push(Number(sec.toFixed(3)));
    trainer.dispose();
  }
  lab.setDisplaySink(null);
  return { liveThroughputRatio: seconds.off / seconds.on, liveUpdatesPerRun: updates / runs.on.length, liveRunSteps: steps, liveRunSec: runs };
}

report(async () => {
  const { batchSize, ...gptConfig } = CONFIGS[job.config];
  const device = await lab.useDevice(job.backend, { quiet: true });
  const model = new lab.GPT({ ...gptConfig, seed: 1 });
  const tokens = tokenStream(gptConfig.vocabSize);
  const data = { train: tokens, val: tokens };

  const trainer = causalTrainer(model, data, batchSize);
  const train = await timeSteps(() => trainer.trainStep(), job, tf);
  const profile = await profileStep(() => trainer.trainStep(), tf);
  const tensorBytesBetweenSteps = tf.memory().numBytes; // weights, gradients gone, AdamW's m and v
  trainer.dispose();

  // Generation: the first run compiles (WebGPU) or warms up every context length; the second is timed.
  const generateOptions = { maxNewTokens: GENERATE_TOKENS, seed: 0 };
  await lab.generate(model, [0], generateOptions);
  const tensorsBeforeGenerate = tf.memory().numTensors;
  const t0 = performance.now();
  await lab.generate(model, [0], generateOptions);
  const generateSec = (performance.now() - t0) / 1000;
  const tensorsAfterGenerate = tf.memory().numTensors;

  const live = job.liveSteps ? await liveViewCost(model, data, batchSize, job.liveSteps) : {};
  const result = {
    system: 'ours',
    backend: device.backend,
    device: device.line.replace(/^device: /, '').replace(/ - asked for explicitly$/, ''),
    params: model.numParams(),
    stepMs: Number(train.stepMs.toFixed(2)),
    warmupSteps: train.warmupSteps,
    trainTokensPerSec: Number(((batchSize * gptConfig.blockSize * 1000) / train.stepMs).toFixed(1)),
    generateTokensPerSec: Number((GENERATE_TOKENS / generateSec).toFixed(1)),
    ...profile,
    tensorBytesBetweenSteps,
    peakRssBytes: peakRssBytes(),
    tensorsAfterWarmup: train.tensorsAfterWarmup,
    tensorsAtEnd: train.tensorsAtEnd,
    tensorsStable: train.tensorsAfterWarmup === train.tensorsAtEnd && tensorsBeforeGenerate === tensorsAfterGenerate,
    ...live
  };
  model.dispose();
  lab.releaseWebgpu();
  return result;
});
