/**
 * Verifiable rewards: SFT examples whose loss covers exactly the answer and its newline; a reward
 * function that verifies each completion of the right prompt (and refuses a prompt it was not given);
 * greedy, pass@1 and pass@k that agree with verifying the same generations by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { answerEndId, checkableAccuracy, checkableReward, checkableSftExamples } from '../../kernel-lib/src/align/verifiable';
import { generateBatch } from '../../kernel-lib/src/align/generateBatch';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { checkableTasks, verify } from '../../kernel-lib/src/data/checkable';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { onCpu } from './helpers';

beforeAll(onCpu);

const { tokenizer } = loadBaseModel();
const sums = checkableTasks({ seed: 1, tasks: ['sum'], maxOperand: 9 });

describe('verifiable rewards on checkable tasks', () => {
  it('SFT examples: the prompt then the answer and a newline; the loss mask is 1 on exactly the answer tokens and the newline', () => {
    const [ex] = checkableSftExamples(tokenizer, [{ task: 'sum', prompt: '12+7=', answer: '19', entity: '7+12' }]);
    expect(tokenizer.decode(ex.ids)).toBe('12+7=19\n');
    const scored = ex.ids.filter((_, t) => ex.lossMask[t] === 1);
    expect(tokenizer.decode(scored)).toBe('19\n');
    expect(scored.at(-1)).toBe(answerEndId(tokenizer));
    expect(() => checkableSftExamples(tokenizer, [])).toThrow('checkableSftExamples: no examples');
  });

  it("the reward verifies each completion against its own prompt's answer: 1 right, 0 wrong, the text after the first line ignored", async () => {
    const reward = checkableReward(tokenizer, sums.train);
    const [a, b] = sums.train;
    const ids = (s: string) => tokenizer.encode(s);
    const out = await reward([ids(a.prompt), ids(a.prompt), ids(b.prompt), ids(b.prompt)], [ids(`${a.answer}\n99`), ids(`${a.answer}.`), ids(` ${b.answer}`), ids(a.answer === b.answer ? '100' : a.answer)]);
    expect(out).toEqual([1, 0, 1, 0]);
    expect(() => reward([ids('50+50=')], [ids('100')])).toThrow(/checkableReward: the prompt "50\+50=" is not one of the \d+ examples given/);
  });

  it('greedy, pass@1 and pass@k are the shares that verifying the same generations by hand gives', async () => {
    const model = new GPT({ vocabSize: tokenizer.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 2 });
    const examples = sums.test.slice(0, 6);
    const acc = await checkableAccuracy(model, tokenizer, examples, { samples: 4, seed: 5, maxNewTokens: 3 });
    const prompts = examples.map(ex => tokenizer.encode(ex.prompt));
    const stopIds = [answerEndId(tokenizer)];
    const sampled = await generateBatch(model, prompts.flatMap(p => [p, p, p, p]), { maxNewTokens: 3, temperature: 1, seed: 5, stopIds });
    const right = sampled.tokens.map((t, j) => verify(examples[j >> 2], tokenizer.decode(t)));
    expect(acc.k).toBe(4);
    expect(acc.passAt1).toBeCloseTo(right.reduce((s, r) => s + r, 0) / right.length, 12);
    expect(acc.passAtK).toBeCloseTo(examples.filter((_, i) => right.slice(4 * i, 4 * i + 4).includes(1)).length / examples.length, 12);
    expect(acc.answers).toHaveLength(6);
    expect(acc.greedy).toBeCloseTo(acc.answers.filter((a, i) => a.trim() === examples[i].answer).length / 6, 12);
    await expect(checkableAccuracy(model, tokenizer, examples, { samples: 0 })).rejects.toThrow('checkableAccuracy: samples must be an integer >= 1, got 0');
    await expect(checkableAccuracy(model, tokenizer, examples, { temperature: 0 })).rejects.toThrow('temperature must be > 0');
    model.dispose();
  });
});
