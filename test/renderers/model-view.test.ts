import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { headColor } from '@llm-lab/kernel/contract';
import { MODEL_VIEW_MIME_TYPE } from '../../extension/src/mime';
import { MIN_LINE_WEIGHT, shortToken } from '../../extension/src/renderers/attention-lines';
import { THUMBNAIL_MIN_WEIGHT } from '../../extension/src/renderers/model-view';
import { charTokens, crossAttentionSpec, modelViewSpec } from './fixtures';
import { render } from './render';

const TOKENS = charTokens('a cat sat');

afterEach(() => {
  document.body.replaceChildren();
});

function cells(root: HTMLElement): SVGGElement[] {
  return Array.from(root.querySelectorAll<SVGGElement>('g.llm-lab-mv-cell'));
}

function cell(root: HTMLElement, layer: number, head: number): SVGGElement {
  return root.querySelector<SVGGElement>(`g.llm-lab-mv-cell[data-layer="${layer}"][data-head="${head}"]`)!;
}

const count = (grid: number[][], min: number) => grid.flat().filter(w => w >= min).length;

describe('model view', () => {
  it('draws a thumbnail per layer and head, each with the lines of its own weights', async () => {
    const spec = modelViewSpec(TOKENS, 3, 4);
    const renderer = await render(MODEL_VIEW_MIME_TYPE, JSON.stringify(spec));
    expect(cells(renderer.node)).toHaveLength(12);
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe(spec.title);
    const headers = Array.from(renderer.node.querySelectorAll('.llm-lab-mv-svg .llm-lab-hv-header text')).map(t => t.textContent);
    expect(headers).toEqual(['head 0', 'head 1', 'head 2', 'head 3', 'layer 0', 'layer 1', 'layer 2']);
    for (const [l, h] of [[0, 0], [1, 3], [2, 1]]) {
      const ls = Array.from(cell(renderer.node, l, h).querySelectorAll('line.llm-lab-mv-line'));
      expect(ls).toHaveLength(count(spec.weights[l][h], THUMBNAIL_MIN_WEIGHT));
      ls.forEach(line => expect(line.getAttribute('stroke')).toBe(headColor(h)));
    }
    // head 0 of the fixture reads the previous token: its thumbnail differs from head 3's
    expect(count(spec.weights[2][0], THUMBNAIL_MIN_WEIGHT)).not.toBe(count(spec.weights[2][3], THUMBNAIL_MIN_WEIGHT));
  });

  it('clicking a thumbnail zooms it: a full head view of that layer and head below', async () => {
    const spec = modelViewSpec(TOKENS, 3, 4);
    const renderer = await render(MODEL_VIEW_MIME_TYPE, spec);
    const zoom = renderer.node.querySelector('.llm-lab-mv-zoom')!;
    expect(zoom.querySelector('svg')).toBeNull();

    cell(renderer.node, 1, 2).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(zoom.querySelector('.llm-lab-mv-zoom-title')!.textContent).toBe('Layer 1, head 2');
    expect(Array.from(zoom.querySelectorAll('text.llm-lab-hv-query')).map(t => t.textContent)).toEqual(TOKENS);
    const lines = Array.from(zoom.querySelectorAll('line.llm-lab-hv-line'));
    expect(lines).toHaveLength(count(spec.weights[1][2], MIN_LINE_WEIGHT));
    expect(new Set(lines.map(l => l.getAttribute('data-head')))).toEqual(new Set(['2']));
    const weights = lines.map(l => [Number(l.getAttribute('data-query')), Number(l.getAttribute('data-key')), Number(l.getAttribute('data-weight'))]);
    weights.forEach(([q, k, w]) => expect(w).toBe(spec.weights[1][2][q][k]));
    expect(renderer.node.querySelectorAll('.llm-lab-mv-selected')).toHaveLength(1);
    expect(cell(renderer.node, 1, 2).classList.contains('llm-lab-mv-selected')).toBe(true);

    // another one replaces it; Enter works like a click
    cell(renderer.node, 2, 0).dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(zoom.querySelector('.llm-lab-mv-zoom-title')!.textContent).toBe('Layer 2, head 0');
    expect(zoom.querySelectorAll('svg')).toHaveLength(1);
    expect(cell(renderer.node, 1, 2).classList.contains('llm-lab-mv-selected')).toBe(false);

    // the zoomed view focuses a token like the head view
    zoom.querySelectorAll('text.llm-lab-hv-query')[4].dispatchEvent(new MouseEvent('mouseenter'));
    const focused = Array.from(zoom.querySelectorAll('line.llm-lab-hv-line'));
    const row = spec.weights[2][0][4]; // layer 2, head 0, query 4: one line per key it reads enough
    const drawn = focused.map(l => [l.getAttribute('data-query'), Number(l.getAttribute('data-key')), Number(l.getAttribute('data-weight'))] as const);
    expect([...drawn].sort((x, y) => x[1] - y[1])).toEqual(
      row.map((w, k) => ['4', k, w] as const).filter(([, , w]) => w >= MIN_LINE_WEIGHT)
    );
    expect(zoom.querySelector('.llm-lab-attention-readout')!.textContent).toMatch(/^t reads most from: head 0: a /) // the fixture's head 0 reads the previous token;
  });

  it('shows cross-attention weights with the source tokens on the right', async () => {
    const cross = crossAttentionSpec();
    const { layer: _l, heads: _h, ...weights } = cross;
    const renderer = await render(MODEL_VIEW_MIME_TYPE, { ...weights, kind: 'model-view' });
    expect(cells(renderer.node)).toHaveLength(2);
    cell(renderer.node, 0, 1).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(Array.from(renderer.node.querySelectorAll('.llm-lab-mv-zoom text.llm-lab-hv-key')).map(t => t.textContent)).toEqual(cross.keyTokens);
  });

  it('inserts token text as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const renderer = await render(MODEL_VIEW_MIME_TYPE, modelViewSpec(['a', evil, 'b'], 1, 1));
    cell(renderer.node, 0, 0).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(document.querySelector('img')).toBeNull();
    expect(renderer.node.querySelectorAll('text.llm-lab-hv-query')[1].textContent).toBe(shortToken(evil));
    expect(shortToken(evil)).toBe('<img src=x one\u2026');
  });
});
