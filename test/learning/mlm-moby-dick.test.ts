/**
 * Masked language modelling learns, for real: a small BERT-style encoder (RoPE positions) trained
 * briefly on Moby Dick characters must fill in hidden characters of held-out chapters clearly
 * better than any model that ignores context.
 *
 * Threshold: without context the best guess for a hidden character is the unigram distribution
 * of the text (~3.0 nats; 80/10/10 masking changes little), and the best single guess (a space)
 * is right about 20% of the time. We require loss < unigram - 0.5 and accuracy > 30%.
 * Measured here: 4.40 -> 2.17 nats and 41% right after 300 steps (batch 32 x 32 characters);
 * the same run with learned positions stays at 2.95 nats and 20% (see models/bert.ts).
 */
import { describe, expect, it } from 'vitest';
import { unigramEntropy } from './text';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { splitDocuments } from '../../kernel-lib/src/data/clm';
import { mobyDickChapters } from '../../kernel-lib/src/data/corpus';
import { BERT } from '../../kernel-lib/src/models/bert';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { maskedLM } from '../../kernel-lib/src/train/mlmObjective';
import { Trainer } from '../../kernel-lib/src/train/trainer';

describe('masked LM on Moby Dick', () => {
  it('fills in hidden characters of held-out text from their context', async () => {
    await useDevice('wasm', { quiet: true });
    const split = splitDocuments(mobyDickChapters(), 0.1, 42);
    const tok = CharTokenizer.fromText(split.train + split.val);
    const data = { train: Int32Array.from(tok.encode(split.train)), val: Int32Array.from(tok.encode(split.val)) };
    const unigram = unigramEntropy(split.val);

    const model = new BERT({ vocabSize: tok.vocabSize + 1, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 64, seed: 1 });
    const sampleText = 'Call me Ishmael. Some years ago';
    const objective = maskedLM(model, data, { batchSize: 32, maskId: tok.vocabSize, seed: 3, sampleText, tokenizer: tok });
    const trainer = new Trainer(objective, { steps: 300, learningRate: 3e-3, warmupSteps: 50, evalEvery: 100, live: false });
    await trainer.train();
    const first = trainer.evaluations[0];
    const last = trainer.evaluations.at(-1)!;
    console.log(trainer.evaluations.map(e => `${e.step}: ${e.loss.toFixed(3)} nats, ${(100 * e.metrics.accuracy).toFixed(1)}%`).join(' | '), `(unigram ${unigram.toFixed(3)})`);
    console.log(trainer.history.samples.at(-1)?.text);

    expect(trainer.status).toBe('done');
    expect(first.loss).toBeGreaterThan(4.2); // knows nothing: ln(vocab)
    expect(last.loss).toBeLessThan(unigram - 0.5);
    expect(last.metrics.accuracy).toBeGreaterThan(0.3);
    expect(last.metrics.perplexity).toBeCloseTo(Math.exp(last.loss), 6);
    // the sample shows the text with blanks and the model's guesses, the known characters kept
    const [blanks, filled] = trainer.history.samples.at(-1)!.text.split('  ->  ');
    expect(blanks).toBe('Ca_l me_Ishm_el. _ome _ears_ago');
    expect(filled).toHaveLength(sampleText.length);
    expect([...filled].map((ch, i) => (blanks[i] === '_' ? '_' : ch)).join('')).toBe(blanks); // outside the blanks, the text as it was
    trainer.dispose();
    model.dispose();
  });
});
