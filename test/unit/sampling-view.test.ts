import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { compareSampling, samplingSvg } from '../../kernel-lib/src/viz/sampling';
import { onCpu } from './helpers';

describe('sampling strategies side by side', () => {
  it('shows how each strategy reshapes the next-token distribution, and what each writes', async () => {
    await onCpu();
    const tok = CharTokenizer.fromText('ab c<d>&e');
    const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, seed: 4 });
    const c = await compareSampling(model, tok, 'ab c', [
      { name: 'greedy', options: { temperature: 0 } },
      { name: 'top-k 3', options: { topK: 3 } },
      { name: 'top-p 0.5', options: { topP: 0.5 } },
      { name: 'plain', options: {} }
    ], { maxNewTokens: 12, seed: 1, topTokens: 5 });
    const [greedy, topK, topP, plain] = c.strategies;
    expect(greedy.candidates).toBe(1);
    expect(greedy.next[0].p).toBe(1); // the most likely token takes everything
    expect(topK.candidates).toBe(3);
    expect(plain.candidates).toBe(tok.vocabSize);
    expect(topP.candidates).toBeLessThan(plain.candidates);
    // the same tokens in every panel, in the model's order, probabilities falling
    expect(topK.next.map(t => t.token)).toEqual(plain.next.map(t => t.token));
    expect(plain.next.every((t, i) => i === 0 || t.p <= plain.next[i - 1].p)).toBe(true);
    // plain is the model's own next-token distribution; top-k keeps its 3 most likely tokens, renormalized
    const probs = (tf.tidy(() => tf.softmax(model.forward(tf.tensor2d([tok.encode('ab c')], undefined, 'int32')).logits).arraySync()) as number[][][])[0][3];
    const sorted = [...probs].sort((a, b) => b - a);
    plain.next.forEach((t, i) => expect(t.p).toBeCloseTo(sorted[i], 5));
    topK.next.forEach((t, i) => expect(t.p).toBeCloseTo(i < 3 ? sorted[i] / (sorted[0] + sorted[1] + sorted[2]) : 0, 5));
    for (const s of c.strategies) expect(s.text).toMatch(/^ab c[^]{12}$/); // the prompt, then 12 new characters
    // token text is escaped in the SVG
    const svg = samplingSvg({ ...c, strategies: c.strategies.map(s => ({ ...s, text: '<script>x</script>' })) });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    await expect(compareSampling(model, tok, 'ab', [{ name: 'bad', options: { topP: 2 } }], { maxNewTokens: 2 })).rejects.toThrow('topP must be in (0, 1], got 2');
    model.dispose();
  });
});
