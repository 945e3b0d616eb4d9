import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { NEURON_VIEW_MIME_TYPE } from '../../extension/src/mime';
import { shortToken } from '../../extension/src/renderers/attention-lines';
import { charTokens, neuronViewSpec } from './fixtures';
import { render } from './render';

const TOKENS = charTokens('the cat');

afterEach(() => {
  document.body.replaceChildren();
});

function rows(root: HTMLElement): SVGGElement[] {
  return Array.from(root.querySelectorAll<SVGGElement>('g.llm-lab-nv-row'));
}

const values = (g: Element, cls: string) => Array.from(g.querySelectorAll(`rect.${cls}`)).map(r => Number(r.getAttribute('data-value')));
const textOf = (g: Element, cls: string) => g.querySelector(`text.${cls}`)!.textContent;

/** The numbers the view must show, computed here from the spec's vectors (not with the view's code). */
function reference(q: number[], ks: number[][], query: number) {
  const d = q.length;
  const scores = ks.map(k => k.reduce((s, kd, i) => s + kd * q[i], 0));
  const scaled = scores.map(s => s / Math.sqrt(d));
  const visible = scaled.map((s, key) => (key <= query ? Math.exp(s) : 0));
  const z = visible.reduce((a, b) => a + b, 0);
  return { scores, scaled, weights: visible.map(e => e / z) };
}

describe('neuron view', () => {
  it("shows q, every k, q x k per dimension, their sum, the scaled score and the softmax weight", async () => {
    const spec = neuronViewSpec(TOKENS, 8, { query: 4 });
    const renderer = await render(NEURON_VIEW_MIME_TYPE, JSON.stringify(spec));
    expect(values(renderer.node.querySelector('.llm-lab-nv-q')!, 'llm-lab-nv-qcell')).toEqual(spec.q[4]);
    expect(renderer.node.querySelector('.llm-lab-nv-query-token')!.textContent).toBe('q: c');
    const ref = reference(spec.q[4], spec.k, 4);
    const shown = rows(renderer.node);
    expect(shown).toHaveLength(TOKENS.length);
    shown.forEach((g, key) => {
      expect(textOf(g, 'llm-lab-nv-key-token')).toBe(TOKENS[key]);
      expect(values(g, 'llm-lab-nv-kcell')).toEqual(spec.k[key]);
      values(g, 'llm-lab-nv-pcell').forEach((p, d) => expect(p).toBeCloseTo(spec.q[4][d] * spec.k[key][d], 12));
      expect(textOf(g, 'llm-lab-nv-score')).toBe(ref.scores[key].toFixed(3));
      expect(textOf(g, 'llm-lab-nv-scaled')).toBe(ref.scaled[key].toFixed(3));
      expect(textOf(g, 'llm-lab-nv-weight')).toBe(key > 4 ? 'masked' : ref.weights[key].toFixed(3));
      expect(g.classList.contains('llm-lab-nv-masked')).toBe(key > 4);
    });
    // sign classes drive the two colors
    const cellsQ = Array.from(renderer.node.querySelectorAll('rect.llm-lab-nv-qcell'));
    cellsQ.forEach((c, d) => expect(c.classList.contains(spec.q[4][d] >= 0 ? 'llm-lab-nv-pos' : 'llm-lab-nv-neg')).toBe(true));
  });

  it('choosing another query token (selector or click) recomputes every row', async () => {
    const spec = neuronViewSpec(TOKENS, 8, { query: 6 });
    const renderer = await render(NEURON_VIEW_MIME_TYPE, spec);
    const select = renderer.node.querySelector<HTMLSelectElement>('select.llm-lab-query-select')!;
    expect(Array.from(select.options).map(o => o.textContent)).toEqual(TOKENS.map((t, i) => `${i}: ${t}`));
    expect(rows(renderer.node).filter(g => g.classList.contains('llm-lab-nv-masked'))).toHaveLength(0);

    select.value = '2';
    select.dispatchEvent(new Event('change'));
    const ref = reference(spec.q[2], spec.k, 2);
    expect(values(renderer.node.querySelector('.llm-lab-nv-q')!, 'llm-lab-nv-qcell')).toEqual(spec.q[2]);
    rows(renderer.node).forEach((g, key) => expect(textOf(g, 'llm-lab-nv-weight')).toBe(key > 2 ? 'masked' : ref.weights[key].toFixed(3)));

    rows(renderer.node)[1].querySelector('text.llm-lab-nv-key-token')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(select.value).toBe('1');
    expect(renderer.node.querySelector('.llm-lab-nv-query-token')!.textContent).toBe('q: h');
    expect(rows(renderer.node).filter(g => g.classList.contains('llm-lab-nv-masked'))).toHaveLength(TOKENS.length - 2);
  });

  it('reads out the numbers of the cell under the pointer', async () => {
    const spec = neuronViewSpec(TOKENS, 8, { query: 3 });
    const renderer = await render(NEURON_VIEW_MIME_TYPE, spec);
    rows(renderer.node)[1].querySelectorAll('rect.llm-lab-nv-pcell')[5].dispatchEvent(new MouseEvent('mouseenter'));
    const [q, k] = [spec.q[3][5], spec.k[1][5]];
    expect(renderer.node.querySelector('.llm-lab-attention-readout')!.textContent).toBe(
      `\u2423 \u00b7 h, dimension 5: q ${q.toFixed(3)} \u00d7 k ${k.toFixed(3)} = ${(q * k).toFixed(3)}`
    );
  });

  it('inserts token text as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const renderer = await render(NEURON_VIEW_MIME_TYPE, neuronViewSpec(['a', evil], 4, { query: 1 }));
    expect(document.querySelector('img')).toBeNull();
    expect(renderer.node.querySelector('select.llm-lab-query-select')!.textContent).toContain(evil);
    expect(rows(renderer.node)[1].querySelector('text.llm-lab-nv-key-token')!.textContent).toBe(shortToken(evil));
  });
});
