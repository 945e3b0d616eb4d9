/**
 * In-context learning, for real: a one-block GPT meta-trained on sequences of shift and code tasks
 * (data/incontext.ts), each sequence a task drawn afresh, then asked questions of substitution
 * codes that meta-training never drew. Nothing of a held-out code is in the weights, so every point
 * of accuracy above chance comes from the examples in the prompt.
 *
 * What it must show after 200 steps (about 15 s here):
 * - with no example, both families are at chance (a shift is one of 9, a code's letter one of 8);
 * - one example of a shift is enough: the model reads c off it;
 * - on held-out codes, accuracy rises with the examples: a letter already in the prompt is looked
 *   up, nearly always right; a new letter is a guess (a perfect learner would also rule out the
 *   letters the code gave to others, which this short training does not teach).
 */
import { describe, expect, it } from 'vitest';
import { accuracyByShots, IN_CONTEXT_TOKENS, inContextSequences } from '../../kernel-lib/src/data/incontext';
import { sftObjective } from '../../kernel-lib/src/finetune/sft';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onQuietWasm } from './quiet';

const PAIRS = 10;
const round = (xs: number[]) => xs.map(x => +x.toFixed(3));

describe('in-context learning after meta-training on families of tasks', () => {
  onQuietWasm();

  it('answers held-out codes by looking up the examples in its prompt, and a shift from one example', async () => {
    const train = inContextSequences({ count: 20000, pairs: PAIRS, split: 'train', seed: 1 });
    const test = inContextSequences({ count: 1000, pairs: PAIRS, split: 'test', seed: 2 });
    const model = new GPT({ vocabSize: IN_CONTEXT_TOKENS.length, blockSize: 2 * PAIRS, nLayer: 1, nHead: 4, nEmbd: 64, seed: 1 });
    const trainer = new Trainer(sftObjective(model, train, { batchSize: 64, padId: 0, seed: 1 }), { steps: 200, learningRate: 3e-3, warmupSteps: 20, evalEvery: 1000, live: false });
    await trainer.train();
    const shift = await accuracyByShots(model, test.filter(s => s.family === 'shift'));
    const code = await accuracyByShots(model, test.filter(s => s.family === 'substitution'));
    const lookupThenGuess = code.seenBefore.map(s => s + (1 - s) / 8);
    console.log(`shift:         ${round(shift.accuracy)}\nheld-out code: ${round(code.accuracy)}\n  perfect:     ${round(code.ideal)}\n  lookup, else a guess: ${round(lookupThenGuess)}\n  on seen letters: ${round(code.onSeen)}\n  on new letters:  ${round(code.onNew)}`);

    expect(shift.accuracy[0]).toBeLessThan(0.2);
    expect(code.accuracy[0]).toBeLessThan(0.2);
    for (let k = 1; k < PAIRS; k++) expect(shift.accuracy[k], `shift after ${k} examples`).toBeGreaterThan(0.9);
    const last = PAIRS - 1;
    for (let k = 2; k < PAIRS; k++) expect(code.onSeen[k], `a letter seen among ${k} examples`).toBeGreaterThan(0.95);
    expect(code.accuracy[last]).toBeGreaterThan(lookupThenGuess[last] - 0.03);
    expect(code.accuracy[last] - code.accuracy[1]).toBeGreaterThan(0.3);
    trainer.dispose();
    model.dispose();
  });
});
