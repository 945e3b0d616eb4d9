/**
 * Verifiable rewards for GRPO (RL with verifiable rewards, as DeepSeek-R1 trained on maths): the
 * checkable tasks of data/checkable.ts ("12+7=" -> "19") as token ids for the trainers, a reward
 * function a program computes (1 for a right answer, 0 otherwise; no reward model to fool), and the
 * accuracies that tell what GRPO changed:
 *
 *   greedy   the answer the model finds most likely, right or not;
 *   pass@1   the share of sampled answers (at the rollouts' temperature) that are right: what GRPO
 *            maximises, since its rollouts are samples;
 *   pass@k   the share of prompts with at least one right answer among k samples: what the model
 *            can already find. GRPO learns from a group only when some of its answers are right and
 *            some wrong, so it moves pass@1 towards pass@k; it cannot teach an answer no sample has.
 *
 * Plain prompts, no chat template: an answer is its first line (verify), so a newline ends it.
 */
import type { CheckableExample } from '../data/checkable';
import { verify } from '../data/checkable';
import type { TokenizedExample } from '../finetune/sft';
import { GPT } from '../models/gpt';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { generateBatch } from './generateBatch';
import type { RewardFunc } from './rollout';

/** The text that ends an answer: verify reads the first line. */
export const ANSWER_END = '\n';

/** The id of the token that ends an answer (a newline); an error when the tokenizer has no single token for it. */
export function answerEndId(tokenizer: Tokenizer): number {
  const ids = tokenizer.encode(ANSWER_END);
  if (ids.length !== 1) throw new Error(`answerEndId: the tokenizer writes a newline as ${ids.length} tokens [${ids}]; a checkable answer needs one token to end it`);
  return ids[0];
}

/**
 * SFT examples: each prompt followed by its answer and a newline, the loss on the answer and the
 * newline (the model learns to stop). Prompt and answer are tokenized apart, as generation sees
 * them: the prompt's tokens, then the answer's.
 */
export function checkableSftExamples(tokenizer: Tokenizer, examples: readonly CheckableExample[]): TokenizedExample[] {
  if (!Array.isArray(examples) || examples.length === 0) throw new Error('checkableSftExamples: no examples; give checkableTasks(...).train');
  return examples.map(ex => {
    const prompt = tokenizer.encode(ex.prompt);
    const answer = tokenizer.encode(ex.answer + ANSWER_END);
    return { ids: [...prompt, ...answer], lossMask: [...prompt.map(() => 0), ...answer.map(() => 1)] };
  });
}

/**
 * TRL's reward_funcs for the checkable examples: the prompts come back as token ids, each is looked
 * up among `examples` and its completion verified (1 right, 0 wrong). A prompt not among them is
 * an error naming it: a reward must never be guessed.
 */
export function checkableReward(tokenizer: Tokenizer, examples: readonly CheckableExample[]): RewardFunc {
  const byPrompt = new Map<string, CheckableExample>();
  for (const ex of examples) byPrompt.set(tokenizer.encode(ex.prompt).join(','), ex);
  return (prompts, completions) =>
    completions.map((c, i) => {
      const ex = byPrompt.get(prompts[i].join(','));
      if (!ex) throw new Error(`checkableReward: the prompt ${JSON.stringify(tokenizer.decode(prompts[i]))} is not one of the ${byPrompt.size} examples given`);
      return verify(ex, tokenizer.decode(c));
    });
}

export interface CheckableAccuracyOptions {
  /** Samples per prompt for pass@1 and pass@k (default 8). */
  samples?: number;
  /** Temperature of the samples (default 1, GRPO's). */
  temperature?: number;
  /** Seed of the samples (default 0): the same seed for every model compared. */
  seed?: number;
  /** The most tokens of an answer (default 6). */
  maxNewTokens?: number;
}

export interface CheckableAccuracy {
  /** Share of prompts whose greedy answer is right. */
  greedy: number;
  /** Share of all sampled answers that are right. */
  passAt1: number;
  /** Share of prompts with at least one right answer among their `k` samples. */
  passAtK: number;
  k: number;
  /** Each prompt's share of right samples: pass@1 prompt by prompt, to compare two models prompt by prompt. */
  perPrompt: number[];
  /** Each prompt's greedy answer (its first line). */
  answers: string[];
}

/** greedy, pass@1 and pass@k of `model` on `examples` (see the file's top); samples batched with the KV cache. */
export async function checkableAccuracy(model: GPT, tokenizer: Tokenizer, examples: readonly CheckableExample[], options: CheckableAccuracyOptions = {}): Promise<CheckableAccuracy> {
  const { samples = 8, temperature = 1, seed = 0, maxNewTokens = 6 } = options;
  if (!(Number.isInteger(samples) && samples >= 1)) throw new Error(`checkableAccuracy: samples must be an integer >= 1, got ${samples}`);
  if (!(temperature > 0)) throw new Error(`checkableAccuracy: temperature must be > 0 (the samples), got ${temperature}; greedy is measured anyway`);
  if (!Array.isArray(examples) || examples.length === 0) throw new Error('checkableAccuracy: no examples to measure on');
  const stopIds = [answerEndId(tokenizer)];
  const prompts = examples.map(ex => tokenizer.encode(ex.prompt));
  const greedy = await generateBatch(model, prompts, { maxNewTokens, temperature: 0, stopIds });
  const sampled = await generateBatch(model, prompts.flatMap(p => Array.from({ length: samples }, () => p)), { maxNewTokens, temperature, seed, stopIds });
  const right = sampled.tokens.map((t, j) => verify(examples[Math.floor(j / samples)], tokenizer.decode(t)));
  const anyRight = examples.map((_, i) => right.slice(i * samples, (i + 1) * samples).some(r => r === 1));
  const greedyRight = greedy.tokens.map((t, i) => verify(examples[i], tokenizer.decode(t)));
  const share = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    greedy: share(greedyRight),
    passAt1: share(right),
    passAtK: share(anyRight.map(Number)),
    k: samples,
    perPrompt: examples.map((_, i) => share(right.slice(i * samples, (i + 1) * samples))),
    answers: greedy.tokens.map(t => tokenizer.decode(t).split(ANSWER_END, 1)[0])
  };
}
