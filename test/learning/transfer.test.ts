/**
 * Transfer learning, the course reading's story, on real word lists: Ram fine-tunes the base model
 * to tell 4 languages apart (English, French, German, Spanish) from strings of 3 common words;
 * Shyam swaps the head for 2 of those languages and trains only the head; then 6 languages
 * arrive, 2 of them close relatives of Ram's (Italian, Portuguese), and the head alone falls short
 * of fine-tuning the whole network with discriminative learning rates. Test strings are made of
 * words no training string contains.
 *
 * Thresholds (measured with these seeds on wasm: Shyam 0.99; six languages head only 0.645, full
 * 0.742, per-class F1 of Portuguese 0.37 -> 0.54):
 *  - two languages, head only: accuracy > 0.9 (chance 0.5): the body already separates them;
 *  - six languages: full fine-tuning beats the head alone by more than 0.05 in accuracy, over 600
 *    test strings (a binomial standard error of about 0.019 each: 0.05 is more than twice the
 *    standard error of the difference), and the two new languages gain on average.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/device/backend';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { Language, languageTask } from '../../kernel-lib/src/data/languages';
import { classificationObjective, classificationReportOf } from '../../kernel-lib/src/finetune/classification';
import { GPTForSequenceClassification } from '../../kernel-lib/src/models/gptClassifier';
import { discriminativeLearningRates } from '../../kernel-lib/src/train/paramGroups';
import { LoopConfig, Trainer } from '../../kernel-lib/src/train/trainer';
import { Module } from '../../kernel-lib/src/nn/module';

const FOUR: Language[] = ['English', 'French', 'German', 'Spanish'];
const SIX: Language[] = [...FOUR, 'Italian', 'Portuguese'];
const examples = { train: 400, validation: 40, test: 100 };

async function snapshot(m: Module): Promise<Float32Array[]> {
  return Promise.all(m.parameters().map(async p => ((await p.data()) as Float32Array).slice()));
}
function restore(m: Module, s: Float32Array[]): void {
  m.parameters().forEach((p, i) => tf.tidy(() => p.assign(tf.tensor(s[i], p.shape))));
}

describe('transfer learning (4 -> 2 -> 6 languages)', () => {
  it('a new head on a frozen body learns two of the languages; six need the body to learn too', async () => {
    await useDevice('wasm', { quiet: true });
    const { model: gpt, tokenizer } = loadBaseModel();
    const task = (languages: Language[]) => languageTask(tokenizer, languages, { wordsPerExample: 3, examples, seed: 1 });
    const train = async (model: GPTForSequenceClassification, t: ReturnType<typeof task>, config: Partial<LoopConfig> & Pick<LoopConfig, 'steps' | 'learningRate'>) => {
      const trainer = new Trainer(classificationObjective(model, { train: t.train, validation: t.validation }, { batchSize: 16, seed: 2 }), { live: false, evalEvery: 1000, ...config });
      await trainer.train();
      trainer.dispose();
      return classificationReportOf(model, t.test);
    };

    const ram = GPTForSequenceClassification.fromGPT(gpt, { labels: FOUR, pooling: 'mean' });
    const four = await train(ram, task(FOUR), { steps: 100, learningRate: 1e-3, warmupSteps: 5 });
    const ramBody = await snapshot(ram.transformer);

    const two = task(['English', 'German']);
    ram.newHead(two.labels);
    ram.freeze('transformer');
    const shyam = await train(ram, two, { steps: 40, learningRate: 1e-2 });

    const six = task(SIX);
    const reports = [];
    for (const strategy of ['head only', 'full'] as const) {
      restore(ram.transformer, ramBody);
      ram.unfreeze();
      ram.newHead(SIX);
      if (strategy === 'head only') ram.freeze('transformer');
      const config = strategy === 'head only' ? {} : { paramGroups: discriminativeLearningRates(ram, { learningRate: 1e-2, decay: 2.6 }) };
      reports.push(await train(ram, six, { steps: 300, learningRate: 1e-2, ...config }));
    }
    const [head, full] = reports;
    const f1 = (r: typeof head, k: number) => r.perClass[k].f1.toFixed(2);
    console.log(`four languages ${four.accuracy.toFixed(3)}; two, head only ${shyam.accuracy.toFixed(3)}; six: head only ${head.accuracy.toFixed(3)}, full ${full.accuracy.toFixed(3)}; F1 per class ${SIX.map((l, k) => `${l} ${f1(head, k)} -> ${f1(full, k)}`).join(', ')}`);

    expect(shyam.accuracy).toBeGreaterThan(0.9);
    expect(full.accuracy - head.accuracy).toBeGreaterThan(0.05);
    const newF1 = (r: typeof head) => (r.perClass[4].f1 + r.perClass[5].f1) / 2;
    expect(newF1(full)).toBeGreaterThan(newF1(head));
    ram.dispose();
    releaseWebgpu();
  });
});
