/**
 * Chats as text and tokens, the way Hugging Face does it: the tokenizer carries a Jinja
 * `chat_template`, rendered by the ecosystem's own renderer (@huggingface/jinja, which
 * transformers.js uses) with the same variables transformers passes (messages,
 * add_generation_prompt, bos_token, eos_token, ...), so a template written for transformers gives
 * the same text here.
 *
 * For supervised fine-tuning, tokenizeChat also gives a loss mask: 1 on the tokens of the
 * assistant's answers (with the token that closes each answer, so the model learns to stop), 0 on
 * the system and user turns and the role headers, like transformers' return_assistant_tokens_mask.
 */
import { Template } from '@huggingface/jinja';
import { ChatMessage, SPECIAL_TOKEN_NAMES, Tokenizer } from '../tokenizers/tokenizer';

export type { ChatMessage } from '../tokenizers/tokenizer';

const ROLES = ['system', 'user', 'assistant'];

/** The added special tokens DEFAULT_CHAT_TEMPLATE writes: one header per role, and the end of a turn. */
export const CHAT_TOKENS = ['<|system|>', '<|user|>', '<|assistant|>', '<|end|>'] as const;

/**
 * Each turn is a role header, the content and eos_token (give the tokenizer eos = '<|end|>'):
 *   <|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n
 * With add_generation_prompt it ends with the assistant's header, for the model to answer.
 */
export const DEFAULT_CHAT_TEMPLATE = [
  "{% if not eos_token %}{{ raise_exception('this chat template closes every turn with eos_token; give the tokenizer an eos token') }}{% endif %}",
  '{% if bos_token %}{{ bos_token }}{% endif %}',
  '{% for message in messages %}',
  "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' -}}",
  '{% endfor %}',
  '{% if add_generation_prompt %}',
  "{{ '<|assistant|>\\n' -}}",
  '{% endif %}'
].join('\n');

/**
 * A chat in plain text, with no special tokens, for a model whose vocabulary stays as it is (PEFT
 * methods freeze the embeddings, so new tokens could not learn what they mean):
 *   Q: Say kind again.\nA: kind\n
 * Generation starts after "A:" and stops at the newline (generateAnswers' stopText: '\n').
 */
export const PLAIN_CHAT_TEMPLATE = [
  '{% for message in messages %}',
  "{% if message['role'] == 'assistant' %}{{ 'A: ' + message['content'] + '\n' -}}",
  "{% elif message['role'] == 'user' %}{{ 'Q: ' + message['content'] + '\n' -}}",
  "{% else %}{{ message['content'] + '\n' -}}{% endif %}",
  '{% endfor %}',
  "{% if add_generation_prompt %}{{ 'A:' -}}{% endif %}"
].join('\n');

export interface ApplyChatTemplateOptions {
  /** End with the assistant's header, so the model writes the answer (default false). */
  addGenerationPrompt?: boolean;
  /** Only text here (tokenizeChat gives the ids); transformers' tokenize=False. */
  tokenize?: false;
  /** A template to use instead of the tokenizer's. */
  chatTemplate?: string;
}

/** The chat as text, rendered by the tokenizer's chat template (transformers' apply_chat_template(tokenize=False)). */
export function applyChatTemplate(tokenizer: Tokenizer, messages: ChatMessage[], options: ApplyChatTemplateOptions = {}): string {
  if (options.tokenize !== undefined && options.tokenize !== false) {
    throw new Error('applyChatTemplate: gives text only (tokenize: false); tokenizeChat(tokenizer, messages) gives the ids and the loss mask');
  }
  checkMessages('applyChatTemplate', messages);
  const template = options.chatTemplate ?? tokenizer.chatTemplate;
  if (template === undefined) {
    throw new Error('applyChatTemplate: the tokenizer has no chat template; pass { chatTemplate } or use tokenizer.withChatTemplate(DEFAULT_CHAT_TEMPLATE)');
  }
  return render('applyChatTemplate', template, tokenizer, messages, options.addGenerationPrompt ?? false);
}

export interface TokenizeChatOptions {
  /** End with the assistant's header (a prompt for generation); default false. */
  addGenerationPrompt?: boolean;
  /** The most ids the chat may have (the model's context); a longer chat is an error. */
  maxLength?: number;
}

/**
 * The chat's ids, its loss mask (1 on the answers' tokens) and its text.
 *
 * Each answer is found as text: the template rendered up to the answer's header (the chat before
 * it with add_generation_prompt) and through the answer (the chat up to it) differ by exactly the
 * answer and what closes it. The text is then cut at the start and end of every answer and each
 * piece encoded on its own, so no BPE merge crosses a cut and every token is wholly in or out of an
 * answer. Those are the ids generation sees too: the prompt (up to the header) encoded on its own,
 * the answer's tokens after it. The mask ends with the last special token of the answer (the
 * closing <|end|>); a newline after it belongs to the next turn.
 */
export function tokenizeChat(tokenizer: Tokenizer, messages: ChatMessage[], { addGenerationPrompt = false, maxLength }: TokenizeChatOptions = {}): { ids: number[]; lossMask: number[]; text: string } {
  const text = applyChatTemplate(tokenizer, messages, { addGenerationPrompt });
  const template = tokenizer.chatTemplate!;
  // [start, end) of each answer's rendering in `text`
  const answers: [number, number][] = [];
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    const before = render('tokenizeChat', template, tokenizer, messages.slice(0, i), true);
    const through = render('tokenizeChat', template, tokenizer, messages.slice(0, i + 1), false);
    if (!through.startsWith(before) || !text.startsWith(through)) {
      throw new Error(`tokenizeChat: the chat template does not render the chat before message ${i} as the start of the whole chat, so the answer's tokens cannot be found (rendered up to its header: ${JSON.stringify(before.slice(-60))}; through it: ${JSON.stringify(through.slice(-60))})`);
    }
    answers.push([before.length, through.length]);
  });
  const ids: number[] = [];
  const lossMask: number[] = [];
  const add = (piece: number[], mask: (k: number) => number) => piece.forEach((id, k) => (ids.push(id), lossMask.push(mask(k))));
  let done = 0;
  for (const [start, end] of answers) {
    add(tokenizer.encode(text.slice(done, start)), () => 0);
    const answer = tokenizer.encode(text.slice(start, end));
    // through the last special token (the one closing the answer); all of it if it has none
    const closing = lastSpecial(tokenizer, answer);
    const last = closing >= 0 ? closing : answer.length - 1;
    add(answer, k => (k <= last ? 1 : 0));
    done = end;
  }
  add(tokenizer.encode(text.slice(done)), () => 0);
  if (maxLength !== undefined && ids.length > maxLength) {
    throw new Error(`tokenizeChat: this chat is ${ids.length} tokens, longer than the context (maxLength ${maxLength}); shorten its messages or drop turns`);
  }
  return { ids, lossMask, text };
}

/**
 * The position of the last special token in `ids`, -1 if none. (A special token is one whose text
 * decode leaves out with skipSpecialTokens.)
 */
function lastSpecial(tokenizer: Tokenizer, ids: number[]): number {
  for (let k = ids.length - 1; k >= 0; k--) if (tokenizer.decode([ids[k]], { skipSpecialTokens: true }) === '') return k;
  return -1;
}

function checkMessages(who: string, messages: ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) throw new Error(`${who}: the chat has no messages (expected a list of { role, content })`);
  messages.forEach((m, i) => {
    if (!ROLES.includes(m?.role)) throw new Error(`${who}: message ${i} has the role ${JSON.stringify(m?.role)}; the roles are ${ROLES.join(', ')}`);
    if (typeof m.content !== 'string') throw new Error(`${who}: message ${i} (${m.role}) has content of type ${typeof m.content}, not a string`);
  });
}

/** Parsed templates by their text: a chat renders its template once per answer. */
const parsed = new Map<string, Template>();

function render(who: string, template: string, tokenizer: Tokenizer, messages: ChatMessage[], addGenerationPrompt: boolean): string {
  let compiled = parsed.get(template);
  if (!compiled) {
    try {
      compiled = new Template(template);
    } catch (e) {
      throw new Error(`${who}: the chat template is not valid Jinja (${(e as Error).message})`);
    }
    if (parsed.size < 16) parsed.set(template, compiled);
  }
  try {
    return compiled.render({ messages: messages.map(({ role, content }) => ({ role, content })), add_generation_prompt: addGenerationPrompt, ...specialTokenVariables(tokenizer) });
  } catch (e) {
    throw new Error(`${who}: the chat template failed to render (${(e as Error).message})`);
  }
}

/** The special tokens as transformers passes them to a template: bos_token: '<bos>', eos_token: '<|end|>', ... */
function specialTokenVariables(tokenizer: Tokenizer): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of SPECIAL_TOKEN_NAMES) {
    const id = tokenizer.specialTokens[name];
    if (id !== undefined) vars[`${name}_token`] = tokenizer.decode([id]);
  }
  return vars;
}
