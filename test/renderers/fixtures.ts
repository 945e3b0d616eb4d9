/**
 * Specs as the kernel builds them (deterministic, no tfjs): used by the renderer tests and by
 * the screenshot harness (extension/dev/).
 */
import type { AttentionSpec, AttentionTrainingSpec, HeadViewSpec, ModelViewSpec, NeuronViewSpec, Series, TrainingSeries, TrainingSpec, TrainingSpecV1 } from '@llm-lab/kernel/contract';

function series(steps: number[], f: (step: number) => number): Series {
  return { step: steps, value: steps.map(f) };
}

const range = (from: number, to: number, every = 1) => Array.from({ length: Math.floor((to - from) / every) + 1 }, (_, i) => from + i * every);

/** The curves a small GPT on characters produces, `step` steps into `totalSteps`. */
function curves(step: number, totalSteps: number) {
  const steps = range(1, step);
  const loss = (s: number) => 1.35 + 2.85 * Math.exp(-s / 70) + 0.06 * Math.sin(s * 1.7);
  const warmup = 20;
  const lr = (s: number) => (s < warmup ? (3e-3 * s) / warmup : 3e-4 + 0.5 * (3e-3 - 3e-4) * (1 + Math.cos((Math.PI * (s - warmup)) / (totalSteps - warmup))));
  return {
    trainLoss: series(steps, loss),
    valLoss: series(range(20, step, 20), s => loss(s) + 0.08),
    learningRate: series(steps, lr),
    throughput: series(steps, s => 16000 + 900 * Math.sin(s / 9))
  };
}

/** The progress fields of a run `step` steps into `totalSteps`. */
function progress(step: number, totalSteps: number) {
  const secPerStep = 0.25;
  return {
    title: 'Pretraining a 4-layer GPT on Moby-Dick (characters)',
    status: step < totalSteps ? 'running' : 'done',
    step,
    totalSteps,
    elapsedSec: step * secPerStep,
    etaSec: (totalSteps - step) * secPerStep,
    tokensPerSec: 4096 / secPerStep,
    backend: 'wasm (SIMD, 2 threads)',
    samples: range(50, step, 50).map(s => ({ step: s, text: `Call me Ishmael. <b>not bold</b> step ${s}\n  the whale, the whale` }))
  } as const;
}

/** A run `step` steps into `totalSteps`: the four standard series, as the Trainer records them. */
export function trainingSpec(step = 120, totalSteps = 300, overrides: Partial<TrainingSpec> = {}): TrainingSpec {
  const c = curves(step, totalSteps);
  const named = (name: string, panel: string, s: Series): TrainingSeries => ({ name, panel, ...s });
  return {
    kind: 'training',
    version: 2,
    ...progress(step, totalSteps),
    series: [
      named('train loss', 'loss (nats/token)', c.trainLoss),
      named('val loss', 'loss (nats/token)', c.valLoss),
      named('learning rate', 'learning rate', c.learningRate),
      named('tokens/s', 'tokens/s', c.throughput)
    ],
    ...overrides
  };
}

/** The same run with a series of its own on its own panel (an alignment method's reward margin). */
export function alignmentSpec(step = 120, totalSteps = 300): TrainingSpec {
  const spec = trainingSpec(step, totalSteps, { title: 'DPO on the base model' });
  const steps = range(1, step);
  spec.series.push({ name: 'reward margin', panel: 'reward margin', ...series(steps, s => 0.8 * (1 - Math.exp(-s / 60)) + 0.05 * Math.sin(s)) });
  return spec;
}

/** The same run as version 1 of the spec saved it (notebooks from before named series). */
export function trainingSpecV1(step = 120, totalSteps = 300): TrainingSpecV1 {
  return { kind: 'training', version: 1, ...progress(step, totalSteps), ...curves(step, totalSteps) };
}

/** Causal softmax rows whose sharpness differs by layer and head, so heads look different. */
export function attentionSpec(tokens: string[], nLayers = 2, nHeads = 4, overrides: Partial<AttentionSpec> = {}): AttentionSpec {
  const n = tokens.length;
  const causal = overrides.causal ?? true;
  const weights = range(0, nLayers - 1).map(l =>
    range(0, nHeads - 1).map(h =>
      range(0, n - 1).map(q => {
        // head 0 looks back at the previous token, others spread out more and more
        const score = (k: number) => (causal && k > q ? -Infinity : -Math.abs(q - 1 - k) * (1.5 / (h + 1)) + 0.3 * l * Math.cos(k + h));
        const exps = range(0, n - 1).map(k => Math.exp(score(k)));
        const sum = exps.reduce((a, b) => a + b, 0);
        return exps.map(e => e / sum);
      })
    )
  );
  return {
    kind: 'attention',
    version: 1,
    title: `Self-attention: ${nLayers} layers x ${nHeads} heads, ${n} tokens`,
    tokens,
    nLayers,
    nHeads,
    weights,
    causal,
    layer: nLayers - 1,
    head: 0,
    ...overrides
  };
}

/** Characters as the char tokenizer labels them (spaces shown as U+2423). */
export function charTokens(text: string): string[] {
  return Array.from(text).map(c => (c === ' ' ? '\u2423' : c));
}

/** The same weights as attentionSpec, as a head view showing every head. */
export function headViewSpec(tokens: string[], nLayers = 2, nHeads = 4, overrides: Partial<HeadViewSpec> = {}): HeadViewSpec {
  const { weights, causal } = attentionSpec(tokens, nLayers, nHeads, { causal: overrides.causal ?? true });
  return {
    kind: 'head-view',
    version: 1,
    title: `Head view: ${nLayers} layers x ${nHeads} heads, ${tokens.length} tokens`,
    tokens,
    nLayers,
    nHeads,
    weights,
    causal,
    layer: nLayers - 1,
    heads: range(0, nHeads - 1),
    ...overrides
  };
}

export function modelViewSpec(tokens: string[], nLayers = 3, nHeads = 4, overrides: Partial<ModelViewSpec> = {}): ModelViewSpec {
  const { weights, causal } = attentionSpec(tokens, nLayers, nHeads);
  return { kind: 'model-view', version: 1, title: `Model view: ${nLayers} layers x ${nHeads} heads`, tokens, nLayers, nHeads, weights, causal, ...overrides };
}

/** Cross-attention of a translation: target word t mostly reads source word `align[t]`, head 1 spreads out. */
export function crossAttentionSpec(overrides: Partial<HeadViewSpec> = {}): HeadViewSpec {
  const source = ['<bos>', 'le', '\u2423chat', '\u2423noir', '\u2423dort', '.'];
  const target = ['the', '\u2423black', '\u2423cat', '\u2423sleeps', '.', '<eos>'];
  const align = [1, 3, 2, 4, 5, 5];
  const row = (t: number, sharp: number) => {
    const exps = source.map((_, s) => Math.exp(-sharp * Math.abs(s - align[t])));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map(e => e / sum);
  };
  const weights = [[target.map((_, t) => row(t, 3)), target.map((_, t) => row(t, 0.6))]];
  return { kind: 'head-view', version: 1, title: 'Cross-attention: English reading French', tokens: target, keyTokens: source, nLayers: 1, nHeads: 2, weights, causal: false, layer: 0, heads: [0, 1], ...overrides };
}

/** Attention at several checkpoints: uniform over the visible keys at step 0, sharper on the previous token later. */
export function attentionTrainingSpec(tokens: string[], steps = [0, 100, 200, 400], nLayers = 2, nHeads = 2, overrides: Partial<AttentionTrainingSpec> = {}): AttentionTrainingSpec {
  const n = tokens.length;
  const frames = steps.map((step, f) =>
    range(0, nLayers - 1).map(l =>
      range(0, nHeads - 1).map(h =>
        range(0, n - 1).map(q => {
          const sharp = (f / Math.max(1, steps.length - 1)) * (2 + l + h);
          const exps = range(0, n - 1).map(k => (k > q ? 0 : Math.exp(-sharp * Math.abs(q - 1 - k))));
          const sum = exps.reduce((a, b) => a + b, 0);
          return exps.map(e => e / sum);
        })
      )
    )
  );
  return {
    kind: 'attention-training',
    version: 1,
    title: `Attention over training: ${steps.length} checkpoints`,
    tokens,
    nLayers,
    nHeads,
    causal: true,
    steps,
    frames,
    frame: steps.length - 1,
    layer: nLayers - 1,
    head: 0,
    ...overrides
  };
}

/** Query and key vectors of one head, deterministic, of both signs. */
export function neuronViewSpec(tokens: string[], headSize = 8, overrides: Partial<NeuronViewSpec> = {}): NeuronViewSpec {
  const vector = (t: number, phase: number) => range(0, headSize - 1).map(d => Number((Math.sin(1.3 * t + 0.7 * d + phase) * (1 + d / headSize)).toFixed(4)));
  return {
    kind: 'neuron-view',
    version: 1,
    title: 'Neuron view: layer 1, head 0',
    tokens,
    layer: 1,
    head: 0,
    headSize,
    causal: true,
    q: tokens.map((_, t) => vector(t, 0)),
    k: tokens.map((_, t) => vector(t, 1)),
    query: tokens.length - 1,
    ...overrides
  };
}
