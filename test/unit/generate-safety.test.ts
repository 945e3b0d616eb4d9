/**
 * Generation in a notebook: a kernel interrupt (SIGINT) stops generate and Seq2Seq.generate
 * between two tokens with an InterruptedError and leaves the model and the tensors as they were;
 * logits that are not finite stop it with the step and the reason; without an interrupt the
 * tokens are the ones generation chose before it watched for interrupts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, generateText } from '../../kernel-lib/src/generate';
import { InterruptedError, watchInterrupt } from '../../kernel-lib/src/interrupt';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { onCpu } from './helpers';

beforeAll(onCpu);

const gptConfig = { vocabSize: 17, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 4 };
const seq2seqConfig = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 5 };
const sampling = { maxNewTokens: 20, seed: 7, temperature: 1.5, topK: 10 };
const translate = { maxNewTokens: 8, bosId: 3, eosId: 2 };
const sources = [[4, 5, 6], [7, 8], [9, 10, 11, 12]];
// What generate and Seq2Seq.generate returned for these models before they watched for interrupts.
const SAMPLED = [0, 0, 16, 14, 10, 6, 6, 2, 8, 13, 5, 2, 11, 7, 5, 7, 7, 9, 5, 16];
const TRANSLATED = [[3, 3, 3, 11, 11, 11, 11, 11], [3, 3, 3, 11, 11, 11, 11, 11], [3, 3, 3, 11, 11, 11, 11, 11]];

/** Make every weight of `model` NaN. */
function breakWeights(model: GPT | Seq2Seq): void {
  for (const [, v] of model.namedParameters()) v.assign(tf.fill(v.shape, NaN));
}

describe('generation without an interrupt', () => {
  it('chooses the same tokens as before (sampled GPT, greedy Seq2Seq batch)', async () => {
    expect(await generate(new GPT(gptConfig), [3, 1, 4], sampling)).toEqual(SAMPLED);
    expect(await new Seq2Seq(seq2seqConfig).generate(sources, translate)).toEqual(TRANSLATED);
  });

  it('leaves no SIGINT listener behind, after a result or an error', async () => {
    const listeners = process.listenerCount('SIGINT');
    const model = new GPT(gptConfig);
    await generate(model, [3], { maxNewTokens: 3 });
    await expect(generate(model, [3], { maxNewTokens: 3, onToken: () => { throw new Error('stop'); } })).rejects.toThrow('stop');
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});

describe('a kernel interrupt (SIGINT)', () => {
  it('stops a long generate within 0.5 s with an InterruptedError; the next generate gives the same tokens as ever', async () => {
    const model = new GPT(gptConfig);
    const tensors = tf.memory().numTensors;
    let chosen = 0;
    const running = generate(model, [3, 1, 4], { maxNewTokens: 1_000_000, onToken: () => chosen++ });
    await new Promise(resolve => setTimeout(resolve, 300));
    const sent = performance.now();
    process.emit('SIGINT');
    const error = await running.then(() => null, (e: Error) => e);
    const stoppedMs = performance.now() - sent;

    expect(error).toBeInstanceOf(InterruptedError);
    expect(error!.message).toBe(`generate: interrupted after ${chosen} of 1000000 tokens; the model is unchanged`);
    expect(chosen).toBeGreaterThan(0); // it was generating when the interrupt came
    expect(stoppedMs).toBeLessThan(500);
    expect(tf.memory().numTensors).toBe(tensors); // the KV cache is gone too
    expect(await generate(model, [3, 1, 4], sampling)).toEqual(SAMPLED);
  });

  it('stops generateText with the text streamed so far kept on screen', async () => {
    const tokenizer = CharTokenizer.fromText('abcdefghijklmnopq'); // 17 characters: the model's vocabulary
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => written.push(s)) as typeof process.stdout.write;
    try {
      const running = generateText(new GPT(gptConfig), tokenizer, 'abc', { maxNewTokens: 1_000_000, stream: true });
      await new Promise(resolve => setTimeout(resolve, 300));
      process.emit('SIGINT');
      await expect(running).rejects.toThrow(/^generate: interrupted after \d+ of 1000000 tokens; the model is unchanged$/);
    } finally {
      process.stdout.write = write;
    }
    expect(written.join('')).toMatch(/^abc[a-q]+\n$/);
  });

  it('stops Seq2Seq.generate at the next token; the next call gives the same tokens as ever', async () => {
    const model = new Seq2Seq(seq2seqConfig);
    const tensors = tf.memory().numTensors;
    const decode = model.decode.bind(model);
    let decodes = 0;
    model.decode = (...args: Parameters<typeof decode>) => {
      if (++decodes === 1) process.emit('SIGINT'); // arrives during the first token
      return decode(...args);
    };
    await expect(model.generate(sources, translate)).rejects.toThrow(new InterruptedError('Seq2Seq.generate: interrupted after 1 of 8 tokens; the model is unchanged'));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await model.generate(sources, translate)).toEqual(TRANSLATED);
    expect(decodes).toBe(1 + 8);
  });

  it('that came before a watch began is not seen by it', async () => {
    process.emit('SIGINT');
    const interrupt = watchInterrupt();
    try {
      process.emit('SIGINT'); // not listening yet: the cell's own turn
      expect(await interrupt.poll()).toBe(false);
      process.emit('SIGINT');
      expect(interrupt.requested).toBe(true);
    } finally {
      interrupt.close();
    }
  });
});

describe('logits that are not finite', () => {
  it('stop generate at the token they appear with the reason, not with a token', async () => {
    const model = new GPT(gptConfig);
    let chosen = 0;
    const onToken = () => {
      if (++chosen === 2) breakWeights(model); // the third token is the first from broken weights
    };
    await expect(generate(model, [3, 1, 4], { ...sampling, onToken })).rejects.toThrow(
      "generate: the logits at token 3 are not finite (NaN for id 0): the model's weights are broken — reload a checkpoint or retrain"
    );
    await expect(generate(model, [3], { maxNewTokens: 5, temperature: 0 })).rejects.toThrow('generate: the logits at token 1 are not finite (NaN');
  });

  it('stop Seq2Seq.generate with the source and the token', async () => {
    const model = new Seq2Seq(seq2seqConfig);
    breakWeights(model);
    await expect(model.generate(sources, translate)).rejects.toThrow(
      "Seq2Seq.generate (source 0): the logits at token 1 are not finite (NaN for id 0): the model's weights are broken — reload a checkpoint or retrain"
    );
  });
});
