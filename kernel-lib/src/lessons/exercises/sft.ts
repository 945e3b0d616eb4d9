/**
 * Exercises of notebook 6 (supervised fine-tuning): the loss mask of a chat, checked against
 * tokenizeChat on the course's instruction data, and the shifted targets SFT's loss reads, checked
 * against maskedTargets.
 */
import * as tf from '@tensorflow/tfjs';
import { instructionDataset, TASK_NAMES } from '../../data/instructions';
import { tokenizeChat } from '../../finetune/chatTemplate';
import { ChatMessage, Tokenizer } from '../../tokenizers/tokenizer';
import { maskedTargets } from '../../train/sequenceLogProbs';
import { arrayCase, uniforms } from './compare';
import { defineExercise } from './exercise';

export type LossMaskFn = (tokenizer: Tokenizer, messages: ChatMessage[]) => number[];

/** One chat of each task (user question, assistant answer), and one with a system message. */
function sampleChats(): { label: string; messages: ChatMessage[] }[] {
  const data = instructionDataset({ seed: 1, perTask: 20 });
  const chats: { label: string; messages: ChatMessage[] }[] = TASK_NAMES.map(task => ({ label: task as string, messages: data.train.find(ex => ex.task === task)!.messages }));
  const first = chats[0].messages;
  chats.push({ label: 'with a system message', messages: [{ role: 'system', content: 'Answer in one word.' }, ...first] });
  return chats;
}

export const lossMaskExercise = defineExercise<LossMaskFn, Tokenizer>({
  id: '06.loss-mask',
  title: 'the loss mask of a chat',
  task: "For a chat that ends with the assistant's answer, return one number per token of the whole chat: 1 on the answer's tokens and the end token that closes it, 0 everywhere else (the question, the role headers, the newline after the end token). Use the tokenizer's chat template, as tokenizeChat does.",
  hints: [
    'The prompt is the chat without its last message, rendered with the generation prompt: every token of it gets 0.',
    'lab.applyChatTemplate(tokenizer, messages) gives the whole text, and with messages.slice(0, -1) and { addGenerationPrompt: true } the prompt; tokenizer.encode turns each into ids.',
    "The answer ends at the last tokenizer.specialTokens.eos in the ids (the template's <|end|>); what follows it (a newline) gets 0."
  ],
  solution: `function myLossMask(tokenizer: lab.Tokenizer, messages: lab.ChatMessage[]): number[] {
  const prompt = tokenizer.encode(lab.applyChatTemplate(tokenizer, messages.slice(0, -1), { addGenerationPrompt: true }));
  const ids = tokenizer.encode(lab.applyChatTemplate(tokenizer, messages));
  const end = ids.lastIndexOf(tokenizer.specialTokens.eos!); // the end token that closes the answer
  return ids.map((_, i) => (i >= prompt.length && i <= end ? 1 : 0));
}`,
  cases: async (answer, tokenizer) =>
    sampleChats().map(({ label, messages }) => {
      const expected = tokenizeChat(tokenizer, messages).lossMask;
      const copy = messages.map(m => ({ ...m }));
      return arrayCase(`${label}: ${JSON.stringify(messages[messages.length - 1].content)}`, () => answer(tokenizer, copy), expected, { abs: 0, rel: 0 });
    })
});

export const maskedTargetsExercise = defineExercise<(ids: number[], lossMask: number[]) => number[]>({
  id: '06.masked-targets',
  title: 'the targets of the SFT loss',
  task: 'Position t of a sequence predicts token t + 1. Given the ids of a chat and its loss mask, return the targets of positions 0 .. T − 2: the next id where the mask of that next token is 1, and −1 (no loss) where it is 0.',
  hints: [
    'There are T − 1 targets: the last position has no next token.',
    'Target t is ids[t + 1] if lossMask[t + 1] is 1, else -1: the mask of the token being predicted decides, not the mask of the position reading it.'
  ],
  solution: `function myMaskedTargets(ids: number[], lossMask: number[]): number[] {
  return ids.slice(1).map((next, t) => (lossMask[t + 1] === 1 ? next : -1));
}`,
  cases: async answer => {
    const u = uniforms(13);
    // masks as SFT makes them: 0 on the prompt, 1 on the answer and its end token, 0 after
    const shapes: [number, number, number][] = [[2, 1, 2], [6, 3, 5], [12, 4, 10], [20, 15, 18], [9, 0, 9]];
    return shapes.map(([T, start, end]) => {
      const ids = Array.from({ length: T }, () => Math.floor(u(0, 1000)));
      const mask = ids.map((_, i) => (i >= start && i < end ? 1 : 0));
      const expected = tf.tidy(() => maskedTargets(tf.tensor2d([ids], [1, T], 'int32'), tf.tensor2d([mask], [1, T], 'int32')).dataSync());
      return arrayCase(`T = ${T}, answer at ${start}..${end - 1}`, () => answer([...ids], [...mask]), Array.from(expected), { abs: 0, rel: 0 });
    });
  }
});
