/**
 * Learning, for real: a small GPT trained briefly on Moby Dick must predict held-out chapters
 * clearly better than a model that ignores context.
 *
 * Threshold: the unigram entropy of the validation text (~3.06 nats/char) is the best any
 * model can do WITHOUT context (ln 89 = 4.49 is knowing nothing at all). English character
 * bigram statistics give about 2.4 nats. We require validation loss < 2.5 nats: at least
 * 0.5 nats below the unigram bound, so the model must use the previous characters; measured
 * here: 2.36 after 300 steps (about 300k training characters, ~2 minutes on wasm).
 */
import { describe, expect, it } from 'vitest';
import { unigramEntropy } from './text';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/device/backend';
import { mobyDickChapters } from '../../kernel-lib/src/data/corpus';
import { splitDocuments } from '../../kernel-lib/src/data/clm';
import { generate } from '../../kernel-lib/src/generate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';

describe('causal LM on Moby Dick', () => {
  it('lowers validation loss well below the no-context bound', async () => {
    await useDevice('wasm', { quiet: true });
    setDisplaySink(() => undefined);
    const split = splitDocuments(mobyDickChapters(), 0.1, 1);
    const tok = CharTokenizer.fromText(split.train + split.val);
    const data = { train: Int32Array.from(tok.encode(split.train)), val: Int32Array.from(tok.encode(split.val)) };
    const unigram = unigramEntropy(split.val);
    expect(unigram).toBeGreaterThan(2.9);

    const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64, seed: 1 });
    const trainer = new Trainer(causalLM(model, data, { batchSize: 16, evalBatches: 8, seed: 1, tokenizer: tok }), { steps: 300, learningRate: 6e-3, warmupSteps: 20, evalEvery: 100 });
    await trainer.train();
    const h = trainer.history;
    const val = trainer.series('val loss').value;
    console.log(`val loss ${val.map(v => v.toFixed(3)).join(' -> ')} (unigram bound ${unigram.toFixed(3)}), ${Math.round(h.tokensPerSec ?? 0)} tokens/s`);

    expect(h.status).toBe('done');
    expect(val[0]).toBeGreaterThan(4.2); // starts near ln(vocab): knows nothing
    expect(val.at(-1)!).toBeLessThan(2.5);
    expect(val.at(-1)!).toBeLessThan(unigram - 0.5);

    // And its samples use the corpus' most common word.
    const ids = await generate(model, tok.encode('The whale and the '), { maxNewTokens: 300, temperature: 0.8, seed: 3 });
    expect(tok.decode(ids)).toMatch(/\bthe\b/);
    setDisplaySink(null);
    trainer.dispose();
    model.dispose();
    releaseWebgpu();
  });
});
