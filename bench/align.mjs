// Alignment speed of our library on one backend, on the course's base model (loadBaseModel): one
// DPO step (policy + frozen reference) and one PPO iteration (rollout with the KV cache, scoring,
// log-probs, then numPpoEpochs x numMiniBatches updates), with the memory each holds. Settings:
// configs.mjs's ALIGN. The DPO step, the reference's forward alone, a batched generation alone and
// the PPO iteration take turns, so that a drifting host speed hits them alike.
// usage: node bench/align.mjs '{"backend": "wasm", "steps": 10, "warmup": 3, "warmupSec": 3}'
import lab from '../kernel-lib/dist/index.js';
import { ALIGN, median, OPTIMIZER, preferencePairs, streamRows } from './configs.mjs';
import { peakRssBytes, readJob, report, timeInTurn } from './measure.mjs';

const { tf } = lab;
const job = readJob();
const FLOAT32_BYTES = 4;
const round = x => Number(x.toFixed(2));

/** What a run holds: the numbers that train, the frozen reference, AdamW's m and v. */
function memoryOf(trained, reference, trainer) {
  const state = trainer.optimizer.stateSize();
  const { trainable } = trained.countParameters();
  return {
    trainableParams: trainable,
    trainableBytes: trainable * FLOAT32_BYTES,
    referenceParams: reference.numParams(),
    referenceTrainable: reference.countParameters().trainable, // 0: frozen, no gradient, no state
    referenceBytes: lab.modelBytes(reference),
    optimizerParams: state.parameters.length,
    optimizerBytes: state.numbers * FLOAT32_BYTES
  };
}

/** A Trainer that we step ourselves (steps is large for that), with the benchmark's AdamW settings. */
const trainerOf = objective => new lab.Trainer(objective, { steps: 1e6, ...OPTIMIZER, live: false });

/** DPO on one batch of ALIGN.dpo.pairs pairs: the base model as policy, a frozen copy as reference. */
function dpoSetup() {
  const d = ALIGN.dpo;
  const policy = lab.loadBaseModel().model;
  const reference = lab.createReferenceModel(policy);
  const pairs = preferencePairs(policy.config.vocabSize, d);
  const objective = lab.dpoObjective(policy, reference, { train: pairs, validation: pairs }, { batchSize: d.pairs, beta: d.beta });
  /** The reference's share of a step: its log-probs of the batch (one forward, no gradient). */
  const referenceForward = async () => {
    const batch = lab.preferenceBatch(pairs);
    const logps = lab.pairLogProbs(reference, batch);
    await Promise.all(logps.map(t => t.data()));
    tf.dispose(logps);
    lab.disposePreferenceBatch(batch);
  };
  return { policy, reference, trainer: trainerOf(objective), referenceForward };
}

/**
 * PPO with the base model as policy (a value head added), a frozen copy as reference and a fixed
 * reward. nextBatch is wrapped to time the rollout: the first batch of an iteration generates,
 * scores and computes the log-probs and advantages; the later ones only pick minibatch rows.
 */
function ppoSetup() {
  const { promptTokens, rewardToken, ...p } = ALIGN.ppo;
  const gpt = lab.loadBaseModel().model;
  const reference = lab.createReferenceModel(gpt);
  const V = gpt.config.vocabSize;
  const prompts = { train: streamRows(V, p.batchSize, promptTokens), validation: streamRows(V, 2, promptTokens, p.batchSize) };
  const reward = (_, completions) => completions.map(c => c.filter(id => id === rewardToken).length);
  const objective = lab.ppoObjective(gpt, reference, prompts, reward, { ...p, seed: 0 });
  const nextBatch = objective.nextBatch;
  let nextBatchMs = 0;
  objective.nextBatch = async () => {
    const t0 = performance.now();
    const batch = await nextBatch();
    nextBatchMs = performance.now() - t0;
    return batch;
  };
  const trainer = trainerOf(objective);
  const updates = p.numPpoEpochs * p.numMiniBatches;
  const times = { rollout: [], update: [] };
  const iteration = async () => {
    const t0 = performance.now();
    let rollout = 0;
    for (let i = 0; i < updates; i++) {
      await trainer.trainStep();
      if (i === 0) rollout = nextBatchMs;
    }
    times.rollout.push(rollout);
    times.update.push(performance.now() - t0 - rollout);
  };
  /** The rollout's generation alone: the same prompts, tokens and sampling, with the KV cache. */
  let seed = 1e6;
  const generate = () => lab.generateBatch(gpt, prompts.train, { maxNewTokens: p.responseLength, temperature: p.temperature, seed: seed++ });
  return { gpt, model: objective.model, reference, trainer, iteration, generate, times, updates };
}

report(async () => {
  const device = await lab.useDevice(job.backend, { quiet: true });
  const base = lab.loadBaseModel();
  base.model.dispose();
  if (base.tokenizer.decode([ALIGN.ppo.rewardToken]) !== ' the') throw new Error(`ALIGN.ppo.rewardToken ${ALIGN.ppo.rewardToken} is not ' the' in the base model's tokenizer`);
  // built one at a time, each taking one step (AdamW makes its state): the tensor bytes each one holds
  let before = tf.memory().numBytes;
  const dpo = dpoSetup();
  await dpo.trainer.trainStep();
  const dpoHeld = tf.memory().numBytes - before;
  before = tf.memory().numBytes;
  const ppo = ppoSetup();
  await ppo.iteration();
  const ppoHeld = tf.memory().numBytes - before;

  const timed = await timeInTurn({ dpo: () => dpo.trainer.trainStep(), reference: dpo.referenceForward, generate: ppo.generate, ppo: ppo.iteration }, job, tf);
  const last = xs => median(xs.slice(-job.steps)); // the timed rounds (after the warm-up ones)
  const d = ALIGN.dpo;
  const p = ALIGN.ppo;
  const result = {
    system: 'ours',
    backend: device.backend,
    device: device.line.replace(/^device: /, '').replace(/ - asked for explicitly$/, ''),
    params: dpo.policy.numParams(),
    dpo: {
      stepMs: round(timed.stepMs.dpo),
      referenceMs: round(timed.stepMs.reference),
      rows: 2 * d.pairs,
      tokensPerRow: d.promptTokens + d.answerTokens,
      ...memoryOf(dpo.policy, dpo.reference, dpo.trainer),
      heldBytes: dpoHeld // measured: policy, reference, AdamW state (and the Trainer's copies to take a bad step back)
    },
    ppo: {
      iterationMs: round(timed.stepMs.ppo),
      rolloutMs: round(last(ppo.times.rollout)),
      updateMs: round(last(ppo.times.update)),
      generateMs: round(timed.stepMs.generate),
      updates: ppo.updates,
      rolloutTokens: p.batchSize * p.responseLength,
      ...memoryOf(ppo.model, ppo.reference, ppo.trainer),
      valueHeadParams: ppo.model.vHead.numParams(),
      heldBytes: ppoHeld
    },
    warmupRounds: timed.warmupSteps,
    tensorsStable: timed.tensorsAfterWarmup === timed.tensorsAtEnd,
    peakRssBytes: peakRssBytes()
  };
  for (const m of [dpo.trainer, dpo.policy, dpo.reference, ppo.trainer, ppo.model, ppo.reference]) m.dispose();
  lab.releaseWebgpu();
  return result;
});
