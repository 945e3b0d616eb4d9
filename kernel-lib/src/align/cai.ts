/**
 * Constitutional AI's two stages (Bai et al. 2022), with the judges of align/feedbackModel.ts:
 *
 * 1. Supervised (SL-CAI): the model answers each training prompt; a principle is drawn at random;
 *    the critique is the principle's judge on that response: its reward, and the token where the
 *    reward falls most (where the response goes wrong). The revision is the model's own: it writes
 *    the response again from that token, K times, and the judge keeps the best (the original
 *    included, so a revision is never worse under the judge). The model is then fine-tuned on
 *    (prompt, revision) with the SFT objective (finetune/sft.ts), loss on the revision's tokens.
 * 2. RL from AI feedback (RLAIF): the SL model answers new prompts twice or more; for each prompt
 *    a principle is drawn and its judge labels the best and the worst answer chosen and rejected.
 *    No stand-in and no person labels these pairs. DPO (align/dpo.ts) on them, with the SL model
 *    as the reference, is the RL stage.
 *
 * In the paper a large model writes its critique and revision as text; ours cannot write, so the
 * critique is the judge's numbers and the revision is a resample the judge picked.
 */
import { SamplingOptions } from '../generate';
import { GPT } from '../models/gpt';
import type { TokenizedExample } from '../finetune/sft';
import { Constitution, drawPrinciples, Principle } from './constitution';
import { FeedbackModels, judgeOf, prefixRewards } from './feedbackModel';
import { generateBatch } from './generateBatch';
import { TokenizedPreferencePair } from './pairs';
import { rewardsOf } from './reward';

/** How the model answers: sampled, maxNewTokens tokens, sequence i with seed + i. */
export interface AnswerOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
}

/** What the judge of one principle says about one response. */
export interface Critique {
  principle: Principle;
  /** The judge's reward of prompt + response. */
  reward: number;
  /** The judge's reward after each response token: prefixRewards[j] of prompt + response[0..j]. */
  prefixRewards: number[];
  /** The response token where the reward falls most (or rises least) from the token before. */
  worstToken: number;
  /** That change of reward (negative: it falls). */
  drop: number;
}

/** A critique from the judge's prefix rewards of prompt + response (one forward pass per batch). */
export async function critique(judges: FeedbackModels, principles: Principle[], prompts: number[][], responses: number[][]): Promise<Critique[]> {
  const empty = responses.findIndex(r => r.length === 0);
  if (empty >= 0) throw new Error(`critique: response ${empty} is empty; there is nothing to critique`);
  const out: Critique[] = new Array(prompts.length);
  for (const indices of groupBy(principles).values()) {
    const rewards = await prefixRewards(judgeOf(judges, principles[indices[0]]), indices.map(i => [...prompts[i], ...responses[i]]));
    indices.forEach((i, k) => {
      const r = rewards[k];
      const before = prompts[i].length - 1; // the prompt's own reward is where the response starts from
      const changes = responses[i].map((_, j) => r[before + j + 1] - r[before + j]);
      const worstToken = changes.indexOf(Math.min(...changes));
      out[i] = { principle: principles[i], reward: r[r.length - 1], prefixRewards: r.slice(before + 1), worstToken, drop: changes[worstToken] };
    });
  }
  return out;
}

/** A revision: the judge's best of the response and K rewrites of it from the critique's worst token. */
export interface Revision {
  tokens: number[];
  reward: number;
  /** 0: the response itself was best; k > 0: the k-th rewrite. */
  candidate: number;
  /** The judge's reward of every candidate, the response first. */
  candidateRewards: number[];
}

/**
 * Revise each response: the model writes it again from its critique's worstToken (the tokens before
 * it kept, as many new ones as it replaces) `rewrites` times; the judge of the critique's principle
 * keeps the best, the response itself unless a rewrite beats it.
 */
export async function revise(model: GPT, judges: FeedbackModels, prompts: number[][], responses: number[][], critiques: Critique[], options: AnswerOptions & { rewrites: number }): Promise<Revision[]> {
  const { rewrites, seed } = options;
  if (!(Number.isInteger(rewrites) && rewrites >= 1)) throw new Error(`revise: rewrites must be an integer >= 1, got ${rewrites}`);
  const starts = critiques.map(c => c.worstToken);
  const contexts = prompts.flatMap((p, i) => Array.from({ length: rewrites }, () => [...p, ...responses[i].slice(0, starts[i])]));
  const lengths = responses.flatMap((r, i) => Array.from({ length: rewrites }, () => r.length - starts[i]));
  // one batch per rewrite length: generateBatch gives all of a batch the same maxNewTokens
  const rewritten: number[][] = new Array(contexts.length);
  for (const n of new Set(lengths)) {
    const at = lengths.flatMap((l, k) => (l === n ? [k] : []));
    const { tokens } = await generateBatch(model, at.map(k => contexts[k]), { ...options, maxNewTokens: n, seeds: at.map(k => seed + k) });
    at.forEach((k, j) => (rewritten[k] = [...responses[Math.floor(k / rewrites)].slice(0, starts[Math.floor(k / rewrites)]), ...tokens[j]]));
  }
  const candidates = responses.map((r, i) => [r, ...rewritten.slice(i * rewrites, (i + 1) * rewrites)]);
  const rewards = await judgeRewards(judges, critiques.map(c => c.principle), prompts, candidates);
  return candidates.map((cs, i) => {
    const best = rewards[i].reduce((b, r, k) => (r > rewards[i][b] ? k : b), 0); // strict: a tie keeps the response
    return { tokens: cs[best], reward: rewards[i][best], candidate: best, candidateRewards: rewards[i] };
  });
}

/** One training prompt through the SL stage: the response, its critique, its revision. */
export interface CritiqueRevision {
  prompt: number[];
  response: number[];
  critique: Critique;
  revision: Revision;
}

/**
 * The SL stage's data: for each prompt, a sampled response, a principle drawn at random (seeded by
 * options.seed), the critique and the revision. sftExamples turns them into training examples.
 */
export async function critiqueRevisionPairs(model: GPT, judges: FeedbackModels, constitution: Constitution, prompts: number[][], options: AnswerOptions & { rewrites: number }): Promise<CritiqueRevision[]> {
  const principles = drawPrinciples(constitution, prompts.length, options.seed);
  principles.forEach(p => judgeOf(judges, p)); // every judge is there before any work
  const { tokens: responses } = await generateBatch(model, prompts, options);
  const critiques = await critique(judges, principles, prompts, responses);
  const revisions = await revise(model, judges, prompts, responses, critiques, { ...options, seed: options.seed + prompts.length });
  return prompts.map((prompt, i) => ({ prompt, response: responses[i], critique: critiques[i], revision: revisions[i] }));
}

/** (prompt, revision) as SFT examples: the loss on the revision's tokens only. */
export function sftExamples(records: readonly CritiqueRevision[]): TokenizedExample[] {
  return records.map(r => ({ ids: [...r.prompt, ...r.revision.tokens], lossMask: [...r.prompt.map(() => 0), ...r.revision.tokens.map(() => 1)] }));
}

/** A preference pair the judge labelled, with the principle it judged by and its margin. */
export interface AiFeedbackPair extends TokenizedPreferencePair {
  principle: string;
  /** The judge's r(chosen) - r(rejected), > minMargin. */
  margin: number;
}

/**
 * RLAIF's data: `samplesPerPrompt` (>= 2) answers of the model to each prompt; a principle drawn
 * per prompt (seeded); its judge's best answer is chosen, its worst rejected. Pairs whose answers
 * are the same tokens, or whose judge margin is at most minMargin (default 0), are dropped.
 */
export async function aiFeedbackPairs(model: GPT, judges: FeedbackModels, constitution: Constitution, prompts: number[][], options: AnswerOptions & { samplesPerPrompt: number; minMargin?: number }): Promise<{ pairs: AiFeedbackPair[]; dropped: number }> {
  const { samplesPerPrompt: S, minMargin = 0, seed } = options;
  if (!(Number.isInteger(S) && S >= 2)) throw new Error(`aiFeedbackPairs: samplesPerPrompt must be an integer >= 2, got ${S}`);
  if (!(minMargin >= 0)) throw new Error(`aiFeedbackPairs: minMargin must be >= 0, got ${minMargin}`);
  const principles = drawPrinciples(constitution, prompts.length, seed);
  principles.forEach(p => judgeOf(judges, p));
  const { tokens } = await generateBatch(model, prompts.flatMap(p => Array.from({ length: S }, () => p)), { ...options, seed: seed + prompts.length });
  const answers = prompts.map((_, i) => tokens.slice(i * S, (i + 1) * S));
  const rewards = await judgeRewards(judges, principles, prompts, answers);
  const pairs: AiFeedbackPair[] = [];
  rewards.forEach((r, i) => {
    const best = r.indexOf(Math.max(...r));
    const worst = r.indexOf(Math.min(...r));
    const same = answers[i][best].join() === answers[i][worst].join();
    if (!same && r[best] - r[worst] > minMargin) pairs.push({ prompt: prompts[i], chosen: answers[i][best], rejected: answers[i][worst], principle: principles[i].name, margin: r[best] - r[worst] });
  });
  return { pairs, dropped: prompts.length - pairs.length };
}

/** The judge's reward of each candidate answer of each prompt, each prompt judged by its principle's judge. */
async function judgeRewards(judges: FeedbackModels, principles: Principle[], prompts: number[][], candidates: number[][][]): Promise<number[][]> {
  const out: number[][] = new Array(prompts.length);
  for (const [name, indices] of groupBy(principles)) {
    const rows = indices.flatMap(i => candidates[i].map(c => [...prompts[i], ...c]));
    const flat = await rewardsOf(judges.get(name)!, rows);
    let k = 0;
    for (const i of indices) out[i] = candidates[i].map(() => flat[k++]);
  }
  return out;
}

/** Indices by principle name, in order: each judge reads its own prompts in one go. */
function groupBy(principles: Principle[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  principles.forEach((p, i) => groups.set(p.name, [...(groups.get(p.name) ?? []), i]));
  return groups;
}
