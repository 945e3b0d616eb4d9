import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGPTWithTokenizer, saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { loadHfGPT } from '../../kernel-lib/src/checkpoint/hfFolder';
import { decodeSafetensors, encodeSafetensors, NamedArray } from '../../kernel-lib/src/checkpoint/safetensors';
import { CHAT_TOKENS, DEFAULT_CHAT_TEMPLATE } from '../../kernel-lib/src/finetune/chatTemplate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { onCpu } from './helpers';

beforeAll(onCpu);

const CORPUS = "Call me Ishmael. Some years ago, never mind how long precisely, I'd thought I'll sail about.\tThey've seen the watery part of the world.\n".repeat(4);
const TEXTS = ['Call me Ishmael, they\'ve said.\n\tWhale!', 'Café 東京 Привет 😀', '<|user|>\nhi<|end|>\n<|assistant|>\nhello<|end|>'];

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-hf-'));
const read = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
const write = (dir: string, file: string, value: unknown) => fs.writeFileSync(path.join(dir, file), typeof value === 'string' ? value : JSON.stringify(value));

/** A small GPT and a chat tokenizer as sft.test.ts builds one: a trained BPE with <|user|> ... <|end|> (eos and pad). */
function chatModel(dropout = 0): { model: GPT; tokenizer: BpeTokenizer } {
  const tokenizer = BpeTokenizer.train(CORPUS, { vocabSize: 300 }).withAddedTokens(CHAT_TOKENS, { eos: '<|end|>', pad: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
  return { model: new GPT({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3, dropout }), tokenizer };
}

async function logitsOf(model: GPT, ids: number[]): Promise<number[]> {
  const x = tf.tensor2d([ids], [1, ids.length], 'int32');
  const { logits } = model.forward(x);
  const values = Array.from(await logits.data());
  tf.dispose([x, logits]);
  return values;
}

/**
 * The folder transformers' save_pretrained would write for `lab` (a folder saved by saveGPT): no
 * llm_lab entry, the tensors under GPT-2's names (bare "h.0...", as the original GPT-2 files, or
 * "transformer.h.0..."), optionally with lm_head.weight and the attention mask buffers, and the
 * tokenizer as tokenizer.json or as vocab.json + merges.txt only.
 */
function asTransformersFolder(lab: string, { prefix, extraTensors, tokenizer }: { prefix: boolean; extraTensors: boolean; tokenizer: 'json' | 'slow' }): string {
  const dir = tmp();
  const { llm_lab: _, ...config } = read(lab, 'config.json');
  write(dir, 'config.json', config);
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(lab, 'model.safetensors'))), 'lab');
  const renamed = new Map<string, NamedArray>();
  for (const [name, t] of tensors) renamed.set(prefix ? name : name.replace(/^transformer\./, ''), t);
  if (extraTensors) {
    renamed.set('lm_head.weight', tensors.get('transformer.wte.weight')!);
    for (let i = 0; i < config.n_layer; i++) renamed.set(`h.${i}.attn.bias`, { shape: [1, 1, 4, 4], data: new Float32Array(16).fill(1) });
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(renamed, { format: 'pt' }));
  const files = tokenizer === 'json' ? ['tokenizer.json', 'tokenizer_config.json'] : ['vocab.json', 'merges.txt', 'tokenizer_config.json'];
  for (const f of files) fs.copyFileSync(path.join(lab, f), path.join(dir, f));
  return dir;
}

describe('a saved GPT folder speaks Hugging Face', () => {
  it('holds tokenizer.json, vocab.json and merges.txt, and config.json gives the special ids and the dropout', async () => {
    const { model, tokenizer } = chatModel(0.1);
    const dir = tmp();
    await saveGPT(model, dir, { tokenizer });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'merges.txt', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json']);
    const end = tokenizer.encode('<|end|>')[0];
    expect(read(dir, 'config.json')).toMatchObject({ bos_token_id: null, eos_token_id: end, pad_token_id: end, embd_pdrop: 0.1, attn_pdrop: 0.1, resid_pdrop: 0.1 });
    const merges = fs.readFileSync(path.join(dir, 'merges.txt'), 'utf8').split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges.length - 2).toBe(tokenizer.merges.length); // the version line, and a final newline
    // and what the folder says is what the lab does
    const hf = new HfTokenizer(read(dir, 'tokenizer.json'), read(dir, 'tokenizer_config.json'));
    for (const text of TEXTS) expect(hf.encode(text, { add_special_tokens: false }).ids).toEqual(tokenizer.encode(text));
    const loaded = loadGPTWithTokenizer(dir);
    expect(loaded.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    // a tokenizer.json edited by hand no longer describes the lab's tokenizer: the load says so
    const json = read(dir, 'tokenizer.json');
    write(dir, 'tokenizer.json', { ...json, added_tokens: json.added_tokens.slice(1) });
    expect(() => loadGPTWithTokenizer(dir)).toThrow(`loadGPTWithTokenizer: ${path.join(dir, 'tokenizer.json')} and ${path.join(dir, 'config.json')} describe different tokenizers: added_tokens is`);
    model.dispose();
    loaded.model.dispose();
  });

  it('without a tokenizer, config.json says there are no special ids (null, not GPT-2\'s 50256) and stale tokenizer files go', async () => {
    const { model, tokenizer } = chatModel();
    const dir = tmp();
    await saveGPT(model, dir, { tokenizer });
    await saveGPT(model, dir);
    expect(read(dir, 'config.json')).toMatchObject({ bos_token_id: null, eos_token_id: null, pad_token_id: null, embd_pdrop: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    model.dispose();
  });
});

describe('a GPT-2 folder in the transformers layout loads into the lab', () => {
  const layouts = [
    { prefix: false, extraTensors: true, tokenizer: 'json' },
    { prefix: true, extraTensors: false, tokenizer: 'slow' }
  ] as const;
  for (const layout of layouts) {
    it(`with ${layout.prefix ? '"transformer.h.0..."' : '"h.0..." names, lm_head.weight and mask buffers'} and ${layout.tokenizer === 'json' ? 'tokenizer.json' : 'vocab.json + merges.txt'}: the same logits, ids, roles and chat template`, async () => {
      const { model, tokenizer } = chatModel();
      const lab = tmp();
      await saveGPT(model, lab, { tokenizer });
      const dir = asTransformersFolder(lab, layout);
      const ids = tokenizer.encode(TEXTS[2]);
      const expected = await logitsOf(model, ids);
      const loaded = loadHfGPT(dir);
      for (const text of TEXTS) expect(loaded.tokenizer.encode(text)).toEqual(tokenizer.encode(text));
      expect(loaded.tokenizer.specialTokens).toEqual(tokenizer.specialTokens);
      expect(loaded.tokenizer.chatTemplate).toBe(DEFAULT_CHAT_TEMPLATE);
      expect(loaded.model.config).toMatchObject({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0 });
      expect(await logitsOf(loaded.model, ids)).toEqual(expected);
      loaded.model.dispose();
      const before = tf.memory().numTensors; // a load leaves no tensor behind once its model is disposed
      loadHfGPT(dir).model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it('refuses, naming the values: no tokenizer files, a tokenizer.json of another model type, a config.json that does not match the weights', async () => {
    const { model, tokenizer } = chatModel();
    const lab = tmp();
    await saveGPT(model, lab, { tokenizer });
    const dir = asTransformersFolder(lab, { prefix: false, extraTensors: false, tokenizer: 'json' });
    const before = tf.memory().numTensors;

    const json = read(dir, 'tokenizer.json');
    write(dir, 'tokenizer.json', { ...json, model: { type: 'Unigram', vocab: [] } });
    expect(() => loadHfGPT(dir)).toThrow(`${path.join(dir, 'tokenizer.json')}: the model type is "Unigram"; LLM Lab reads byte-level "BPE" tokenizers only`);
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    expect(() => loadHfGPT(dir)).toThrow(`loadHfGPT: ${dir} has neither tokenizer.json nor vocab.json + merges.txt (it holds: config.json, model.safetensors, tokenizer_config.json)`);
    write(dir, 'tokenizer.json', json);

    const config = read(dir, 'config.json');
    write(dir, 'config.json', { ...config, n_embd: 32, n_inner: 128 });
    expect(() => loadHfGPT(dir)).toThrow(/describes a model of at least .* values .* but .*model.safetensors holds \d+ in \d+ tensors; nothing was built/);
    write(dir, 'config.json', { ...config, n_positions: 64 });
    expect(() => loadHfGPT(dir)).toThrow('transformer.wpe.weight: checkpoint [32,16], model [64,16]');
    write(dir, 'config.json', { ...config, activation_function: 'relu' });
    expect(() => loadHfGPT(dir)).toThrow(`${path.join(dir, 'config.json')}: activation_function is "relu"; the lab's GELU is the tanh approximation ("gelu_new")`);
    const { embd_pdrop: _, ...noDropout } = config;
    write(dir, 'config.json', noDropout);
    expect(() => loadHfGPT(dir)).toThrow('embd_pdrop, attn_pdrop and resid_pdrop are 0.1, 0, 0; the lab has one dropout rate for all three');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
