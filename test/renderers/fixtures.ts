/**
 * Specs as the kernel builds them (deterministic, no tfjs): used by the renderer tests and by
 * the screenshot harness (extension/dev/).
 */
import type { AttentionSpec, Series, TrainingSpec } from '@llm-lab/kernel/dist/viz/spec';

function series(steps: number[], f: (step: number) => number): Series {
  return { step: steps, value: steps.map(f) };
}

const range = (from: number, to: number, every = 1) => Array.from({ length: Math.floor((to - from) / every) + 1 }, (_, i) => from + i * every);

/** A run `step` steps into `totalSteps`, with the curves a small GPT on characters produces. */
export function trainingSpec(step = 120, totalSteps = 300, overrides: Partial<TrainingSpec> = {}): TrainingSpec {
  const steps = range(1, step);
  const loss = (s: number) => 1.35 + 2.85 * Math.exp(-s / 70) + 0.06 * Math.sin(s * 1.7);
  const warmup = 20;
  const lr = (s: number) => (s < warmup ? (3e-3 * s) / warmup : 3e-4 + 0.5 * (3e-3 - 3e-4) * (1 + Math.cos((Math.PI * (s - warmup)) / (totalSteps - warmup))));
  const secPerStep = 0.25;
  return {
    kind: 'training',
    version: 1,
    title: 'Pretraining a 4-layer GPT on Moby-Dick (characters)',
    status: step < totalSteps ? 'running' : 'done',
    step,
    totalSteps,
    elapsedSec: step * secPerStep,
    etaSec: (totalSteps - step) * secPerStep,
    tokensPerSec: 4096 / secPerStep,
    backend: 'wasm (SIMD, 2 threads)',
    trainLoss: series(steps, loss),
    valLoss: series(range(20, step, 20), s => loss(s) + 0.08),
    learningRate: series(steps, lr),
    throughput: series(steps, s => 16000 + 900 * Math.sin(s / 9)),
    samples: range(50, step, 50).map(s => ({ step: s, text: `Call me Ishmael. <b>not bold</b> step ${s}\n  the whale, the whale` })),
    ...overrides
  };
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
