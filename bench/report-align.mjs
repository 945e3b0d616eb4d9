// The alignment rows as text (bench/align.mjs and torch_gpt.py's "align" job): a DPO step and a PPO
// iteration (rollout + updates) per backend, ours and PyTorch, and the memory each holds.
import { int, SYSTEMS, table } from './format.mjs';

const ms = x => (x == null ? '–' : x < 100 ? x.toFixed(1) : int(x));
const bytes = b => (b == null ? '–' : b < 2 ** 20 ? `${(b / 2 ** 10).toFixed(1)} KB` : `${(b / 2 ** 20).toFixed(2)} MB`);
const share = (part, whole) => `${Math.round((100 * part) / whole)}%`;

/** Where a run ran; WebGPU on a software adapter (lavapipe) says so, its times are not a GPU's. */
function where(run) {
  if (run.system !== 'ours') return `cpu, ${run.threads} ${run.threads === 1 ? 'thread' : 'threads'}`;
  return /software|llvmpipe|lavapipe/i.test(run.device ?? '') ? `${run.backend} (software adapter)` : run.backend;
}

/** One run in a line, for the console. */
export function alignLine(run) {
  return `DPO ${ms(run.dpo.stepMs)} ms a step; PPO ${ms(run.ppo.iterationMs)} ms an iteration ` +
    `(rollout ${ms(run.ppo.rolloutMs)} ms, ${run.ppo.updates} updates ${ms(run.ppo.updateMs)} ms)`;
}

/** What was timed, with the settings of the run. */
function setupText(results) {
  const { dpo: d, ppo: p } = results.alignSetup;
  const model = results.configs[results.alignSetup.config];
  const rows = 2 * d.pairs;
  return [
    `The course's base model (\`loadBaseModel()\`: vocabulary ${model.vocabSize}, context ${model.blockSize}, ${model.nLayer} layers, ` +
      `${model.nHead} heads, d_model ${model.nEmbd}); PyTorch runs the same architecture (torch_gpt.py) from a random start, since ` +
      'the speed does not depend on the weights. Prompts and answers are token ids cut from a synthetic stream, and no answer stops ' +
      'early, so every row has its full length.',
    '',
    `**DPO step** (\`dpoObjective\`, beta ${d.beta}): a batch of ${d.pairs} pairs, prompts of ${d.promptTokens} tokens and answers of ` +
      `${d.answerTokens}, read as ${rows} rows of ${d.promptTokens + d.answerTokens} tokens (chosen rows, then rejected rows). The ` +
      'frozen reference (`createReferenceModel`) reads them once without a gradient; the policy reads them with one; the loss is ' +
      '-log sigmoid(beta · ((log π_c - log π_ref,c) - (log π_r - log π_ref,r))) over the answers\' summed log-probs; then ' +
      'backward, clipping and AdamW. "Reference forward" is that forward pass timed alone.',
    '',
    `**PPO iteration** (\`ppoObjective\`, TRL's PPOConfig names): the rollout, ${p.batchSize} prompts of ${p.promptTokens} tokens ` +
      `continued by ${p.responseLength} sampled tokens each (temperature ${p.temperature}) with \`generateBatch\` and the KV cache ` +
      `(one forward of the prompts, then one forward of ${p.batchSize} single tokens per new token); scored by a fixed reward, ` +
      'how often the token \' the\' is in the answer (no reward model); the policy\'s log-probs and values and the reference\'s ' +
      `log-probs in one forward each; per-token rewards (-${p.klCoef} x the KL estimate k1, plus the score at the last token), GAE ` +
      `(gamma ${p.gamma}, lambda ${p.lam}) and whitened advantages. Then the update: ${p.numPpoEpochs} epochs x ` +
      `${p.numMiniBatches} minibatches of ${p.batchSize / p.numMiniBatches} answers, each a step of the clipped policy loss ` +
      `(cliprange ${p.cliprange}) + ${p.vfCoef} x the clipped value loss, AdamW over the policy and its value head. ` +
      '"Generation" is `generateBatch` on the same prompts timed alone (PyTorch: the same loop with its own KV cache and ' +
      '`torch.multinomial`).',
    '',
    `In each process the DPO step, the reference forward, the generation and the PPO iteration take turns; each number is the ` +
      `median of ${results.options.steps} ${results.options.steps === 1 ? 'turn' : 'turns'}.`,
    ''
  ];
}

/** What the numbers say, from the first run of ours and PyTorch + OpenBLAS (1 thread) next to it. */
function meaning(results) {
  const runs = results.align.filter(r => !r.error);
  const ours = runs.find(r => r.system === 'ours');
  if (!ours) return [];
  const torch = runs.find(r => r.system === 'torch-openblas' && r.slot === ours.slot);
  const { dpo, ppo } = ours;
  const p = results.alignSetup.ppo;
  const perUpdate = ppo.updateMs / ppo.updates;
  return [
    `What the numbers mean (ours on ${where(ours)}): a DPO step costs ${ms(dpo.stepMs)} ms, of which the reference's forward ` +
      `pass is about ${ms(dpo.referenceMs)} ms (${share(dpo.referenceMs, dpo.stepMs)}): the frozen copy never runs backward, but ` +
      'DPO pays for a second model in time as well as in memory. A PPO iteration costs ' +
      `${ms(ppo.iterationMs)} ms: the rollout ${ms(ppo.rolloutMs)} ms (${share(ppo.rolloutMs, ppo.iterationMs)}; generating its ` +
      `${ppo.rolloutTokens} tokens alone takes about ${ms(ppo.generateMs)} ms), and ${ppo.updates} updates at about ${ms(perUpdate)} ms ` +
      `each. Generation is ${p.responseLength} forward passes one after another, each of ${p.batchSize} rows of one token, so it ` +
      'is bound by the per-pass cost, not the arithmetic; the updates are forward + backward passes over whole answers. An ' +
      `iteration holds ${ppo.updates} updates, so it learns from its ${p.batchSize} answers ${p.numPpoEpochs} times over; it costs ` +
      `about ${(ppo.iterationMs / dpo.stepMs).toFixed(1)} DPO steps.` +
      (torch ? ` PyTorch + OpenBLAS on 1 thread: DPO ${ms(torch.dpo.stepMs)} ms a step, PPO ${ms(torch.ppo.iterationMs)} ms an ` +
        `iteration (rollout ${ms(torch.ppo.rolloutMs)} ms, generation ${ms(torch.ppo.generateMs)} ms); ours takes ` +
        `${(dpo.stepMs / torch.dpo.stepMs).toFixed(2)}x its time for DPO and ${(ppo.iterationMs / torch.ppo.iterationMs).toFixed(2)}x for PPO.` : ''),
    ''
  ];
}

/** The markdown section (lines); for a fine-tuning-only report, a pointer to the alignment one. */
export function alignLines(results) {
  if (!results.alignSetup) {
    return results.options.finetune === 'only' ? ['## Alignment', '', 'DPO and PPO on the same base model: [align.md](align.md).', ''] : [];
  }
  const runs = results.align.filter(r => !r.error);
  // memory does not depend on what ran next to what, nor on PyTorch's BLAS: every run of ours, PyTorch's first run
  const memoryRuns = runs.filter((r, i) => r.system === 'ours' || runs.findIndex(q => q.system !== 'ours') === i)
    .sort((a, b) => (a.system !== 'ours') - (b.system !== 'ours'));
  const failures = results.align.filter(r => r.error);
  return [
    '## Alignment: a DPO step and a PPO iteration',
    '',
    ...setupText(results),
    ...meaning(results),
    table(
      ['next to', 'system', 'where', 'DPO ms/step', 'reference forward ms', 'PPO ms/iteration', 'rollout ms', 'generation ms', 'updates ms', 'ms per update'],
      runs.map(r => [r.slot, SYSTEMS[r.system], where(r), ms(r.dpo.stepMs), ms(r.dpo.referenceMs), ms(r.ppo.iterationMs), ms(r.ppo.rolloutMs),
        ms(r.ppo.generateMs), `${ms(r.ppo.updateMs)} (${r.ppo.updates})`, ms(r.ppo.updateMs / r.ppo.updates)])
    ),
    '',
    'Memory. Trained: the numbers that get gradients (PPO: the policy and its value head) and their float32 bytes. Reference: ' +
      'the frozen copy, no gradient and no optimizer state (ours: `countParameters().trainable` is 0). AdamW state: m and v of ' +
      'the trained numbers (ours: `trainer.optimizer.stateSize()`; PyTorch: `exp_avg` and `exp_avg_sq`). Held: the bytes in tfjs ' +
      'tensors that the run keeps between steps (policy, reference, AdamW state, and the Trainer\'s copies of the previous ' +
      'weights and moments, kept to take back a step whose loss is not finite).',
    '',
    table(
      ['system', 'where', 'method', 'trained numbers', 'trained weights', 'reference numbers', 'reference weights', 'AdamW state', 'tfjs bytes held'],
      memoryRuns.flatMap(r => ['dpo', 'ppo'].map(m => [SYSTEMS[r.system], where(r), m.toUpperCase(), int(r[m].trainableParams),
        bytes(4 * r[m].trainableParams), int(r[m].referenceParams), bytes(r[m].referenceBytes ?? 4 * r[m].referenceParams),
        bytes(r[m].optimizerBytes), bytes(r[m].heldBytes)]))
    ),
    '',
    ...(failures.length ? ['Not measured:', '', ...failures.map(r => `- ${SYSTEMS[r.system]} (next to ${r.slot}): ${r.error}`), ''] : [])
  ];
}

/** The section as text, to follow markdownReport's. */
export function alignSection(results) {
  return alignLines(results).join('\n');
}

/** A report of the alignment rows alone (--align-only): the run, the machine, then the section. */
export function alignReport(results) {
  const m = results.machine;
  const oursDevices = [...new Set(results.align.filter(r => r.system === 'ours' && r.device).map(r => r.device))];
  const t = results.options.threads;
  return [
    '# Benchmark: alignment',
    '',
    `${results.finishedAt} · \`${results.command}\` · ${results.seconds.toFixed(0)} s`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${(m.ramBytes / 2 ** 30).toFixed(0)} GiB RAM · ${m.os} · Node ${m.node} · tfjs ${m.tfjs} · ` +
      `PyTorch ${m.torch ?? '–'} · OpenBLAS ${m.openblas ?? '–'} · WebGPU: ${m.webgpu}`,
    '',
    `Ours: kernel-lib ${m.kernelLib}; ${oursDevices.join('; ')}.`,
    '',
    `Ours ran on ${t} ${t === 1 ? 'thread' : 'threads'} (wasm, and lavapipe's software WebGPU). PyTorch + OpenBLAS ran with 1 thread, ` +
      `the reference of the CPU target${t > 1 ? `, and next to ours on wasm also with ${t} threads` : ''}; PyTorch with reference BLAS with 1. ` +
      'Fine-tuning on the same model: [finetune.md](finetune.md).',
    '',
    ...alignLines(results),
    ...(results.skipped.length ? ['Skipped:', '', ...results.skipped.map(s => `- ${s}`), ''] : [])
  ].join('\n');
}
