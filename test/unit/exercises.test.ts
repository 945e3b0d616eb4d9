import * as tf from '@tensorflow/tfjs';
import ts from 'typescript';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../kernel-lib/src/check';
import { EXERCISE_MIME_TYPE as EXERCISE_MIME, validateExerciseResultSpec } from '../../kernel-lib/src/contract/exercise';
import { CHAT_TOKENS, DEFAULT_CHAT_TEMPLATE } from '../../kernel-lib/src/finetune/chatTemplate';
import * as lab from '../../kernel-lib/src/index';
import {
  checkBundle, exerciseById, exerciseIds, hint, resetHints, runExercise, solution, solutionBundle
} from '../../kernel-lib/src/lessons/exercises';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { Tokenizer } from '../../kernel-lib/src/tokenizers/tokenizer';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { onCpu } from './helpers';

let chatTokenizer: Tokenizer;
beforeAll(async () => {
  await onCpu();
  const text = lab.mobyDickChapters().slice(0, 3).map(d => d.text).join('\n');
  chatTokenizer = BpeTokenizer.train(text, { vocabSize: 400 }).withAddedTokens(CHAT_TOKENS, { eos: '<|end|>', pad: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
});
afterEach(() => {
  setDisplaySink(null);
  resetHints();
});

function captureDisplays(): Record<string, string>[] {
  const shown: Record<string, string>[] = [];
  setDisplaySink(m => shown.push(m.data));
  return shown;
}

/** The context a check needs besides the answer (the loss-mask check: the notebook's tokenizer). */
const contextOf = (id: string) => (id === '06.loss-mask' ? chatTokenizer : undefined);

/** The solution as a learner would paste it: TypeScript, compiled and run with `tf` and `lab` in scope. */
function solutionFunction(id: string): unknown {
  const code = exerciseById(id).solution;
  const name = /^function (\w+)/.exec(code)?.[1];
  expect(name, `the solution of ${id} starts with a named function`).toBeTruthy();
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } }).outputText;
  return new Function('tf', 'lab', `${js}\nreturn ${name};`)(tf, lab);
}

const run = (id: string, answer: unknown) => runExercise(exerciseById(id) as never, answer as never, contextOf(id) as never);

describe('exercises', () => {
  it('cover notebooks 2 to 10 with at least two each, ids in course order', () => {
    for (const nb of ['02', '03', '04', '05', '06', '07', '08', '09', '10']) expect(exerciseIds(nb).length, nb).toBeGreaterThanOrEqual(2);
    expect(exerciseIds()).toEqual([...exerciseIds()].sort());
    expect(exerciseIds('05')).toEqual(['05.learning-rate', '05.macro-f1']);
  });

  for (const id of exerciseIds()) {
    it(`${id}: the solution shown passes its own check, and leaves no tensor behind`, async () => {
      const answer = solutionFunction(id);
      await run(id, answer); // warm up: the first call may keep tensors of its own (a backend's constants)
      const before = tf.memory().numTensors;
      const result = await run(id, answer);
      expect(result.cases.filter(c => !c.passed), JSON.stringify(result.cases)).toEqual([]);
      expect(result.passed).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`${id}: a stub, a throwing answer and a non-function fail without throwing`, async () => {
      const stub = await run(id, () => 0);
      expect(stub.passed).toBe(false);
      const throwing = await run(id, () => {
        throw new Error('<b onmouseover=x>boom</b>');
      });
      expect(throwing.passed).toBe(false);
      expect(throwing.cases.some(c => c.problem?.includes('threw: <b onmouseover=x>boom</b>'))).toBe(true);
      const html = checkBundle(throwing)['text/html'];
      expect(html).not.toContain('<b onmouseover');
      expect(html).toContain('&lt;b onmouseover=x&gt;boom&lt;/b&gt;');
      const notAFunction = await run(id, 42);
      expect(notAFunction.cases[0].problem).toBe('pass your function, got number');
    });
  }

  it('a wrong answer fails with what it got and what was expected', async () => {
    // the warmup off by one: step 0 must already get learningRate / warmupSteps
    const offByOne = (step: number, s: { learningRate: number; minLearningRate: number; warmupSteps: number; totalSteps: number }) =>
      step < s.warmupSteps ? (s.learningRate * step) / s.warmupSteps : s.minLearningRate;
    const lr = await run('05.learning-rate', offByOne);
    expect(lr.cases[0].problem).toBe('step 0: got 0, expected 0.000100000');
    // perplexity in bits instead of nats
    const pp = await run('04.perplexity', (loss: number) => 2 ** loss);
    expect(pp.cases[0].problem).toMatch(/^loss 0\.5000: got 1\.41421, expected 1\.64872$/);
    // top-k without renormalizing
    const topK = await run('04.top-k', (logits: number[], k: number) => {
      const e = logits.map(Math.exp);
      const total = e.reduce((a, b) => a + b, 0);
      const kept = [...e].sort((a, b) => b - a)[k - 1];
      return e.map(x => (x >= kept ? x / total : 0));
    });
    expect(topK.passed).toBe(false);
    expect(topK.cases[1].problem).toMatch(/^\[\d+\]: got [\d.e-]+, expected [\d.e-]+$/);
    // every token of the chat in the loss
    const mask = await run('06.loss-mask', (t: Tokenizer, m: lab.ChatMessage[]) => lab.tokenizeChat(t, m).ids.map(() => 1));
    expect(mask.cases[0].problem).toMatch(/^\[0\]: got 1, expected 0$/);
    // the merged LoRA weight without alpha / r
    const merge = await run('07.lora-merge', (W: tf.Tensor, A: tf.Tensor, B: tf.Tensor) => W.add(tf.matMul(A, B)));
    expect(merge.passed).toBe(false);
    expect(merge.cases[0].maxError).toBeGreaterThan(1e-3);
    // int8 that floors instead of rounding: outside the error bound
    const floored = await run('08.int8-absmax', (w: number[]) => {
      const s = Math.max(...w.map(Math.abs)) / 127;
      return w.map(x => Math.floor(x / s) * s);
    });
    expect(floored.cases.some(c => /more than scale \/ 2/.test(c.problem ?? ''))).toBe(true);
    // GRPO advantages with the population std (divide by n)
    const population = await run('10.group-advantages', (r: number[], G: number) => r.map((x, i) => {
      const g = r.slice(i - (i % G), i - (i % G) + G);
      const mean = g.reduce((a, b) => a + b, 0) / G;
      const std = Math.sqrt(g.reduce((a, y) => a + (y - mean) ** 2, 0) / G);
      return (x - mean) / (std + 1e-4);
    }));
    expect(population.cases[0].problem).toBe('[0]: got 0.999800, expected 0.865875');
    // a tensor of the wrong shape
    const shape = await run('02.layer-norm', (x: tf.Tensor) => x.mean(-1));
    expect(shape.cases[0].problem).toBe('shape [2], expected [2,4]');
  });

  it('shows a check as text, an escaped table and the exercise spec for the course panel', async () => {
    const shown = captureDisplays();
    const failed = await check.perplexity(() => 1);
    const passed = await check.perplexity(Math.exp);
    expect(shown).toHaveLength(2);
    expect(validateExerciseResultSpec(JSON.parse(shown[0][EXERCISE_MIME]))).toEqual({ kind: 'exercise', version: 1, id: '04.perplexity', passed: false });
    expect(JSON.parse(shown[1][EXERCISE_MIME])).toEqual({ kind: 'exercise', version: 1, id: '04.perplexity', passed: true });
    expect(Object.keys(shown[0]).sort()).toEqual([EXERCISE_MIME, 'text/html', 'text/plain'].sort());
    expect(failed.passed).toBe(false);
    expect(passed.passed).toBe(true);
    expect(shown[0]['text/plain']).toMatch(/^FAIL perplexity from a loss {2}\[04\.perplexity\]/);
    expect(shown[0]['text/plain']).toContain(`hint: ${exerciseById('04.perplexity').hints[0]}`);
    expect(shown[0]['text/plain']).toContain("lab.hint('04.perplexity')");
    expect(shown[0]['text/html']).toContain('Not yet');
    expect(shown[1]['text/html']).toContain('Passed');
    expect(shown[1]['text/plain']).not.toContain('hint:');
  });

  it('reveals hints one at a time, then repeats the last and points to the solution', () => {
    const shown = captureDisplays();
    const hints = exerciseById('05.learning-rate').hints;
    for (let i = 0; i < hints.length + 1; i++) hint('05.learning-rate');
    expect(shown.map(b => b['text/plain'].split('\n')[0])).toEqual([
      ...hints.map((_, i) => `Hint ${i + 1} of ${hints.length}: the learning-rate schedule`),
      `Hint ${hints.length} of ${hints.length}: the learning-rate schedule`
    ]);
    shown.forEach((b, i) => expect(b['text/plain']).toContain(hints[Math.min(i, hints.length - 1)]));
    expect(shown[0]['text/plain']).not.toContain(hints[1]);
    expect(shown[hints.length - 1]['text/plain']).toContain("lab.solution('05.learning-rate')");
    // each exercise counts its own hints
    hint('04.perplexity');
    expect(shown[shown.length - 1]['text/plain']).toMatch(/^Hint 1 of/);
  });

  it('keeps the solution hidden until asked for with { reveal: true }', () => {
    const shown = captureDisplays();
    const code = exerciseById('09.dpo-loss').solution;
    solution('09.dpo-loss');
    expect(shown[0]['text/plain']).not.toContain(code);
    expect(shown[0]['text/html']).not.toContain('Math.log1p');
    expect(shown[0]['text/plain']).toContain("lab.solution('09.dpo-loss', { reveal: true })");
    solution('09.dpo-loss', { reveal: true });
    expect(shown[1]['text/plain']).toContain(code);
    // the code is escaped in HTML (its arrows and comparisons are text, not markup)
    const html = solutionBundle('10.repeated-ngrams', { reveal: true })['text/html'];
    expect(html).toContain('=&gt;');
    expect(html).not.toContain('=>');
  });

  it('names an unknown exercise and lists the known ones', () => {
    expect(() => hint('05.nope')).toThrow(/no exercise "05.nope"; the exercises are 02.attention, /);
  });
});
