/**
 * What constitutional AI did, per principle and at what cost, measured on held-out prompts: each
 * stage's model (base, after the SL stage, after the RL stage) continues the same prompts with the
 * same seeds, and the principles' stand-ins (not the judges) score the continuations. The cost:
 * the perplexity of held-out corpus text (how much of its language model the alignment spent),
 * distinct-2 over all continuations (how varied they are) and their mean length in words.
 */
import { evalWindows, windowsAt } from '../data/clm';
import { GPT } from '../models/gpt';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { meanLoss } from '../train/objective';
import { AnswerOptions } from './cai';
import { checkConstitution, Constitution, distinctN, standInMeasure, words } from './constitution';
import { generateBatch } from './generateBatch';

/** `samplesPerPrompt` sampled continuations of each prompt, as text: prompt i's sample k has seed + i·S + k. */
export async function sampleContinuations(model: GPT, tokenizer: Tokenizer, prompts: readonly string[], options: AnswerOptions & { samplesPerPrompt: number }): Promise<string[][]> {
  const S = options.samplesPerPrompt;
  if (!(Number.isInteger(S) && S >= 1)) throw new Error(`sampleContinuations: samplesPerPrompt must be an integer >= 1, got ${S}`);
  const ids = prompts.flatMap(p => Array.from({ length: S }, () => tokenizer.encode(p)));
  const { tokens } = await generateBatch(model, ids, options);
  return prompts.map((_, i) => tokens.slice(i * S, (i + 1) * S).map(t => tokenizer.decode(t)));
}

/** A mean over continuations and its standard error (sd / sqrt(n)). */
export interface MeanScore {
  mean: number;
  standardError: number;
}

function meanScore(values: number[]): MeanScore {
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, standardError: Math.sqrt(variance / n) };
}

/** Each principle's stand-in measure, averaged over the texts (its own direction: see STAND_INS). */
export function principleScores(constitution: Constitution, texts: readonly string[]): Record<string, MeanScore> {
  checkConstitution(constitution);
  if (texts.length === 0) throw new Error('principleScores: no texts to score');
  return Object.fromEntries(constitution.map(p => [p.name, meanScore(texts.map(t => standInMeasure(p, t)))]));
}

/** exp(mean next-token loss) of `model` on `windows` evenly spread windows of a held-out token stream. */
export async function heldOutPerplexity(model: GPT, tokens: Int32Array, options: { windows: number; batchSize?: number }): Promise<number> {
  const { windows, batchSize = 8 } = options;
  const blockSize = model.contextLength;
  const batches = evalWindows(tokens, blockSize, batchSize, Math.ceil(windows / batchSize));
  const loss = await meanLoss(batches, starts => {
    const b = windowsAt(tokens, starts, blockSize); // inside meanLoss's tidy: freed with the step
    return model.loss(b.x, b.y);
  });
  return Math.exp(loss);
}

/** One stage's row: each principle's mean stand-in measure, and the costs. */
export interface StageScores {
  stage: string;
  scores: Record<string, MeanScore>;
  /** Of the held-out corpus text. */
  perplexity: number;
  /** Distinct word bigrams / all word bigrams, over all continuations. */
  distinct2: number;
  /** Mean words per continuation. */
  words: number;
}

/**
 * Every stage on the same held-out prompts and seeds: a table (one row per stage) the notebook can
 * show, and a few continuations of each stage to read beside it.
 */
export async function constitutionalReport(
  stages: readonly { stage: string; model: GPT }[],
  options: { tokenizer: Tokenizer; constitution: Constitution; prompts: readonly string[]; corpusTokens: Int32Array; perplexityWindows: number; answer: AnswerOptions & { samplesPerPrompt: number } }
): Promise<{ rows: StageScores[]; table: Record<string, string | number>[]; samples: Record<string, string[]> }> {
  const { tokenizer, constitution, prompts, corpusTokens, perplexityWindows, answer } = options;
  checkConstitution(constitution);
  const rows: StageScores[] = [];
  const samples: Record<string, string[]> = {};
  for (const { stage, model } of stages) {
    const texts = (await sampleContinuations(model, tokenizer, prompts, answer)).flat();
    rows.push({
      stage,
      scores: principleScores(constitution, texts),
      perplexity: await heldOutPerplexity(model, corpusTokens, { windows: perplexityWindows }),
      distinct2: distinctN(texts, 2),
      words: texts.reduce((n, t) => n + words(t).length, 0) / texts.length
    });
    samples[stage] = texts.slice(0, 3 * answer.samplesPerPrompt).filter((_, k) => k % answer.samplesPerPrompt === 0).map((t, k) => `${prompts[k]}${t}`);
  }
  const table = rows.map(r => ({
    stage: r.stage,
    ...Object.fromEntries(constitution.map(p => [`${p.name} (${p.standIn})`, Number(r.scores[p.name].mean.toFixed(4))])),
    perplexity: Number(r.perplexity.toFixed(2)),
    'distinct-2': Number(r.distinct2.toFixed(3)),
    words: Number(r.words.toFixed(1))
  }));
  return { rows, table, samples };
}
