/** Chat templates rendered as transformers renders them, the assistant loss mask, and a chat model saved with its tokenizer. */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { loadGPT, loadGPTWithTokenizer, saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { loadTokenizer } from '../../kernel-lib/src/checkpoint/tokenizer';
import { applyChatTemplate, CHAT_TOKENS, ChatMessage, DEFAULT_CHAT_TEMPLATE, tokenizeChat } from '../../kernel-lib/src/finetune/chatTemplate';
import { resizeTokenEmbeddings } from '../../kernel-lib/src/finetune/resize';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { onCpu } from './helpers';

const TEXT = 'the cat sat on the mat. the dog sat on the log. hello there, hello world! '.repeat(20);
const base = BpeTokenizer.train(TEXT, { vocabSize: 270 });
const chatTokenizer = base.withAddedTokens(CHAT_TOKENS, { eos: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const CHAT: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there' },
  { role: 'assistant', content: 'the cat sat' },
  { role: 'user', content: 'and the dog?' },
  { role: 'assistant', content: 'on the log!' }
];

describe('applyChatTemplate', () => {
  it('renders the ChatML template written for transformers to the exact text transformers gives', () => {
    const messages = CHAT.slice(0, 3);
    expect(applyChatTemplate(base, messages, { chatTemplate: CHATML })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\nthe cat sat<|im_end|>\n'
    );
    expect(applyChatTemplate(base, messages.slice(0, 2), { chatTemplate: CHATML, addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n'
    );
  });

  it('renders the default template: a header, the content and eos per turn, bos first when the tokenizer has one', () => {
    expect(applyChatTemplate(chatTokenizer, CHAT.slice(1, 3))).toBe('<|user|>\nhello there<|end|>\n<|assistant|>\nthe cat sat<|end|>\n');
    expect(applyChatTemplate(chatTokenizer, CHAT.slice(1, 2), { addGenerationPrompt: true })).toBe('<|user|>\nhello there<|end|>\n<|assistant|>\n');
    const withBos = BpeTokenizer.train(TEXT, { vocabSize: 270, specialTokens: ['bos'] }).withAddedTokens(['<|user|>', '<|end|>'], { eos: '<|end|>' });
    expect(applyChatTemplate(withBos, CHAT.slice(1, 2), { chatTemplate: DEFAULT_CHAT_TEMPLATE })).toBe('<bos><|user|>\nhello there<|end|>\n');
  });

  it('says what is wrong: no eos token, no template, an unknown role, no messages, a template that does not parse or render', () => {
    expect(() => applyChatTemplate(base, CHAT, { chatTemplate: DEFAULT_CHAT_TEMPLATE })).toThrow(
      'applyChatTemplate: the chat template failed to render (this chat template closes every turn with eos_token; give the tokenizer an eos token)'
    );
    expect(() => applyChatTemplate(base, CHAT)).toThrow('applyChatTemplate: the tokenizer has no chat template; pass { chatTemplate }');
    const tool = [{ role: 'tool', content: '42' }] as unknown as ChatMessage[];
    expect(() => applyChatTemplate(chatTokenizer, tool)).toThrow('applyChatTemplate: message 0 has the role "tool"; the roles are system, user, assistant');
    expect(() => applyChatTemplate(chatTokenizer, [])).toThrow('applyChatTemplate: the chat has no messages');
    expect(() => applyChatTemplate(chatTokenizer, CHAT, { chatTemplate: '{% for m in messages %}' })).toThrow('applyChatTemplate: the chat template is not valid Jinja');
    expect(() => applyChatTemplate(chatTokenizer, CHAT, { chatTemplate: "{{ raise_exception('roles must alternate') }}" })).toThrow(
      'applyChatTemplate: the chat template failed to render (roles must alternate)'
    );
    expect(() => tokenizeChat(chatTokenizer, [{ role: 'user', content: 3 as unknown as string }])).toThrow('message 0 (user) has content of type number, not a string');
  });
});

describe('tokenizeChat', () => {
  /** The runs of consecutive masked ids, decoded. */
  const maskedRuns = (ids: number[], mask: number[]) => {
    const runs: string[] = [];
    let run: number[] = [];
    ids.forEach((id, i) => {
      if (mask[i]) run.push(id);
      if ((!mask[i] || i === ids.length - 1) && run.length) runs.push(chatTokenizer.decode(run)), (run = []);
    });
    return runs;
  };

  it('masks exactly the tokens of each answer and the <|end|> that closes it: not the system, the user turns or the headers', () => {
    const { ids, lossMask, text } = tokenizeChat(chatTokenizer, CHAT);
    expect(text).toBe(applyChatTemplate(chatTokenizer, CHAT));
    expect(chatTokenizer.decode(ids)).toBe(text);
    expect(lossMask.length).toBe(ids.length);
    expect(maskedRuns(ids, lossMask)).toEqual(['the cat sat<|end|>', 'on the log!<|end|>']);
    expect(chatTokenizer.decode(ids.filter((_, i) => !lossMask[i]))).toBe(
      '<|system|>\nBe brief.<|end|>\n<|user|>\nhello there<|end|>\n<|assistant|>\n\n<|user|>\nand the dog?<|end|>\n<|assistant|>\n\n'
    );
    // the tokens before each answer are those of the prompt a generation would start from
    const firstAnswer = lossMask.indexOf(1);
    expect(ids.slice(0, firstAnswer)).toEqual(chatTokenizer.encode(applyChatTemplate(chatTokenizer, CHAT.slice(0, 2), { addGenerationPrompt: true })));
    const secondAnswer = lossMask.indexOf(1, lossMask.indexOf(0, firstAnswer));
    expect(ids.slice(0, secondAnswer)).toEqual(tokenizeChat(chatTokenizer, CHAT.slice(0, 4), { addGenerationPrompt: true }).ids);
    expect(tokenizeChat(chatTokenizer, CHAT.slice(0, 4), { addGenerationPrompt: true }).lossMask.filter(Boolean).length).toBe(chatTokenizer.encode('the cat sat<|end|>').length);
  });

  it('keeps the mask on the answer when BPE would merge the header newline into its first word', () => {
    // trained so that "\nhello" is one token: encoding the whole text would merge across the answer's start
    const merged = BpeTokenizer.train('\nhello '.repeat(50), { vocabSize: 270 }).withAddedTokens(['<|user|>', '<|assistant|>', '<|end|>'], { eos: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
    expect(merged.encode('\nhello').length).toBe(1);
    const chat: ChatMessage[] = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }];
    const { ids, lossMask } = tokenizeChat(merged, chat);
    const first = lossMask.indexOf(1);
    expect(merged.decode(ids.slice(first - 2, first))).toBe('<|assistant|>\n');
    expect(merged.decode(ids.filter((_, i) => lossMask[i]))).toBe('hello<|end|>');
    expect(lossMask.slice(-1)).toEqual([0]); // the newline after <|end|> is the next turn's
  });

  it('masks the ChatML answer through <|im_end|> when that is an added token', () => {
    const chatml = base.withAddedTokens(['<|im_start|>', '<|im_end|>']).withChatTemplate(CHATML);
    const { ids, lossMask } = tokenizeChat(chatml, CHAT.slice(1, 3));
    expect(chatml.decode(ids.filter((_, i) => lossMask[i]))).toBe('the cat sat<|im_end|>');
  });

  it('refuses a chat longer than maxLength, naming both lengths', () => {
    const n = tokenizeChat(chatTokenizer, CHAT).ids.length;
    expect(tokenizeChat(chatTokenizer, CHAT, { maxLength: n }).ids.length).toBe(n);
    expect(() => tokenizeChat(chatTokenizer, CHAT, { maxLength: n - 1 })).toThrow(`tokenizeChat: this chat is ${n} tokens, longer than the context (maxLength ${n - 1})`);
  });

  it('refuses a template that does not render a chat as the start of a longer one', () => {
    const lastOnly = chatTokenizer.withChatTemplate("{{ messages[messages | length - 1]['content'] }}");
    expect(() => tokenizeChat(lastOnly, CHAT.slice(1, 3))).toThrow('tokenizeChat: the chat template does not render the chat before message 1 as the start of the whole chat');
  });
});

describe('a chat model saved with its tokenizer', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-chat-'));

  it('resized for 3 added tokens, saves and loads back: the same ids for a chat, the same chat text, the same logits', async () => {
    await onCpu();
    const { model, tokenizer } = loadBaseModel();
    const chat = tokenizer.withAddedTokens(['<|user|>', '<|assistant|>', '<|end|>'], { eos: '<|end|>', pad: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
    expect(chat.encode('<|user|><|assistant|><|end|>')).toEqual([1024, 1025, 1026]);
    resizeTokenEmbeddings(model, chat.vocabSize);
    const folder = path.join(tmp(), 'chat');
    await saveGPT(model, folder, { tokenizer: chat });

    const hf = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8'));
    expect(hf.chat_template).toBe(DEFAULT_CHAT_TEMPLATE);
    expect(hf.added_tokens_decoder).toEqual({
      1024: { content: '<|user|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      1025: { content: '<|assistant|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      1026: { content: '<|end|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }
    });
    expect(hf).toMatchObject({ eos_token: '<|end|>', pad_token: '<|end|>', model_max_length: 128, additional_special_tokens: ['<|user|>', '<|assistant|>', '<|end|>'] });
    expect(hf.bos_token).toBeUndefined();

    const loaded = loadGPTWithTokenizer(folder);
    const messages: ChatMessage[] = [{ role: 'user', content: 'Call me Ishmael.' }, { role: 'assistant', content: 'Some years ago, never mind how long.' }];
    const a = tokenizeChat(chat, messages, { maxLength: 128 });
    const b = tokenizeChat(loaded.tokenizer, messages, { maxLength: 128 });
    expect(b).toEqual(a);
    expect(loaded.tokenizer.specialTokens).toEqual({ eos: 1026, pad: 1026 });
    expect(loaded.model.config.vocabSize).toBe(1027);
    const x = tf.tensor2d([a.ids], [1, a.ids.length], 'int32');
    const before = model.forward(x).logits;
    const after = loaded.model.forward(x).logits;
    expect(after.shape).toEqual([1, a.ids.length, 1027]);
    expect(after.dataSync()).toEqual(before.dataSync());
    tf.dispose([x, before, after]);
    loaded.model.dispose();
    model.dispose();
  });

  it('refuses a tokenizer bigger than the model, a tokenizer_config.json that disagrees, and drops a stale one', async () => {
    await onCpu();
    const { model, tokenizer } = loadBaseModel();
    const chat = tokenizer.withAddedTokens(['<|end|>'], { eos: '<|end|>' }).withChatTemplate(DEFAULT_CHAT_TEMPLATE);
    const folder = path.join(tmp(), 'chat');
    await expect(saveGPT(model, folder, { tokenizer: chat })).rejects.toThrow('saveGPT: the tokenizer has 1025 tokens, more than the model\'s vocabSize 1024; call resizeTokenEmbeddings(model, 1025) first');
    expect(fs.existsSync(folder)).toBe(false);
    resizeTokenEmbeddings(model, 1025);
    await saveGPT(model, folder, { tokenizer: chat });
    const hfFile = path.join(folder, 'tokenizer_config.json');
    const hf = JSON.parse(fs.readFileSync(hfFile, 'utf8'));
    fs.writeFileSync(hfFile, JSON.stringify({ ...hf, eos_token: '<eos>' }));
    expect(() => loadTokenizer(folder)).toThrow(`loadTokenizer: ${hfFile} and ${path.join(folder, 'config.json')} describe different tokenizers: eos_token is "<eos>" in one and "<|end|>" in the other`);
    // saved again with the tokenizer as plain JSON: no tokenizer_config.json is left to contradict it
    await saveGPT(model, folder, { tokenizer: chat.toJSON() });
    expect(fs.existsSync(hfFile)).toBe(false);
    expect(loadTokenizer(folder).chatTemplate).toBe(DEFAULT_CHAT_TEMPLATE);
    const { model: again } = loadGPT(folder);
    expect(again.config.vocabSize).toBe(1025);
    again.dispose();
    model.dispose();
  });
});
