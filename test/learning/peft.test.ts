/**
 * Parameter-efficient fine-tuning of the course base model, for real, on the generation task of
 * the fine-tuning lesson: `repeat` ("Say kind again." -> "kind"), split by word, so the held-out
 * words were never in a training example. The chat is plain text (PLAIN_CHAT_TEMPLATE: "Q: ...\nA:
 * kind\n"): the methods freeze the embeddings, so the model must answer with the tokens it has.
 *
 * Every run: the same 1,200 training questions in the same batches (8 a step, seed 1), the same 60
 * held-out words; its rate is the method's usual one (LoRA and the small methods take larger steps
 * than full fine-tuning, whose every weight moves).
 */
import { describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { instructionDataset } from '../../kernel-lib/src/data/instructions';
import { exactMatches } from '../../kernel-lib/src/eval';
import { PLAIN_CHAT_TEMPLATE, tokenizeChat } from '../../kernel-lib/src/finetune/chatTemplate';
import { generateAnswers, sftObjective } from '../../kernel-lib/src/finetune/sft';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { getPeftModel, PeftConfig } from '../../kernel-lib/src/peft';
import { quantizeModel } from '../../kernel-lib/src/quant';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onQuietWasm } from './quiet';

const data = instructionDataset({ seed: 1, perTask: 1500, tasks: ['repeat'] });
const test = data.test.slice(0, 60);
const STEPS = 200;
/** The small methods only have to show that they learn: half as many steps. */
const SHORT = 100;
/** LoRA of rank 8 on the attention's q, k, v projection and the MLP's first layer: 46,080 numbers (3.1%). */
const LORA: PeftConfig = { peftType: 'LORA', r: 8, loraAlpha: 16, targetModules: ['c_attn', 'c_fc'] };

function plainModel(): { model: GPT; tokenizer: BpeTokenizer } {
  const base = loadBaseModel();
  return { model: base.model, tokenizer: base.tokenizer.withChatTemplate(PLAIN_CHAT_TEMPLATE) };
}

interface RunResult {
  method: string;
  trainable: number;
  percent: number;
  loss: number;
  exactMatch: number;
  seconds: number;
}

async function run(method: string, peft: PeftConfig | null, learningRate: number, steps = STEPS, prepare?: (model: GPT) => unknown): Promise<RunResult> {
  const { model, tokenizer } = plainModel();
  prepare?.(model);
  const adapted = peft ? getPeftModel(model, peft) : null;
  const tokenized = (examples: typeof test) => examples.map(ex => tokenizeChat(tokenizer, ex.messages));
  const objective = sftObjective(model, tokenized(data.train), { batchSize: 8, padId: 0, evalExamples: tokenized(test), seed: 1 });
  const t0 = performance.now();
  let loss: number;
  if (steps > 0) {
    const trainer = new Trainer(objective, { steps, learningRate, warmupSteps: 10, evalEvery: steps, live: false });
    await trainer.train();
    loss = trainer.evaluations.at(-1)!.loss;
    trainer.dispose();
  } else {
    loss = (await objective.evaluate()).loss;
  }
  const seconds = (performance.now() - t0) / 1000;
  const prompts = test.map(ex => tokenizeChat(tokenizer, ex.messages.slice(0, 1), { addGenerationPrompt: true }).ids);
  const answers = await generateAnswers(model, tokenizer, prompts, { maxNewTokens: 8, stopText: '\n' });
  const right = exactMatches(answers.map(a => a.trim()), test.map(ex => ex.answer), { normalize: false });
  const count = adapted ? adapted.countTrainable() : { trainable: model.countParameters().trainable, percent: 100 };
  model.dispose();
  const result = { method, trainable: count.trainable, percent: count.percent, loss, exactMatch: right.filter(Boolean).length / right.length, seconds };
  console.log(`${method.padEnd(10)} trainable ${String(result.trainable).padStart(8)} (${result.percent.toFixed(2)}%)  held-out answer loss ${loss.toFixed(3)}  exact match ${result.exactMatch.toFixed(3)}  ${seconds.toFixed(1)} s`);
  return result;
}

describe('parameter-efficient fine-tuning of the base model on repeat', () => {
  onQuietWasm();

  // the untuned base: it continues "A:" like a State of the Union address (measured loss 6.53, exact match 0)
  let base: RunResult;

  it('LoRA, with 3% of the weights training, recovers most of what full fine-tuning gains; QLoRA on a 4-bit base about as much as LoRA', async () => {
    base = await run('base', null, 0, 0);
    const full = await run('full', null, 1e-3);
    const lora = await run('lora', LORA, 1e-2);
    const qlora = await run('qlora', LORA, 1e-2, STEPS, model => quantizeModel(model, { method: 'nf4' }));
    const gain = (r: RunResult) => base.loss - r.loss;
    console.log(`gain in held-out answer loss over the base: full ${gain(full).toFixed(3)}, LoRA ${gain(lora).toFixed(3)} (${((100 * gain(lora)) / gain(full)).toFixed(0)}%), QLoRA ${gain(qlora).toFixed(3)}`);
    expect(lora.percent).toBeLessThan(5);
    // Measured: full 6.53 -> 1.73, LoRA -> 2.62 (82% of full's gain) after 200 steps. Full
    // fine-tuning moves the tied embeddings too (the very tokens to copy); LoRA leaves them as they
    // are, so it is behind at equal steps. 70% of the gain leaves room for rounding across machines.
    expect(gain(lora)).toBeGreaterThan(0.7 * gain(full));
    // QLoRA: the same adapter over weights rounded to 16 levels a block (NF4: relative error ~0.1
    // per weight); the adapter learns around the rounding. Within 0.3 nats of LoRA's loss.
    expect(qlora.loss).toBeLessThan(lora.loss + 0.3);
  });

  it('adapters, IA3, BitFit, prompt and prefix tuning each beat the untuned base on held-out answers', async () => {
    const results = [
      await run('adapter', { peftType: 'ADAPTER', bottleneckSize: 16 }, 3e-3, SHORT),
      await run('ia3', { peftType: 'IA3' }, 1e-2, SHORT),
      await run('bitfit', { peftType: 'BITFIT' }, 3e-3, SHORT),
      await run('prompt', { peftType: 'PROMPT_TUNING', numVirtualTokens: 8 }, 3e-2, SHORT),
      await run('prefix', { peftType: 'PREFIX_TUNING', numVirtualTokens: 8, encoderHiddenSize: 64 }, 3e-3, SHORT)
    ];
    // Measured after 200 steps: 3.45 (adapter), 4.22 (IA3), 3.96 (BitFit), 4.24 (prompt), 3.63 (prefix)
    // against the base's 6.53. A nat less than the base is far beyond what chance or noise gives.
    for (const r of results) expect(r.loss, r.method).toBeLessThan(base.loss - 1);
  });
});
