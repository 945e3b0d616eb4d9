// The fine-tuning row as text (bench/finetune.mjs and torch_gpt.py's fine-tuning runs): one step
// with every weight training against one with the GPT's body frozen, per backend, ours and PyTorch;
// then LoRA and QLoRA (report-peft.mjs).
import { int, ratio, SYSTEMS, table } from './format.mjs';
import { peftLine, peftSection } from './report-peft.mjs';

const ms = x => (x == null ? '–' : x < 100 ? x.toFixed(1) : int(x));
const bytes = b => (b == null ? '–' : b < 2 ** 20 ? `${(b / 2 ** 10).toFixed(1)} KB` : `${(b / 2 ** 20).toFixed(1)} MB`);
const fullToFrozen = (run, key, format) => (run.full?.[key] == null ? '–' : `${format(run.full[key])} → ${format(run.frozen[key])}`);

/** Where a run ran; WebGPU on a software adapter (lavapipe) says so, its times are not a GPU's. */
function where(run) {
  if (run.system !== 'ours') return `cpu, ${run.threads} ${run.threads === 1 ? 'thread' : 'threads'}`;
  return /software|llvmpipe|lavapipe/i.test(run.device ?? '') ? `${run.backend} (software adapter)` : run.backend;
}

/** One run in a line, for the console. */
export function finetuneLine(run) {
  return `full ${ms(run.full.stepMs)} ms, frozen ${ms(run.frozen.stepMs)} ms a step (${ratio(run.full.stepMs / run.frozen.stepMs)} faster), ` +
    `AdamW state ${bytes(run.full.optimizerBytes)} → ${bytes(run.frozen.optimizerBytes)}${peftLine(run)}`;
}

/** Why freezing the body saves what it saves, with the sizes of the run that measured it. */
function whyCheaper(run, model) {
  return `Why a frozen body is cheaper: the gradient is asked for the head's weight alone, so backpropagation stops at the head; ` +
    `nothing flows back through the ${model.nLayer} blocks and the embeddings (in a full step that backward pass costs about twice ` +
    `the forward). Clipping and AdamW touch ${int(run.frozen.trainableParams)} numbers instead of ${int(run.full.trainableParams)}, and ` +
    `AdamW keeps its two moments (m and v, 8 bytes per trained number) for the head only: ${bytes(run.frozen.optimizerBytes)} instead ` +
    `of ${bytes(run.full.optimizerBytes)}. What remains is the forward pass through the body, about a third of a full step's ` +
    'arithmetic, so a frozen step is a few times faster, not free. tfjs keeps the intermediate tensors of a step until it ends ' +
    'whether the body trains or not, so our step\'s tensor peak barely drops; PyTorch records no operation of the frozen body for ' +
    'the backward pass.';
}

/** The markdown section (lines), or none when the run left the row out. */
export function finetuneSection(results) {
  const f = results.finetuneSetup;
  if (!f) return [];
  const model = results.configs[f.config];
  const runs = results.finetune.filter(r => !r.error);
  const example = runs.find(r => r.system === 'ours') ?? runs[0];
  // memory does not depend on what ran next to what: PyTorch's first run per BLAS, every run of ours
  const memoryRuns = runs.filter((r, i) => r.system === 'ours' || runs.findIndex(q => q.system === r.system) === i);
  return [
    '## Fine-tuning: full against a frozen body',
    '',
    'The classification setting, the one notebook 05 fine-tunes in: GPTForSequenceClassification on a GPT of the course\'s base ' +
      `size (vocabulary ${model.vocabSize}, context ${model.blockSize}, ${model.nLayer} layers, ${model.nHead} heads, d_model ${model.nEmbd}), ` +
      `'${f.pooling}' pooling, a ${f.labels.length}-class head, batches of ${f.batchSize} texts of ${f.textTokens} tokens (synthetic ids: ` +
      'speed does not depend on the words). A step is forward + cross-entropy + backward + clipping + AdamW. Full: every weight ' +
      'trains. Frozen body: `model.transformer.freeze()`, only the new head trains; PyTorch: `requires_grad_(False)` on the body ' +
      'and AdamW over the trainable parameters. In each process the steps (these two, and LoRA and QLoRA below) take turns, so a drifting host speed hits them alike; ' +
      `ms/step is the median of ${results.options.steps} steps each.`,
    '',
    ...(example ? [whyCheaper(example, model), ''] : []),
    table(
      ['next to', 'system', 'where', 'ms/step full', 'ms/step frozen', 'frozen / full', 'speed-up'],
      runs.map(r => [r.slot, SYSTEMS[r.system], where(r), ms(r.full.stepMs), ms(r.frozen.stepMs), (r.frozen.stepMs / r.full.stepMs).toFixed(2),
        ratio(r.full.stepMs / r.frozen.stepMs)])
    ),
    '',
    'Memory, full → frozen. AdamW state: the bytes of m and v (float32) of the parameters that have state (ours: ' +
      '`trainer.optimizer.stateSize()`; PyTorch: `exp_avg` and `exp_avg_sq`). Ours also: the kernels a step runs, and the bytes ' +
      'a step adds at its fullest (activations, gradients) over what stays between steps.',
    '',
    table(
      ['system', 'where', 'trained numbers', 'AdamW state', 'kernels per step', 'step\'s tensor peak'],
      memoryRuns.map(r => [SYSTEMS[r.system], where(r), fullToFrozen(r, 'trainableParams', int), fullToFrozen(r, 'optimizerBytes', bytes),
        fullToFrozen(r, 'kernelsPerStep', int), fullToFrozen(r, 'stepPeakBytes', bytes)])
    ),
    '',
    ...peftSection(results)
  ];
}
