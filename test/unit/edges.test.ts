/**
 * Inputs at the edges, as a learner meets them: a very long text without spaces, token text with
 * control characters in a static picture, seeds the generator cannot tell apart.
 */
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { Init } from '../../kernel-lib/src/nn/init';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { escapeXml } from '../../kernel-lib/src/viz/svg';
import { newTrainingSpec, trainingBundle } from '../../kernel-lib/src/viz/training';
import { onCpu } from './helpers';

beforeAll(onCpu);

/** The parser's error, or null when `svg` is well-formed XML. */
function xmlError(svg: string): string | null {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  return doc.getElementsByTagName('parsererror')[0]?.textContent ?? null;
}

describe('inputs at the edges', () => {
  it('byte-level BPE encodes one chunk of 300,000 characters (no spaces) and decodes it back', () => {
    const bpe = BpeTokenizer.train('abracadabra '.repeat(50), { vocabSize: 270 });
    const long = 'abracadabra'.repeat(27_273).slice(0, 300_000);
    const ids = bpe.encode(long);
    expect(ids.length).toBeLessThan(long.length);
    expect(bpe.decode(ids)).toBe(long);
  });

  it('a static picture stays well-formed XML whatever the token text: control characters show as their symbols', () => {
    const nasty = 'bell\u0007 nul\u0000 esc\u001b[31m lone\uD800 <b>&amp;</b> ok';
    expect(escapeXml(nasty)).toBe('bell\u2407 nul\u2400 esc\u241b[31m lone\uFFFD &lt;b&gt;&amp;amp;&lt;/b&gt; ok');
    const spec = newTrainingSpec(nasty, 10);
    spec.samples.push({ step: 0, text: nasty });
    const svg = trainingBundle(spec, { final: true })['image/svg+xml'];
    expect(xmlError(svg)).toBeNull();
    expect(xmlError(`<svg xmlns="http://www.w3.org/2000/svg"><text>${nasty.replace(/[<&]/g, '')}</text></svg>`)).not.toBeNull(); // what the escaping prevents
  });

  it('refuses a seed the 32-bit generator cannot tell from another, naming it', () => {
    const config = { vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 };
    expect(() => new GPT({ ...config, seed: 2 ** 32 })).toThrow('GPT config: seed must be an integer in [0, 4294967295], got 4294967296');
    expect(() => new GPT({ ...config, seed: -1 })).toThrow('got -1');
    expect(() => new Seq2Seq({ ...config, seed: 2 ** 40 })).toThrow('Seq2Seq config: seed must be an integer in [0, 4294967295]');
    expect(() => new Init(1.5)).toThrow('seed must be an integer in [0, 4294967295], got 1.5');
    new GPT({ ...config, seed: 2 ** 32 - 1 }).dispose();
  });
});
