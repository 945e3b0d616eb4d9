/**
 * Constitutional AI, for real, on the course base model, with the default constitution: "kind"
 * (AFINN valence per word stands in for reading the principle) and "no repetition" (the share of
 * repeated words). Prompts are openings of corpus sentences, split by prompt: 200 training prompts
 * for everything that learns, 150 validation prompts for the judges' agreement, 100 test prompts
 * for the stages' scores.
 *
 *   1. a feedback model per principle, trained on pairs of the base model's continuations that the
 *      stand-in ranked, must agree with the stand-in on held-out pairs far above chance;
 *   2. SL stage: sample, critique (the judge's reward drop), revise (best of the response and 4
 *      rewrites from the worst token, under the judge), SFT on the revisions;
 *   3. RL stage: the SL model's answers, labelled by the judges only, DPO against the SL model;
 *   4. on held-out prompts each principle's stand-in score improves over the base model, at a cost
 *      in held-out corpus perplexity and distinct-2 that is printed.
 *
 * About 125 s of CPU on this machine (wasm; 2 cores shared, so 3 to 5 minutes of wall time when
 * others run too), most of it sampling (about 5,300 continuations of 16 tokens), the rest training
 * (two judges 40 steps each, SFT 30, DPO 30).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { aiFeedbackPairs, critiqueRevisionPairs, sftExamples } from '../../kernel-lib/src/align/cai';
import { constitutionalReport, sampleContinuations } from '../../kernel-lib/src/align/caiReport';
import { Constitution, DEFAULT_CONSTITUTION, STAND_INS } from '../../kernel-lib/src/align/constitution';
import { dpoObjective } from '../../kernel-lib/src/align/dpo';
import { trainFeedbackModels } from '../../kernel-lib/src/align/feedbackModel';
import { createReferenceModel } from '../../kernel-lib/src/align/reference';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { mobyDickChapters, stateOfTheUnionAddresses } from '../../kernel-lib/src/data/corpus';
import { splitDocuments } from '../../kernel-lib/src/data/clm';
import { positivityPrompts } from '../../kernel-lib/src/data/preferences';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/device/backend';
import { sftObjective } from '../../kernel-lib/src/finetune/sft';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { GPTRewardModel } from '../../kernel-lib/src/models/rewardModel';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';

/** Continuations of 16 tokens (about 10 words), sampled as in the alignment test. */
const ANSWER = { maxNewTokens: 16, temperature: 1, topK: 40 };
/**
 * The default constitution with "kind" drawn twice as often as "no repetition": a learner's edit of
 * a weight. With equal weights (a smaller run of this test) the RL stage cut repetition by 4
 * standard errors but moved the valence by only 1.7; the weight gives the weaker principle more of
 * the critiques and of the AI-feedback pairs.
 */
const CONSTITUTION: Constitution = DEFAULT_CONSTITUTION.map(p => (p.name === 'kind' ? { ...p, weight: 2 } : p));
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

describe('constitutional AI on the base model', () => {
  let base: GPT;
  let tokenizer: BpeTokenizer;
  let split: { train: string[]; validation: string[]; test: string[] };
  let judges: Map<string, GPTRewardModel>;
  const t0 = performance.now();

  beforeAll(async () => {
    await useDevice('wasm', { quiet: true });
    setDisplaySink(() => undefined);
    ({ model: base, tokenizer } = loadBaseModel());
    split = positivityPrompts({ seed: 1, count: { train: 200, validation: 150, test: 100 } });
    return () => {
      base.dispose();
      for (const j of judges?.values() ?? []) j.dispose();
      setDisplaySink(null);
      releaseWebgpu();
    };
  }, 600_000);

  it('a feedback model per principle agrees with its stand-in on held-out pairs far above chance', async () => {
    const t = performance.now();
    const samples = {
      train: { prompts: split.train, samples: await sampleContinuations(base, tokenizer, split.train, { ...ANSWER, samplesPerPrompt: 8, seed: 1 }) },
      heldOut: { prompts: split.validation, samples: await sampleContinuations(base, tokenizer, split.validation, { ...ANSWER, samplesPerPrompt: 4, seed: 100_000 }) }
    };
    console.log(`base samples: ${seconds(t)} s`);
    const trained = await trainFeedbackModels(base, tokenizer, CONSTITUTION, samples, { batchSize: 16, seed: 1, loop: { steps: 40, learningRate: 3e-3, warmupSteps: 5 } });
    judges = trained.judges;
    for (const [name, a] of Object.entries(trained.agreement)) {
      console.log(`judge "${name}": ${a.trainPairs} training pairs; agrees with its stand-in on ${(a.accuracy * 100).toFixed(1)}% of ${a.pairs} held-out pairs`);
      console.log(`  a disagreement: ${JSON.stringify(a.disagreements[0]?.chosen)} (stand-in's choice) vs ${JSON.stringify(a.disagreements[0]?.rejected)}`);
    }
    console.log(`judges: ${seconds(t)} s`);
    // Measured: "kind" 66.3% of 98 held-out pairs (185 training pairs), "no repetition" 73.2% of 123
    // (195). A coin's agreement over n pairs has standard deviation 0.5 / sqrt(n): the bound is two
    // of them above chance (0.60 for 98 pairs, 0.59 for 123). The judge of valence is the weaker:
    // it must learn the words' values from a few hundred pairs (with 4 samples per prompt and a
    // learning rate of 1e-3 it reached 58-62%).
    for (const a of Object.values(trained.agreement)) expect(a.accuracy).toBeGreaterThan(0.5 + 2 * (0.5 / Math.sqrt(a.pairs)));
  });

  it('SL and RL stages from AI feedback improve every principle on held-out prompts', async () => {
    const encode = (ps: string[]) => ps.map(p => tokenizer.encode(p));
    // SL stage: critique -> revision -> SFT, on a copy of the base model
    let t = performance.now();
    const sl = createReferenceModel(base);
    sl.unfreeze();
    const records = await critiqueRevisionPairs(sl, judges, CONSTITUTION, encode(split.train), { ...ANSWER, seed: 1, rewrites: 3 });
    const revised = records.filter(r => r.revision.candidate > 0).length;
    const gain = records.reduce((s, r) => s + r.revision.reward - r.critique.reward, 0) / records.length;
    console.log(`SL data: ${revised} of ${records.length} responses revised, judge reward +${gain.toFixed(3)} on average (${seconds(t)} s)`);
    const sft = new Trainer(sftObjective(sl, sftExamples(records), { batchSize: 16, padId: 0, seed: 1 }), { steps: 30, learningRate: 5e-4, warmupSteps: 5, evalEvery: 30, live: false });
    await sft.train();
    sft.dispose();
    console.log(`SL stage: ${seconds(t)} s`);

    // RL stage: pairs of the SL model's answers labelled by the judges alone, then DPO against the SL model
    t = performance.now();
    const { pairs, dropped } = await aiFeedbackPairs(sl, judges, CONSTITUTION, encode(split.train), { ...ANSWER, seed: 200_000, samplesPerPrompt: 4 });
    const rl = createReferenceModel(sl);
    rl.unfreeze();
    const dpo = new Trainer(dpoObjective(rl, sl, { train: pairs, validation: pairs.slice(0, 32) }, { batchSize: 8, beta: 0.1, seed: 1 }), { steps: 30, learningRate: 3e-4, warmupSteps: 5, evalEvery: 30, live: false });
    await dpo.train();
    dpo.dispose();
    console.log(`RL stage: ${pairs.length} AI-feedback pairs (${dropped} dropped), DPO ${seconds(t)} s`);

    t = performance.now();
    const val = splitDocuments([...mobyDickChapters(), ...stateOfTheUnionAddresses()], 0.05, 1234).val; // the base model's held-out documents
    const corpusTokens = Int32Array.from(tokenizer.encode(val.slice(0, 40_000)));
    const report = await constitutionalReport([{ stage: 'base', model: base }, { stage: 'SL-CAI', model: sl }, { stage: 'RL-CAI', model: rl }], {
      tokenizer, constitution: CONSTITUTION, prompts: split.test, corpusTokens, perplexityWindows: 32, answer: { ...ANSWER, samplesPerPrompt: 5, seed: 300_000 }
    });
    console.table(report.table);
    for (const [stage, s] of Object.entries(report.samples)) console.log(stage, s);
    console.log(`report: ${seconds(t)} s; whole test ${seconds(t0)} s`);
    const [b, , r] = report.rows;
    for (const p of CONSTITUTION) {
      const [before, after] = [b.scores[p.name], r.scores[p.name]];
      const z = ((after.mean - before.mean) * (STAND_INS[p.standIn].higherIsBetter ? 1 : -1)) / Math.hypot(before.standardError, after.standardError);
      console.log(`${p.name}: base ${before.mean.toFixed(4)} ± ${before.standardError.toFixed(4)}, RL ${after.mean.toFixed(4)} ± ${after.standardError.toFixed(4)}: ${z.toFixed(1)} standard errors better`);
      // Measured, 500 continuations per stage: AFINN per word 0.0165 ± 0.0054 (base) -> 0.0388 (SL)
      // -> 0.0410 ± 0.0064 (RL), 2.9 standard errors of the difference; repeated words 0.0548 ±
      // 0.0036 -> 0.0650 (SL: worse) -> 0.0351 ± 0.0032 (RL), 4.1. The bound: two standard errors.
      expect(z).toBeGreaterThan(2);
    }
    // The cost, measured: held-out corpus perplexity 59.7 -> 69.5 (SL) -> 74.3 (RL), distinct-2
    // 0.77 -> 0.73 -> 0.84, words per continuation 8.3 -> 7.8 -> 6.6 (fewer, longer made-up words
    // repeat less: the repetition stand-in is partly gamed). At a DPO learning rate of 1e-3 the RL
    // model's perplexity reached 347, its continuations gibberish; the bound, 1.6x the base's,
    // catches that.
    expect(r.perplexity).toBeLessThan(1.6 * b.perplexity);
    sl.dispose();
    rl.dispose();
  });
});
