/**
 * Exercises of notebooks 9 (alignment from preferences: the Bradley-Terry loss, DPO's loss) and
 * 10 (GRPO's group advantages, the k3 estimate of the KL, a constitution's repetition measure),
 * each checked against the function the library trains with.
 */
import * as tf from '@tensorflow/tfjs';
import { repeatedNgramShare } from '../../align/constitution';
import { dpoLoss } from '../../align/dpo';
import { groupAdvantages } from '../../align/grpo';
import { klPerToken } from '../../align/kl';
import { bradleyTerryLoss } from '../../align/reward';
import { arrayCase, numbersCase, uniforms } from './compare';
import { defineExercise } from './exercise';

const scalarOf = (t: tf.Tensor) => t.dataSync()[0];

export const bradleyTerryExercise = defineExercise<(rChosen: number[], rRejected: number[]) => number>({
  id: '09.bradley-terry',
  title: 'the Bradley-Terry loss',
  task: "Given the reward model's rewards of the chosen and of the rejected answer of each pair, return the mean over the pairs of −log σ(r_chosen − r_rejected).",
  hints: [
    'σ(d) = 1 / (1 + e^−d): the probability the chosen answer wins when the rewards differ by d.',
    '−log σ(d) = log(1 + e^−d). Average it over the pairs.',
    'For a large negative d, e^−d overflows; Math.max(-d, 0) + Math.log1p(Math.exp(-Math.abs(d))) is the same number, computed safely.'
  ],
  solution: `function myBradleyTerry(rChosen: number[], rRejected: number[]): number {
  const losses = rChosen.map((r, i) => {
    const d = r - rRejected[i];
    return Math.max(-d, 0) + Math.log1p(Math.exp(-Math.abs(d))); // -log sigmoid(d), safe for any d
  });
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}`,
  cases: async answer => {
    const u = uniforms(29);
    return [1, 4, 16, 8].map((B, c) => {
      const spread = c === 3 ? 30 : 3; // the last case: margins of dozens of nats
      const [chosen, rejected] = [0, 1].map(() => Array.from({ length: B }, () => u(-spread, spread)));
      const expected = tf.tidy(() => scalarOf(bradleyTerryLoss(tf.tensor1d(chosen), tf.tensor1d(rejected))));
      return numbersCase(`${B} pairs, rewards in ±${spread}`, [{ at: 'loss', run: () => answer([...chosen], [...rejected]), expected }]);
    });
  }
});

export type DpoLossFn = (policyChosen: number, policyRejected: number, refChosen: number, refRejected: number, beta: number) => number;

export const dpoLossExercise = defineExercise<DpoLossFn>({
  id: '09.dpo-loss',
  title: 'the DPO loss of one pair',
  task: 'Given the summed log-probs of the chosen and the rejected answer under the policy and under the reference, and beta, return the DPO loss −log σ(r_chosen − r_rejected) with the implicit rewards r = beta (log π − log π_ref).',
  hints: [
    "Each answer's implicit reward is beta times how much more likely the policy makes it than the reference: beta * (policy - ref).",
    'The margin is r_chosen − r_rejected; the loss is the Bradley-Terry loss of that margin, log(1 + e^−margin).'
  ],
  solution: `function myDpoLoss(policyChosen: number, policyRejected: number, refChosen: number, refRejected: number, beta: number): number {
  const margin = beta * (policyChosen - refChosen) - beta * (policyRejected - refRejected);
  return Math.max(-margin, 0) + Math.log1p(Math.exp(-Math.abs(margin))); // -log sigmoid(margin)
}`,
  cases: async answer => {
    const u = uniforms(31);
    return [0.03, 0.1, 0.5].map(beta => {
      const points = Array.from({ length: 12 }, (_, i) => {
        const lp = Array.from({ length: 4 }, () => u(-60, -5)); // summed log-probs of 16-token answers
        if (i === 0) lp[2] = lp[0], lp[3] = lp[1]; // the policy is the reference: loss ln 2
        const [pc, pr, rc, rr] = lp;
        const expected = tf.tidy(() => scalarOf(dpoLoss(tf.tensor1d([pc]), tf.tensor1d([pr]), tf.tensor1d([rc]), tf.tensor1d([rr]), beta).loss));
        return { at: `log-probs ${lp.map(x => x.toFixed(2)).join(', ')}`, run: () => answer(pc, pr, rc, rr, beta), expected };
      });
      return numbersCase(`beta ${beta}, 12 pairs`, points);
    });
  }
});

export const groupAdvantagesExercise = defineExercise<(rewards: number[], numGenerations: number) => number[]>({
  id: '10.group-advantages',
  title: 'GRPO group advantages',
  task: 'The rewards come in groups of numGenerations answers to the same prompt, one group after the other. Return each answer\'s advantage: (r − mean of its group) / (std of its group + 1e-4), with the sample standard deviation (divide by n − 1).',
  hints: [
    'Work group by group: rewards.slice(g, g + numGenerations).',
    'The sample variance divides the sum of squared deviations by numGenerations − 1; the std is its square root.',
    'A group whose answers all scored the same has std 0: its advantages are all 0, it teaches nothing.'
  ],
  solution: `function myGroupAdvantages(rewards: number[], numGenerations: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += numGenerations) {
    const group = rewards.slice(g, g + numGenerations);
    const mean = group.reduce((a, b) => a + b, 0) / group.length;
    const std = Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / (group.length - 1));
    out.push(...group.map(r => (r - mean) / (std + 1e-4)));
  }
  return out;
}`,
  cases: async answer => {
    const u = uniforms(37);
    const settings: [string, number[], number][] = [
      ['2 groups of 4, rewards 0 or 1', [1, 0, 0, 1, 0, 0, 0, 1], 4],
      ['3 groups of 2', Array.from({ length: 6 }, () => u(-2, 2)), 2],
      ['a group that all scored 1', [1, 1, 1, 1, 0.5, 0, 1, 0.25], 4],
      ['1 group of 8', Array.from({ length: 8 }, () => u(0, 1)), 8]
    ];
    return settings.map(([label, rewards, G]) => arrayCase(label, () => answer([...rewards], G), groupAdvantages(rewards, G)));
  }
});

export const klK3Exercise = defineExercise<(logp: number, refLogp: number) => number>({
  id: '10.kl-k3',
  title: 'the k3 estimate of the KL',
  task: "Given the log-prob of a sampled token under the policy (logp) and under the reference (refLogp), return GRPO's k3 estimate of KL(π ‖ π_ref): (r − 1) − log r with r = π_ref / π.",
  hints: [
    'log r = refLogp − logp, so r = Math.exp(refLogp - logp).',
    'k3 = (r − 1) − log r: never negative, since log r ≤ r − 1; 0 when the two agree.'
  ],
  solution: `function myK3(logp: number, refLogp: number): number {
  const logRatio = refLogp - logp; // log r, r = pi_ref / pi
  return Math.exp(logRatio) - 1 - logRatio;
}`,
  cases: async answer => {
    const u = uniforms(41);
    const pairs = Array.from({ length: 16 }, (_, i) => (i === 0 ? [-1.5, -1.5] : [u(-8, -0.01), u(-8, -0.01)]));
    const expected = tf.tidy(() => Array.from(klPerToken(tf.tensor1d(pairs.map(p => p[0])), tf.tensor1d(pairs.map(p => p[1])), 'k3').dataSync()));
    return [numbersCase('16 tokens', pairs.map(([lp, ref], i) => ({ at: `logp ${lp.toFixed(3)}, refLogp ${ref.toFixed(3)}`, run: () => answer(lp, ref), expected: expected[i] })), { abs: 1e-4, rel: 1e-4 })];
  }
});

export const repeatedNgramsExercise = defineExercise<(words: string[], n: number) => number>({
  id: '10.repeated-ngrams',
  title: "a constitution's repetition measure",
  task: 'Given the words of a text and n, return the share of its word n-grams that repeat an earlier one: 1 − distinct n-grams / all n-grams (0 when the text has no n-gram).',
  hints: [
    'The n-grams are words[i..i+n-1] for i = 0 .. words.length − n; join each into one string to compare them.',
    'A Set keeps the distinct ones: 1 - set.size / grams.length, and 0 when there are no grams.'
  ],
  solution: `function myRepeatedNgramShare(words: string[], n: number): number {
  const grams = words.slice(n - 1).map((_, i) => words.slice(i, i + n).join(' '));
  return grams.length === 0 ? 0 : 1 - new Set(grams).size / grams.length;
}`,
  cases: async answer => {
    const texts = ['the people of the people of the united states', 'we will we will we will', 'call me ishmael', 'a', 'our children our jobs our children our future'];
    return [1, 2, 3].map(n =>
      numbersCase(`n = ${n}`, texts.map(t => ({ at: JSON.stringify(t), run: () => answer(t.split(' '), n), expected: repeatedNgramShare(t, n) })), { abs: 1e-12, rel: 1e-9 })
    );
  }
});
