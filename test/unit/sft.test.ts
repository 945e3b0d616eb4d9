/**
 * The SFT objective against a masked cross-entropy written out by hand in float64, each example's
 * logits computed alone (unpadded), so the checks also prove that padding changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { instructionDataset } from '../../kernel-lib/src/data/instructions';
import { CHAT_TOKENS, DEFAULT_CHAT_TEMPLATE, tokenizeChat } from '../../kernel-lib/src/finetune/chatTemplate';
import { resizeTokenEmbeddings } from '../../kernel-lib/src/finetune/resize';
import { generateAnswers, sftBatch, sftObjective, TokenizedExample } from '../../kernel-lib/src/finetune/sft';
import { generate } from '../../kernel-lib/src/generate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 4 };
const PAD = 0;
// prompts then answers; example 2 ends with a token after its answer that is not scored
const examples: TokenizedExample[] = [
  { ids: [1, 2, 3, 4, 5], lossMask: [0, 0, 1, 1, 1] },
  { ids: [6, 7, 8], lossMask: [0, 1, 1] },
  { ids: [2, 9, 10, 3, 1, 4], lossMask: [0, 0, 0, 1, 1, 0] }
];

/** -log p(ids[t] | ids[<t]) and whether the argmax was ids[t], from the example's own logits, for each t with weight[t] = 1. */
async function tokenScores(model: GPT, ex: TokenizedExample, weight: number[]): Promise<{ nll: number; right: boolean }[]> {
  const input = tf.tensor2d([ex.ids], [1, ex.ids.length], 'int32');
  const logits = model.forward(input).logits;
  const rows = ((await logits.array()) as number[][][])[0];
  tf.dispose([input, logits]);
  const out = [];
  for (let t = 1; t < ex.ids.length; t++) {
    if (!weight[t]) continue;
    const z = rows[t - 1];
    const max = Math.max(...z);
    const logSumExp = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    out.push({ nll: logSumExp - z[ex.ids[t]], right: z.indexOf(max) === ex.ids[t] });
  }
  return out;
}

/** Mean -log p over the answer tokens (or every token) of all examples, and the argmax accuracy. */
async function handScores(model: GPT, exs: TokenizedExample[], every = false): Promise<{ loss: number; accuracy: number }> {
  const all = (await Promise.all(exs.map(ex => tokenScores(model, ex, every ? ex.ids.map(() => 1) : ex.lossMask)))).flat();
  return { loss: all.reduce((s, x) => s + x.nll, 0) / all.length, accuracy: all.filter(x => x.right).length / all.length };
}

describe('sftBatch', () => {
  it('pads each example to the longest of the batch with padId, and padding gets mask 0', async () => {
    const b = sftBatch([examples[0], examples[1]], PAD);
    expect(b.ids.shape).toEqual([2, 5]);
    expect(await b.ids.array()).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 0, 0]
    ]);
    expect(await b.lossMask.array()).toEqual([
      [0, 0, 1, 1, 1],
      [0, 1, 1, 0, 0]
    ]);
    const all = sftBatch([examples[0], examples[1]], PAD, 'all');
    expect(await all.lossMask.array()).toEqual([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0]
    ]);
    tf.dispose([b.ids, b.lossMask, all.ids, all.lossMask]);
  });
});

describe('sftObjective', () => {
  it('draws every example once per epoch, each batch padded to its own longest example', async () => {
    const model = new GPT(config);
    const objective = sftObjective(model, examples, { batchSize: 2, padId: PAD, seed: 1 });
    const firstIds = new Map(examples.map((ex, i) => [ex.ids[0], i]));
    const drawn: number[] = [];
    for (let k = 0; k < 3; k++) {
      const b = objective.nextBatch() as ReturnType<typeof sftBatch>;
      const rows = (await b.ids.array()) as number[][];
      const picked = rows.map(r => firstIds.get(r[0])!);
      expect(b.ids.shape[1]).toBe(Math.max(...picked.map(i => examples[i].ids.length)));
      drawn.push(...picked);
      objective.disposeBatch(b);
    }
    expect(drawn.slice(0, 3).sort()).toEqual([0, 1, 2]);
    expect(drawn.slice(3, 6).sort()).toEqual([0, 1, 2]);
    model.dispose();
  });

  it('the loss is the mean cross-entropy of the answer tokens, computed by hand', async () => {
    const model = new GPT(config);
    const objective = sftObjective(model, examples, { batchSize: 3, padId: PAD });
    const b = await objective.nextBatch();
    const loss = objective.loss(b);
    expect((await loss.data())[0]).toBeCloseTo((await handScores(model, examples)).loss, 5);
    tf.dispose(loss);
    objective.disposeBatch(b);
    model.dispose();
  });

  it('with maskPrompt false the loss is the mean cross-entropy of every token but the first, padding left out', async () => {
    const model = new GPT(config);
    const objective = sftObjective(model, examples, { batchSize: 3, padId: PAD, maskPrompt: false });
    const b = await objective.nextBatch();
    const loss = (await objective.loss(b).data())[0];
    const every = (await handScores(model, examples, true)).loss;
    expect(loss).toBeCloseTo(every, 5);
    expect(Math.abs(every - (await handScores(model, examples)).loss)).toBeGreaterThan(1e-3); // the two losses differ
    objective.disposeBatch(b);
    model.dispose();
  });

  it('evaluates answer-token loss and argmax accuracy on held-out examples, the same with maskPrompt true or false', async () => {
    const model = new GPT(config);
    const train = sftObjective(model, examples, { batchSize: 3, padId: PAD, seed: 2 });
    const trainer = new Trainer(train, { steps: 40, learningRate: 1e-2, live: false });
    for (let i = 0; i < 40; i++) await trainer.trainStep();
    const heldOut = [examples[2], examples[0], examples[1]];
    const hand = await handScores(model, heldOut);
    expect(hand.accuracy).toBeGreaterThan(0); // a trained model gets some answer tokens right
    for (const maskPrompt of [true, false]) {
      // batchSize 2: two evaluation batches of 2 and 1 examples, weighted by their answer tokens
      const e = await sftObjective(model, examples, { batchSize: 2, padId: PAD, evalExamples: heldOut, maskPrompt }).evaluate();
      expect(e.loss, `maskPrompt ${maskPrompt}`).toBeCloseTo(hand.loss, 5);
      expect(e.metrics.accuracy, `maskPrompt ${maskPrompt}`).toBeCloseTo(hand.accuracy, 10);
      expect(e.metrics.perplexity).toBeCloseTo(Math.exp(hand.loss), 4);
    }
    trainer.dispose();
    model.dispose();
  });

  it('leaves no tensor behind: training steps and evaluations keep tf.memory().numTensors unchanged', async () => {
    const model = new GPT(config);
    const objective = sftObjective(model, examples, { batchSize: 2, padId: PAD, evalExamples: examples });
    const trainer = new Trainer(objective, { steps: 10, learningRate: 1e-3, live: false });
    await trainer.trainStep(); // creates the optimizer's state
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    await objective.evaluate();
    const b = await objective.nextBatch();
    objective.loss(b).dispose(); // the loss leaves nothing but its scalar
    objective.disposeBatch(b);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('rejects, naming the values, an example longer than blockSize, a lossMask of another length, no answer token, ids outside the vocabulary, a bad padId', () => {
    const model = new GPT(config);
    const make = (exs: TokenizedExample[], padId = PAD) => () => sftObjective(model, exs, { batchSize: 2, padId });
    expect(make([examples[0], { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9], lossMask: [0, 0, 0, 0, 1, 1, 1, 1, 1] }])).toThrow('sft: training example 1 has 9 tokens; it must have 2 to blockSize (8)');
    expect(make([{ ids: [1, 2, 3, 4, 5], lossMask: [0, 0, 1, 1] }])).toThrow('sft: training example 0: lossMask has 4 entries for 5 ids');
    expect(make([{ ids: [1, 2, 3], lossMask: [1, 0, 0] }])).toThrow('sft: training example 0 has no answer token');
    expect(make([{ ids: [1, 2, 11], lossMask: [0, 1, 1] }])).toThrow('sft: training example 0: ids[2] = 11 is outside the vocabulary [0, 11)');
    expect(make([{ ids: [1, 2, 3], lossMask: [0, 2, 1] }])).toThrow('sft: training example 0: lossMask[1] = 2, must be 0 or 1');
    expect(make(examples, 11)).toThrow('sft: padId 11 is outside the vocabulary [0, 11)');
    expect(() => sftObjective(model, examples, { batchSize: 2, padId: PAD, evalExamples: [{ ids: [-1, 2], lossMask: [0, 1] }] })).toThrow('sft: evaluation example 0: ids[0] = -1 is outside the vocabulary');
    model.dispose();
  });
});

describe('generateAnswers', () => {
  const prompt = [1, 2, 3];

  it('is the greedy continuation, cut at the stop token (left out)', async () => {
    const model = new GPT(config);
    const tokenizer = CharTokenizer.fromText('abcdefghijk'); // 11 characters, no special token
    const greedy = await generate(model, prompt, { maxNewTokens: 8, temperature: 0 });
    const [full] = await generateAnswers(model, tokenizer, [prompt], { maxNewTokens: 8 });
    expect(full).toBe(tokenizer.decode(greedy));
    const stopId = greedy[3];
    const [cut] = await generateAnswers(model, tokenizer, [prompt], { maxNewTokens: 8, stopId });
    expect(cut).toBe(tokenizer.decode(greedy.slice(0, greedy.indexOf(stopId))));
    model.dispose();
  });

  it('stops at the tokenizer\'s eos by default, and at a stop text, which it leaves out', async () => {
    const model = new GPT(config);
    const tokenizer = CharTokenizer.fromText('abcdefghij', { specialTokens: ['eos'] }); // eos = 10
    const greedy = await generate(model, prompt, { maxNewTokens: 8, temperature: 0 });
    const [answer] = await generateAnswers(model, tokenizer, [prompt], { maxNewTokens: 8 });
    const end = greedy.indexOf(10);
    expect(answer).toBe(tokenizer.decode(end >= 0 ? greedy.slice(0, end) : greedy, { skipSpecialTokens: true }));
    const plain = CharTokenizer.fromText('abcdefghijk');
    const stopText = plain.decode([greedy[2]]);
    const answers = await generateAnswers(model, plain, [prompt, prompt], { maxNewTokens: 8, stopText });
    const text = plain.decode(greedy);
    expect(answers).toEqual([text.slice(0, text.indexOf(stopText)), text.slice(0, text.indexOf(stopText))]);
    model.dispose();
  });
});

describe('instruction data through the chat template', () => {
  it('tokenizes every task: the mask covers exactly the answer and its <|end|>, the prompt is the generation prompt, the longest chats fit the base model', async () => {
    const { model, tokenizer: base } = loadBaseModel();
    const tokenizer = base.withAddedTokens(CHAT_TOKENS, { eos: '<|end|>', pad: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
    const data = instructionDataset({ seed: 2, perTask: 10 });
    const { blockSize } = model.config;
    const tokenize = (exs: typeof data.train) => exs.map(ex => tokenizeChat(tokenizer, ex.messages, { maxLength: blockSize }));
    const train = tokenize(data.train);
    data.train.forEach((ex, i) => {
      const { ids, lossMask } = train[i];
      expect(tokenizer.decode(ids.filter((_, t) => lossMask[t] === 1))).toBe(`${ex.answer}<|end|>`);
      const start = lossMask.indexOf(1);
      expect(ids.slice(0, start)).toEqual(tokenizeChat(tokenizer, ex.messages.slice(0, 1), { addGenerationPrompt: true }).ids);
    });
    // the longest questions: quoted sentences of an address, up to 160 characters
    const addresses = instructionDataset({ seed: 2, perTask: 3000, tasks: ['address'] }).train;
    const longest = addresses.sort((a, b) => b.messages[0].content.length - a.messages[0].content.length).slice(0, 20);
    for (const ex of longest) expect(tokenizeChat(tokenizer, ex.messages).ids.length).toBeLessThanOrEqual(blockSize);
    resizeTokenEmbeddings(model, tokenizer.vocabSize);
    const objective = sftObjective(model, train, { batchSize: 8, padId: tokenizer.specialTokens.pad, evalExamples: tokenize(data.test) });
    const e = await objective.evaluate();
    expect(Number.isFinite(e.loss)).toBe(true);
    model.dispose();
  });
});
