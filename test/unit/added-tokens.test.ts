/** Special tokens added by their text (Hugging Face's additional_special_tokens), and a GPT's token embedding grown for them. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { resizeTokenEmbeddings } from '../../kernel-lib/src/finetune/resize';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { onCpu, SMALL_GPT } from './helpers';

const TEXT = 'the cat sat on the mat. the dog sat on the log. hello there, hello world! '.repeat(20);
const CHAT = ['<|user|>', '<|assistant|>', '<|end|>'];

describe('added special tokens (BpeTokenizer.withAddedTokens)', () => {
  const base = BpeTokenizer.train(TEXT, { vocabSize: 270 });
  const chat = base.withAddedTokens(CHAT, { eos: '<|end|>', pad: '<|end|>' });

  it('take the ids after every existing one, so no existing id moves, and may take roles', () => {
    expect(base.vocabSize).toBe(270);
    expect(chat.vocabSize).toBe(273);
    expect(chat.encode('<|user|><|assistant|><|end|>')).toEqual([270, 271, 272]);
    expect(chat.specialTokens).toEqual({ eos: 272, pad: 272 });
    expect(chat.addedTokens).toEqual(CHAT);
    expect(chat.encode(TEXT)).toEqual(base.encode(TEXT));
    expect(chat.merges).toEqual(base.merges);
  });

  it('encode each one, written in text, as its single id, never split, and cut the text around it for BPE', () => {
    const ids = chat.encode('<|user|>\nhello there<|end|>the cat');
    expect(ids).toEqual([270, ...base.encode('\nhello there'), 272, ...base.encode('the cat')]);
    // without the added tokens the same text is many byte-level pieces
    expect(base.encode('<|end|>').length).toBeGreaterThan(1);
    // a token that starts another (<|end|> in <|endoftext|>) does not cut the longer one short
    const both = base.withAddedTokens(['<|end|>', '<|endoftext|>']);
    expect(both.encode('a<|endoftext|>b<|end|>')).toEqual([...base.encode('a'), 271, ...base.encode('b'), 270]);
  });

  it('decode writes them back as written, and skipSpecialTokens leaves them out', () => {
    const text = '<|user|>\nhello there<|end|>\n<|assistant|>\nthe cat sat<|end|>';
    const ids = chat.encode(text);
    expect(chat.decode(ids)).toBe(text);
    expect(chat.decode(ids, { skipSpecialTokens: true })).toBe('\nhello there\n\nthe cat sat');
    expect(chat.tokenStrings([270, 272])).toEqual(['<|user|>', '<|end|>']);
  });

  it('come after the role tokens (<pad>, <mask>), which keep working beside them', () => {
    const withRoles = BpeTokenizer.train(TEXT, { vocabSize: 270, specialTokens: ['pad', 'mask'] });
    const both = withRoles.withAddedTokens(['<|end|>'], { eos: '<|end|>' });
    expect(both.specialTokens).toEqual({ pad: 268, mask: 269, eos: 270 });
    expect(both.encode('<mask>the<|end|><pad>')).toEqual([269, ...withRoles.encode('the'), 270, 268]);
    expect(both.decode([269, 270, 268], { skipSpecialTokens: true })).toBe('');
  });

  it('are refused, with the reason, when empty, added twice, or given a role they cannot take', () => {
    expect(() => base.withAddedTokens([''])).toThrow('BpeTokenizer: added token 0 must be a non-empty string, got ""');
    expect(() => base.withAddedTokens(['<|end|>', '<|end|>'])).toThrow('the special token "<|end|>" is added twice (it already has id 270');
    expect(() => chat.withAddedTokens(['<|end|>'])).toThrow('the special token "<|end|>" is added twice (it already has id 272)');
    expect(() => base.withAddedTokens(['<|end|>'], { eos: '<|stop|>' })).toThrow('the role eos is given to "<|stop|>", which is not an added token (added: "<|end|>")');
    expect(() => chat.withAddedTokens(['<|stop|>'], { eos: '<|stop|>' })).toThrow('the tokenizer already has a eos token (id 272); a role is given once');
    const roles = { start: '<|end|>' } as unknown as { eos: string };
    expect(() => base.withAddedTokens(['<|end|>'], roles)).toThrow('unknown special token role "start" (the roles are pad, bos, eos, unk, mask, cls, sep)');
  });

  it('save in toJSON and load back with fromJSON: the same ids, roles and chat template', () => {
    const templated = chat.withChatTemplate('{{ messages[0].content }}');
    const again = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(templated)));
    const text = '<|user|>\nhello<|end|>the dog';
    expect(again.encode(text)).toEqual(templated.encode(text));
    expect(again.specialTokens).toEqual({ eos: 272, pad: 272 });
    expect(again.addedTokens).toEqual(CHAT);
    expect(again.chatTemplate).toBe('{{ messages[0].content }}');
    expect(() => BpeTokenizer.fromJSON({ type: 'char', vocab: [] }, 'x.json')).toThrow('BpeTokenizer.fromJSON: x.json is not a BPE tokenizer');
  });
});

describe('resizeTokenEmbeddings', () => {
  it('keeps the old rows bit-identical, starts each new row at the mean of the old ones, and the tied head scores the new ids', async () => {
    await onCpu();
    const model = new GPT(SMALL_GPT);
    const before = model.transformer.wte.weight.dataSync().slice(); // (23, 16)
    const others = model.namedParameters().filter(([n]) => n !== 'transformer.wte.weight');
    const otherValues = others.map(([, v]) => v.dataSync().slice());
    const ids = tf.tensor2d([[1, 5, 9, 22]], [1, 4], 'int32');
    const oldLogits = model.forward(ids).logits;
    const oldWeight = model.transformer.wte.weight;
    const tensorsBefore = tf.memory().numTensors;

    resizeTokenEmbeddings(model, 26);

    expect(tf.memory().numTensors).toBe(tensorsBefore); // the old table is disposed, nothing else made
    expect(oldWeight.isDisposed).toBe(true);
    expect(model.config.vocabSize).toBe(26);
    const weight = model.getParameter('transformer.wte.weight');
    expect(weight).toBe(model.transformer.wte.weight);
    expect(weight.shape).toEqual([26, 16]);
    const after = weight.dataSync();
    expect(after.slice(0, 23 * 16)).toEqual(before);
    for (let c = 0; c < 16; c++) {
      let mean = 0;
      for (let v = 0; v < 23; v++) mean += before[v * 16 + c] / 23;
      for (let v = 23; v < 26; v++) expect(after[v * 16 + c]).toBeCloseTo(mean, 7);
    }
    // no other parameter changed
    others.forEach(([name, v], i) => expect(model.getParameter(name).dataSync(), name).toEqual(otherValues[i]));
    // the head reads the new table: old ids score as before; a new id's logit is h·mean, the mean of the old logits
    const logits = model.forward(ids).logits; // (1, 4, 26)
    expect(logits.shape).toEqual([1, 4, 26]);
    const l = logits.arraySync() as number[][][];
    const o = oldLogits.arraySync() as number[][][];
    for (let t = 0; t < 4; t++) {
      for (let v = 0; v < 23; v++) expect(l[0][t][v]).toBeCloseTo(o[0][t][v], 5);
      const meanOld = o[0][t].reduce((a, b) => a + b, 0) / 23;
      for (let v = 23; v < 26; v++) expect(l[0][t][v]).toBeCloseTo(meanOld, 5);
    }
    tf.dispose([ids, oldLogits, logits]);
    model.dispose();
  });

  it('adds seeded noise of the asked size, keeps a frozen table frozen, and the model trains on the new ids', async () => {
    await onCpu();
    const rows = (seed: number) => {
      const m = new GPT(SMALL_GPT);
      m.freeze('wte');
      resizeTokenEmbeddings(m, 25, { noiseStd: 0.5, seed });
      const w = m.transformer.wte.weight;
      const out = { trainable: w.trainable, values: Array.from(w.dataSync().slice(23 * 16)), mean: Array.from(tf.tidy(() => w.slice([0, 0], [23, 16]).mean(0).dataSync())) };
      m.dispose();
      return out;
    };
    const a = rows(7);
    expect(a.trainable).toBe(false);
    expect(rows(7).values).toEqual(a.values);
    expect(rows(8).values).not.toEqual(a.values);
    const noise = a.values.map((x, i) => x - a.mean[i % 16]); // 32 draws of N(0, 0.5²)
    const std = Math.sqrt(noise.reduce((s, x) => s + x * x, 0) / noise.length);
    expect(std).toBeGreaterThan(0.35);
    expect(std).toBeLessThan(0.65);
    // the loss of a batch that uses the new ids is finite and has a gradient on their rows
    const model = new GPT(SMALL_GPT);
    resizeTokenEmbeddings(model, 25);
    const x = tf.tensor2d([[23, 1, 24, 2]], [1, 4], 'int32');
    const y = tf.tensor2d([[1, 24, 2, 23]], [1, 4], 'int32');
    const { value, grads } = tf.variableGrads(() => model.loss(x, y), [model.transformer.wte.weight]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const g = grads[model.transformer.wte.weight.name].dataSync();
    expect(Math.max(...Array.from(g.slice(23 * 16), Math.abs))).toBeGreaterThan(0);
    tf.dispose([x, y, value, ...Object.values(grads)]);
    model.dispose();
  });

  it('refuses to shrink or a size that is not an integer, naming the sizes', () => {
    const model = new GPT(SMALL_GPT);
    expect(() => resizeTokenEmbeddings(model, 20)).toThrow('resizeTokenEmbeddings: vocabSize (20) is smaller than the model\'s (23); shrinking would drop the embeddings of ids 20..22');
    expect(() => resizeTokenEmbeddings(model, 24.5)).toThrow('resizeTokenEmbeddings: vocabSize must be an integer, got 24.5');
    expect(model.config.vocabSize).toBe(23);
    model.dispose();
  });
});
