// The parameter-efficient rows as text (bench/finetune.mjs's lora and qlora steps, torch_gpt.py's
// lora step): speed and memory against full fine-tuning, and what the NF4 base weighs.
import { int, SYSTEMS, table } from './format.mjs';

const ms = x => (x == null ? '–' : x < 100 ? x.toFixed(1) : int(x));
const bytes = b => (b == null ? '–' : b === 0 ? '0' : b < 2 ** 20 ? `${(b / 2 ** 10).toFixed(1)} KB` : `${(b / 2 ** 20).toFixed(2)} MB`);
const times = x => (x == null || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}x`);
const METHODS = { full: 'full', lora: 'LoRA', qlora: 'QLoRA' };

/** Where a run ran; WebGPU on a software adapter (lavapipe) says so, its times are not a GPU's. */
function where(run) {
  if (run.system !== 'ours') return `cpu, ${run.threads} ${run.threads === 1 ? 'thread' : 'threads'}`;
  return /software|llvmpipe|lavapipe/i.test(run.device ?? '') ? `${run.backend} (software adapter)` : run.backend;
}

/** The LoRA and QLoRA steps of one run in a line, for the console ('' for a run without them). */
export function peftLine(run) {
  if (!run.lora) return '';
  return `; LoRA ${ms(run.lora.stepMs)} ms${run.qlora ? `, QLoRA ${ms(run.qlora.stepMs)} ms` : ''}` +
    (run.qloraBase ? `, NF4 base ${run.qloraBase.modelFraction.toFixed(3)}x float32` : '');
}

/** What the numbers say, with the sizes of the first run of ours and the QLoRA/LoRA ratio of each. */
function meaning(ours, setup) {
  const { full, lora, qloraBase: base } = ours[0];
  const perStep = m => m.memory.gradients + m.memory.optimizer;
  const qloraOverLora = ours.map((r, i) => `${times(r.qlora.stepMs / r.lora.stepMs)}${i ? '' : ' LoRA\'s time'} on ${where(r)}`).join(' and ');
  return [
    `What the numbers mean: LoRA trains ${int(lora.trainableParams)} numbers instead of ${int(full.trainableParams)} ` +
      `(${((100 * lora.trainableParams) / full.trainableParams).toFixed(1)}%), so the gradients and AdamW's m and v shrink from ` +
      `${bytes(perStep(full))} to ${bytes(perStep(lora))}; the frozen weights still take their float32 bytes. Its step is not ` +
      `${Math.round(full.trainableParams / lora.trainableParams)}x faster, only ${times(full.stepMs / lora.stepMs)} on ${where(ours[0])}: ` +
      'it runs the whole forward pass, and backpropagation still goes through every block down to the lowest adapter (the ' +
      'gradient with respect to each layer\'s input). What it skips is the gradient of every frozen weight (about a third of a full ' +
      `step's matrix products) and the update of ${int(full.trainableParams - lora.trainableParams)} numbers; what it adds is each ` +
      'adapter\'s own products and sums, and at this size much of a step is not matrix products at all (attention, softmax, ' +
      'LayerNorm, GELU). QLoRA stores the frozen block weights as NF4 codes ' +
      `(${base.layers} layers: ${bytes(base.layerBytesAfter)} instead of ${bytes(base.layerBytesBefore)}, ${base.layerFraction.toFixed(3)}x), ` +
      `so the whole frozen base weighs ${base.modelFraction.toFixed(3)}x its float32 bytes (the embeddings stay float32). It pays ` +
      `in time: its step takes ${qloraOverLora}, since every product with a frozen weight decodes the codes (on wasm: the ` +
      'whole weight decoded in JavaScript at each forward pass, then multiplied; on webgpu: kernels that read the codes as they ' +
      'multiply, forward and for the backward\'s dy·Wᵀ). ' +
      `A step's tensor peak does not shrink with LoRA${lora.stepPeakBytes > full.stepPeakBytes ? ' (here it grows)' : ''}: tfjs keeps ` +
      'every intermediate tensor until the step ends, the activations are those of full fine-tuning, and each adapter adds its ' +
      `own (x·A, x·A·B, its scaling, the sum) on ${setup.lora.targetModules.map(m => `\`${m}\``).join(' and ')} of every block. ` +
      'What LoRA and QLoRA save is what stays between steps, the part that grows with the model.',
    ''
  ];
}

/** The markdown section (lines), or none when no run has the LoRA step. */
export function peftSection(results) {
  const setup = results.finetuneSetup?.peft;
  const runs = results.finetune.filter(r => !r.error && r.lora);
  if (!setup || runs.length === 0) return [];
  const ours = runs.filter(r => r.system === 'ours' && r.qlora);
  // PyTorch's counts do not depend on the BLAS or on what ran next to what: its first run
  const torch = runs.find(r => r.system !== 'ours');
  const base = ours[0]?.qloraBase;
  const target = results.finetuneSetup.peft.targetBaseFraction;
  const { lora } = setup;
  return [
    '## Parameter-efficient fine-tuning: LoRA and QLoRA against full',
    '',
    'The same classifier, model and batches as above. LoRA: `getPeftModel(model, { peftType: \'LORA\', ' +
      `r: ${lora.r}, loraAlpha: ${lora.loraAlpha}, targetModules: [${lora.targetModules.map(m => `'${m}'`).join(', ')}], ` +
      `modulesToSave: [${lora.modulesToSave.map(m => `'${m}'`).join(', ')}] })\`: each targeted weight W is frozen and ` +
      `ΔW = (alpha / r)·A·B trains beside it (A random, B zero at first), and the new head trains too, as PEFT's modules_to_save ` +
      `has it for a classifier. QLoRA: \`quantizeModel(model, { method: '${setup.quant.method}' })\` first (every block's c_attn, ` +
      'c_proj and c_fc to NF4 codes in blocks of 64 with double-quantized scales; embeddings and LayerNorms stay float32), then ' +
      'the same LoRA. PyTorch: the same LoRA written by hand on its GPT (a frozen `nn.Linear` plus A and B, B = 0, scaled by ' +
      'alpha / r); it has no QLoRA row (NF4 needs bitsandbytes). In each process full, frozen, LoRA and QLoRA take turns; ' +
      `ms/step is the median of ${results.options.steps} steps each.`,
    '',
    ...(ours.length ? meaning(ours, setup) : []),
    table(
      ['next to', 'system', 'where', 'ms/step full', 'ms/step LoRA', 'ms/step QLoRA', 'LoRA / full', 'QLoRA / full'],
      runs.map(r => [r.slot, SYSTEMS[r.system], where(r), ms(r.full.stepMs), ms(r.lora.stepMs), ms(r.qlora?.stepMs),
        (r.lora.stepMs / r.full.stepMs).toFixed(2), r.qlora ? (r.qlora.stepMs / r.full.stepMs).toFixed(2) : '–'])
    ),
    '',
    'Memory. Counted (`peft.memory()`, from the module tree): the numbers that train; the weights\' bytes, trainable (float32), ' +
      'frozen in float32 and frozen as packed NF4 (codes and scales); a float32 gradient per trained number; AdamW\'s m and v ' +
      '(two float32 per trained number); their sum. Measured: the bytes in tfjs tensors (`tf.memory().numBytes`) that the ' +
      'model and its Trainer hold after a step, weights and optimizer state (no gradient outlives a step; the Trainer also keeps ' +
      'the previous p, m and v of every trained number to take back a step whose loss is not finite, 12 bytes more each; the ' +
      'kernels read NF4 scales as float32), and what a step adds at its fullest over that (activations, gradients). PyTorch: the ' +
      'trained numbers and the bytes of `exp_avg` and `exp_avg_sq`.',
    '',
    table(
      ['system', 'where', 'method', 'trained numbers', 'weights: trained', 'frozen float32', 'frozen NF4', 'gradients', 'AdamW m, v', 'counted total',
        'tfjs bytes held after a step', 'step\'s tensor peak'],
      [
        ...ours.flatMap(r => ['full', 'lora', 'qlora'].map(mode => {
          const m = r[mode];
          return [SYSTEMS.ours, where(r), METHODS[mode], int(m.trainableParams), bytes(m.memory.weights.trainable), bytes(m.memory.weights.frozen),
            bytes(m.memory.weights.quantized), bytes(m.memory.gradients), bytes(m.memory.optimizer), bytes(m.memory.total), bytes(m.heldBytes), bytes(m.stepPeakBytes)];
        })),
        ...(torch ? ['full', 'lora'].map(mode => [SYSTEMS[torch.system], where(torch), METHODS[mode], int(torch[mode].trainableParams), '–', '–', '–', '–',
          bytes(torch[mode].optimizerBytes), '–', '–', '–']) : [])
      ]
    ),
    '',
    ...(base ? [
      `QLoRA's frozen base against float32: the ${base.layers} NF4 layers take ${bytes(base.layerBytesAfter)} instead of ${bytes(base.layerBytesBefore)} ` +
        `(${base.layerFraction.toFixed(3)}x); the whole model ${bytes(base.modelBytesAfter)} instead of ${bytes(base.modelBytesBefore)} ` +
        `(${base.modelFraction.toFixed(3)}x; target at most ${target}x: ${base.modelFraction <= target ? 'met' : '**missed**'}). ` +
        '(`quantizeModel`\'s report, bytesAfter / bytesBefore summed, and `modelBytes` before and after.)',
      ''
    ] : [])
  ];
}
