/**
 * Exercises of notebooks 4 (pretraining: perplexity, sampling) and 5 (fine-tuning: the learning
 * rate schedule, the scores of a classifier), each checked against the library's function on many
 * inputs.
 */
import { classificationReport } from '../../eval/classification';
import { perplexity } from '../../eval/text';
import { samplingDistribution } from '../../generate';
import { learningRateAt, ScheduleConfig } from '../../train/schedule';
import { arrayCase, numbersCase, uniforms } from './compare';
import { defineExercise } from './exercise';

export const perplexityExercise = defineExercise<(meanLoss: number) => number>({
  id: '04.perplexity',
  title: 'perplexity from a loss',
  task: 'Turn a mean cross-entropy loss (nats per token) into a perplexity: the number of equally likely tokens the model is as unsure as.',
  hints: [
    'A loss of ln V is what guessing uniformly among V tokens scores, and its perplexity is V.',
    'Perplexity = e^loss: Math.exp(meanLoss).'
  ],
  solution: `function myPerplexity(meanLoss: number): number {
  return Math.exp(meanLoss); // a loss of ln V: as unsure as a uniform pick among V tokens
}`,
  cases: async answer => {
    const losses = [0, 0.5, 1.2, Math.log(65), 2.1679, Math.log(1024)];
    return [numbersCase(`losses ${losses.map(l => l.toFixed(2)).join(', ')}`, losses.map(l => ({ at: `loss ${l.toFixed(4)}`, run: () => answer(l), expected: perplexity(l) })), { abs: 1e-9, rel: 1e-9 })];
  }
});

export const topKExercise = defineExercise<(logits: number[], k: number) => number[]>({
  id: '04.top-k',
  title: 'top-k sampling distribution',
  task: 'Given the logits of the next token and k, return the probabilities top-k sampling draws from: the softmax of the logits, with every token outside the k most likely set to 0 and the rest renormalized to sum to 1.',
  hints: [
    'Softmax first (subtract the largest logit before Math.exp, so large logits do not overflow), then keep the k largest probabilities.',
    'Sort the token indices by probability, largest first, and keep the first k; zero the others and divide the kept ones by their sum.'
  ],
  solution: `function myTopK(logits: number[], k: number): number[] {
  const max = Math.max(...logits);
  const e = logits.map(l => Math.exp(l - max));
  const order = e.map((_, i) => i).sort((a, b) => e[b] - e[a]);
  const kept = new Set(order.slice(0, k));
  const p = e.map((x, i) => (kept.has(i) ? x : 0));
  const total = p.reduce((s, x) => s + x, 0);
  return p.map(x => x / total);
}`,
  cases: async answer => {
    const u = uniforms(7);
    const settings: [number, number, number][] = [
      [5, 1, 3],
      [10, 3, 3],
      [50, 10, 5],
      [8, 8, 2],
      [20, 4, 300] // logits in the hundreds: exp would overflow without subtracting the max
    ];
    return settings.map(([V, k, spread]) => {
      const logits = Array.from({ length: V }, () => u(-spread, spread));
      return arrayCase(`V = ${V}, k = ${k}, logits in ±${spread}`, () => answer([...logits], k), samplingDistribution(logits, { topK: k }));
    });
  }
});

export const learningRateExercise = defineExercise<(step: number, schedule: ScheduleConfig) => number>({
  id: '05.learning-rate',
  title: 'the learning-rate schedule',
  task: 'Write the trainer\'s schedule: a linear warmup to learningRate over warmupSteps steps (step 0 already gets learningRate / warmupSteps), then a cosine decay from learningRate to minLearningRate, reached at totalSteps and kept after.',
  hints: [
    'Two phases: step < warmupSteps, and after. In warmup, step s gets learningRate * (s + 1) / warmupSteps.',
    'After warmup, progress = (step - warmupSteps) / (totalSteps - warmupSteps), at most 1 (and divide by at least 1 when warmup takes every step).',
    'The cosine part: minLearningRate + 0.5 * (learningRate - minLearningRate) * (1 + Math.cos(Math.PI * progress)).'
  ],
  solution: `function myLearningRate(step: number, s: { learningRate: number; minLearningRate: number; warmupSteps: number; totalSteps: number }): number {
  if (step < s.warmupSteps) return (s.learningRate * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  return s.minLearningRate + 0.5 * (s.learningRate - s.minLearningRate) * (1 + Math.cos(Math.PI * progress));
}`,
  cases: async answer => {
    const schedules: ScheduleConfig[] = [
      { learningRate: 1e-3, minLearningRate: 1e-4, warmupSteps: 10, totalSteps: 100 },
      { learningRate: 3e-3, minLearningRate: 0, warmupSteps: 0, totalSteps: 50 },
      { learningRate: 4e-3, minLearningRate: 4e-4, warmupSteps: 60, totalSteps: 1500 },
      { learningRate: 1e-3, minLearningRate: 1e-5, warmupSteps: 30, totalSteps: 30 }
    ];
    return schedules.map(s => {
      const steps = Array.from({ length: s.totalSteps + 6 }, (_, i) => i); // a few steps past the end too
      return numbersCase(
        `peak ${s.learningRate}, floor ${s.minLearningRate}, warmup ${s.warmupSteps}, ${s.totalSteps} steps`,
        steps.map(step => ({ at: `step ${step}`, run: () => answer(step, { ...s }), expected: learningRateAt(step, s) })),
        { abs: 1e-15, rel: 1e-9 }
      );
    });
  }
});

export const macroF1Exercise = defineExercise<(confusion: number[][]) => number>({
  id: '05.macro-f1',
  title: 'macro F1 from a confusion matrix',
  task: 'Given a confusion matrix (rows: the true class, columns: the predicted class), return the macro F1: the F1 of each class, averaged with equal weight per class. A class never predicted nor present has F1 0.',
  hints: [
    "Class c's true positives are confusion[c][c]; its row sum is how often it is the truth (support), its column sum how often it was predicted.",
    'F1 = 2PR / (P + R) = 2 tp / (predicted + support); when predicted + support is 0, use 0.',
    'Macro F1 is the plain mean of the per-class F1s.'
  ],
  solution: `function myMacroF1(confusion: number[][]): number {
  const k = confusion.length;
  const f1s = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c], 0);
    return predicted + support === 0 ? 0 : (2 * row[c]) / (predicted + support);
  });
  return f1s.reduce((a, b) => a + b, 0) / k;
}`,
  cases: async answer => {
    const u = uniforms(11);
    const random = (k: number, diagonal: number) => Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => Math.floor(u(0, i === j ? diagonal : 6))));
    const matrices: [string, number[][]][] = [
      ['2 classes', random(2, 30)],
      ['4 classes', random(4, 40)],
      ['6 classes', random(6, 20)],
      ['a class never predicted', [[5, 0, 2], [1, 0, 3], [0, 0, 9]]],
      ['a class that never occurs', [[4, 1, 0], [2, 6, 0], [0, 0, 0]]]
    ];
    return matrices.map(([label, m]) => {
      const expected = classificationReport(m, m.map((_, i) => `class ${i}`)).macro.f1;
      return numbersCase(label, [{ at: JSON.stringify(m), run: () => answer(m.map(r => [...r])), expected }], { abs: 1e-9, rel: 1e-9 });
    });
  }
});
