import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { BYTE_CHARS, hfTokenizerJson, hfVocab, mergesText, tokenizerFromHfJson, tokenizerFromVocabAndMerges } from '../../kernel-lib/src/checkpoint/hfTokenizer';
import { tokenizerConfig } from '../../kernel-lib/src/checkpoint/tokenizer';
import { CHAT_TOKENS, DEFAULT_CHAT_TEMPLATE } from '../../kernel-lib/src/finetune/chatTemplate';
import { BpeTokenizer, PRE_TOKENIZER_PATTERN } from '../../kernel-lib/src/tokenizers/bpe';

/** Texts where pre-tokenizers and byte mappings differ, if they differ at all. */
const TEXTS = [
  'The whale, the whale! Call me Ishmael.',
  "don't I'll they've we're she's I'm you'd DON'T",
  'Café naïve résumé Ångström façade', // accents (precomposed)
  'Cafe\u0301 nai\u0308ve', // combining marks
  '東京は日本の首都です。北京欢迎你', // CJK
  'Привет, мир! Съешь же ещё этих мягких французских булок.', // Cyrillic
  'مرحبا بالعالم שלום', // right to left
  'emoji 😀👍🏽 👨‍👩‍👧 🇫🇷 done', // surrogate pairs, ZWJ sequences, flags
  'runs   of    spaces     and\ttabs\t\tand\n\nnewlines\r\n end  ',
  '   leading and trailing   ',
  ' \t\n mixed \u00a0no-break\u3000ideographic\u2028line\ufeffbom\u0085nel',
  'numbers 3.14159 and 2024-12-02, ¹²³ ½ ٣',
  'symbols: <>{}[]()!@#$%^&*_+=|\\/~`?',
  '',
  ' '
];

/** Chat texts with the special tokens inside words, between spaces, back to back. */
const CHAT_TEXTS = [
  '<|user|>\nWhat is a whale?<|end|>\n<|assistant|>\nA large mammal.<|end|>',
  'a<|end|>b <|user|> c<|end|><|end|>  <|assistant|>',
  '<|system|>be brief<|end|><|user|>don\'t<|end|>'
];

/** The ids `reader` gives for `text`, and its decoding of the lab's ids (it refuses to decode no ids). */
function readBack(reader: HfTokenizer, text: string, ids: number[]): { ids: number[]; text: string } {
  return { ids: reader.encode(text, { add_special_tokens: false }).ids, text: ids.length ? reader.decode(ids, { skip_special_tokens: false }) : '' };
}

function reader(tokenizer: BpeTokenizer): HfTokenizer {
  return new HfTokenizer(hfTokenizerJson(tokenizer), tokenizerConfig(tokenizer, 128));
}

let base: BpeTokenizer;
let chat: BpeTokenizer;
let roles: BpeTokenizer;
/** Trained where whitespace other than a space comes before words, so it has merges like "\tword" that GPT-2's pattern would never form. */
let spaced: BpeTokenizer;
const SPACED_TEXT = '\tword\nword\u00a0word\u3000word\ufeffword \u0085word\r\nword '.repeat(20);

beforeAll(() => {
  const loaded = loadBaseModel();
  loaded.model.dispose();
  base = loaded.tokenizer;
  // as test/learning/sft.test.ts chatModel() builds it
  chat = base.withAddedTokens(CHAT_TOKENS, { eos: '<|end|>', pad: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
  spaced = BpeTokenizer.train(SPACED_TEXT, { vocabSize: 300 });
  roles = BpeTokenizer.train(TEXTS.join(' ').repeat(3), { vocabSize: 400, specialTokens: ['pad', 'bos', 'eos', 'mask'] }).withAddedTokens(['<|tool|>']);
});

describe("tokenizer.json read by Hugging Face's tokenizers.js gives the lab's ids", () => {
  it('on the base model tokenizer: every text, ids equal and the lab ids decode back to the text', () => {
    const hf = reader(base);
    for (const text of TEXTS) {
      const ids = base.encode(text);
      expect(readBack(hf, text, ids), JSON.stringify(text)).toEqual({ ids, text });
    }
  });

  it('on the chat tokenizer (added <|user|> ... <|end|>): chat texts and plain texts', () => {
    const hf = reader(chat);
    for (const text of [...CHAT_TEXTS, ...TEXTS]) {
      const ids = chat.encode(text);
      expect(readBack(hf, text, ids), JSON.stringify(text)).toEqual({ ids, text });
    }
    const end = chat.specialTokens.eos;
    expect(hf.encode('<|end|>', { add_special_tokens: false }).ids).toEqual([end]);
    expect(hf.decode(chat.encode(CHAT_TEXTS[0]), { skip_special_tokens: true })).toBe(chat.decode(chat.encode(CHAT_TEXTS[0]), { skipSpecialTokens: true }));
  });

  it('on a tokenizer with role tokens <pad> <bos> <eos> <mask> and an added one', () => {
    const hf = reader(roles);
    for (const text of [...TEXTS, '<bos>hello<eos><pad><pad>', 'a <mask> b<|tool|>']) {
      const ids = roles.encode(text);
      expect(readBack(hf, text, ids), JSON.stringify(text)).toEqual({ ids, text });
    }
  });

  it('on a tokenizer with merges of whitespace and a word; there GPT-2\'s pattern, or the pattern with \\s, gives other ids', () => {
    const texts = [...TEXTS, SPACED_TEXT.slice(0, 60)];
    const json = hfTokenizerJson(spaced) as { pre_tokenizer: { pretokenizers: object[] } };
    const gpt2 = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    const withBackslashS = { ...json.pre_tokenizer, pretokenizers: [{ type: 'Split', pattern: { Regex: String.raw`\s?\p{L}+|\s?\p{N}+|\s?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` }, behavior: 'Isolated', invert: false }, json.pre_tokenizer.pretokenizers[1]] };
    const agree = (pre: object) => {
      const hf = new HfTokenizer({ ...json, pre_tokenizer: pre }, {});
      return texts.every(text => JSON.stringify(hf.encode(text, { add_special_tokens: false }).ids) === JSON.stringify(spaced.encode(text)));
    };
    expect([agree(json.pre_tokenizer), agree(gpt2), agree(withBackslashS)]).toEqual([true, false, false]);
  });

  it('on every single character of the Basic Multilingual Plane and some beyond, each alone and after a space', () => {
    const hf = reader(base);
    let text = '';
    for (let cp = 0; cp < 0x30000; cp += cp < 0x3000 ? 1 : 97) {
      if (cp >= 0xd800 && cp < 0xe000) continue; // lone surrogates are no text
      const ch = String.fromCodePoint(cp);
      text += ch + ' ' + ch + ch + '\t' + ch;
    }
    expect(hf.encode(text, { add_special_tokens: false }).ids).toEqual(base.encode(text));
  });
});

describe('the exported files', () => {
  it("the pattern's whitespace class is exactly JavaScript's \\s, so the lab cuts texts as before", () => {
    const ws = new RegExp(`^${PRE_TOKENIZER_PATTERN.slice(0, PRE_TOKENIZER_PATTERN.indexOf(']') + 1)}$`, 'u');
    const differ: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const ch = String.fromCodePoint(cp);
      if (/^\s$/u.test(ch) !== ws.test(ch)) differ.push(cp.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it("GPT-2's byte characters: 256 distinct, printable, space is Ġ and newline Ċ", () => {
    expect(new Set(BYTE_CHARS).size).toBe(256);
    expect([BYTE_CHARS[0x20], BYTE_CHARS[0x0a], BYTE_CHARS[0x41], BYTE_CHARS[0xad]]).toEqual(['Ġ', 'Ċ', 'A', 'Ń']);
  });

  it('tokenizer.json and vocab.json + merges.txt read back into the same tokenizer (ids, roles, chat template)', () => {
    for (const tok of [base, chat, roles]) {
      const config = tokenizerConfig(tok, 128);
      const roleTexts = Object.fromEntries(['pad', 'bos', 'eos', 'unk', 'mask', 'cls', 'sep'].filter(n => `${n}_token` in config).map(n => [n, config[`${n}_token`] as string]));
      const extras = { roles: roleTexts, chatTemplate: tok.chatTemplate };
      const json = JSON.parse(JSON.stringify(hfTokenizerJson(tok)));
      const fromJson = tokenizerFromHfJson(json, extras);
      const fromFiles = tokenizerFromVocabAndMerges(JSON.parse(JSON.stringify(hfVocab(tok))), mergesText(tok), json.added_tokens, extras);
      for (const back of [fromJson, fromFiles]) {
        expect(back.toJSON()).toEqual(tok.toJSON());
        expect(back.specialTokens).toEqual(tok.specialTokens);
      }
    }
  });

  it('a tokenizer.json of another model type, another pre-tokenizer or another vocabulary order is refused, naming what it has', () => {
    const json = JSON.parse(JSON.stringify(hfTokenizerJson(chat)));
    expect(() => tokenizerFromHfJson({ ...json, model: { ...json.model, type: 'WordPiece' } })).toThrow('tokenizer.json: the model type is "WordPiece"; LLM Lab reads byte-level "BPE" tokenizers only');
    const gpt2Pre = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    expect(() => tokenizerFromHfJson({ ...json, pre_tokenizer: gpt2Pre })).toThrow(/its pre_tokenizer is not LLM Lab's .*"use_regex":true/);
    const swapped = { ...json.model.vocab, '!': 1, '"': 0 };
    expect(() => tokenizerFromHfJson({ ...json, model: { ...json.model, vocab: swapped } })).toThrow('tokenizer.json: the byte 0x21 ("!") has id 1, not 33');
    const shifted = json.added_tokens.map((t: { id: number }) => ({ ...t, id: t.id + 1 }));
    expect(() => tokenizerFromHfJson({ ...json, added_tokens: shifted })).toThrow(`the added token "<|system|>" has id ${chat.vocabSize - 3}, expected ${chat.vocabSize - 4}`);
  });
});
