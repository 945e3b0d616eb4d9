import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttentionSpec } from '@llm-lab/kernel/contract';
import { ATTENTION_MIME_TYPE } from '../../extension/src/mime';
import { attentionColor, shortLabel } from '../../extension/src/renderers/attention-heatmap';
import { attentionSpec, charTokens } from './fixtures';
import { render } from './render';

const TOKENS = charTokens('Call me Ishmael.');

afterEach(() => {
  document.body.replaceChildren();
});

function cells(root: HTMLElement): SVGRectElement[] {
  return Array.from(root.querySelectorAll<SVGRectElement>('.llm-lab-attention rect.llm-lab-attention-cell'));
}

/** Each cell's fill, row-major (query q, key k at q * n + k). */
function fills(root: HTMLElement): string[] {
  return cells(root).map(c => c.getAttribute('fill')!);
}

/** What the fills must be for weights[layer][head]: a color, or the hatch for masked cells. */
function expectedFills(spec: AttentionSpec, layer: number, head: number): string[] {
  const n = spec.tokens.length;
  const out: string[] = [];
  for (let q = 0; q < n; q++) {
    for (let k = 0; k < n; k++) out.push(spec.causal && k > q ? 'hatch' : attentionColor(spec.weights[layer][head][q][k]));
  }
  return out;
}

const normalizeHatch = (fill: string) => (fill.startsWith('url(#llm-lab-hatch-') ? 'hatch' : fill);

function select(root: HTMLElement, which: 'layer' | 'head'): HTMLSelectElement {
  return root.querySelector<HTMLSelectElement>(`select.llm-lab-${which}-select`)!;
}

function choose(selectEl: HTMLSelectElement, value: number): void {
  selectEl.value = String(value);
  selectEl.dispatchEvent(new Event('change'));
}

describe('attention view', () => {
  it('draws tokens x tokens cells colored by the selected layer and head', async () => {
    const spec = attentionSpec(TOKENS, 2, 4);
    const renderer = await render(ATTENTION_MIME_TYPE, JSON.stringify(spec));
    const n = TOKENS.length;
    expect(cells(renderer.node).length).toBe(n * n);
    expect(fills(renderer.node).map(normalizeHatch)).toEqual(expectedFills(spec, 1, 0));
    // causal: the n(n-1)/2 cells above the diagonal are masked, and marked as such
    expect(renderer.node.querySelectorAll('rect.llm-lab-attention-masked').length).toBe((n * (n - 1)) / 2);
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe(spec.title);
  });

  it('offers every layer and head, starting at the spec selection', async () => {
    const spec = attentionSpec(TOKENS, 3, 4, { layer: 1, head: 2 });
    const renderer = await render(ATTENTION_MIME_TYPE, spec);
    const layer = select(renderer.node, 'layer');
    const head = select(renderer.node, 'head');
    expect(Array.from(layer.options).map(o => o.value)).toEqual(['0', '1', '2']);
    expect(Array.from(head.options).map(o => o.value)).toEqual(['0', '1', '2', '3']);
    expect(layer.value).toBe('1');
    expect(head.value).toBe('2');
    expect(fills(renderer.node).map(normalizeHatch)).toEqual(expectedFills(spec, 1, 2));
  });

  it('recolors the cells with the chosen head and layer, without a kernel round trip', async () => {
    const spec = attentionSpec(TOKENS, 2, 4);
    const renderer = await render(ATTENTION_MIME_TYPE, spec);
    const before = fills(renderer.node);
    const cellNodes = cells(renderer.node);

    choose(select(renderer.node, 'head'), 3);
    const afterHead = fills(renderer.node);
    expect(afterHead).not.toEqual(before);
    expect(afterHead.map(normalizeHatch)).toEqual(expectedFills(spec, 1, 3));

    choose(select(renderer.node, 'layer'), 0);
    expect(fills(renderer.node).map(normalizeHatch)).toEqual(expectedFills(spec, 0, 3));
    // the same cells, recolored
    expect(cells(renderer.node)[5]).toBe(cellNodes[5]);
  });

  it('labels rows and columns with the tokens', async () => {
    const tokens = ['The', '\u2423cat', '\u2423sat', '\u2423on', '\u2423a', '\u2423supercalifragilistic'];
    const renderer = await render(ATTENTION_MIME_TYPE, attentionSpec(tokens, 1, 1));
    const rows = Array.from(renderer.node.querySelectorAll('text.llm-lab-attention-row')).map(t => t.textContent);
    const columns = Array.from(renderer.node.querySelectorAll('text.llm-lab-attention-column')).map(t => t.textContent);
    expect(rows).toEqual(tokens.map(shortLabel));
    expect(columns).toEqual(rows);
    expect(rows[5]).toBe('\u2423supercalifr\u2026'); // long tokens are cut in labels only
  });

  it('reads out "query -> key: weight" for the cell under the pointer', async () => {
    const tokens = ['The', '\u2423cat', '\u2423sat', '\u2423on', '\u2423a', '\u2423supercalifragilistic'];
    const spec = attentionSpec(tokens, 2, 2);
    const renderer = await render(ATTENTION_MIME_TYPE, spec);
    const readout = renderer.node.querySelector('.llm-lab-attention-readout')!;
    const n = tokens.length;
    const hover = (q: number, k: number) => cells(renderer.node)[q * n + k].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));

    hover(5, 2);
    expect(readout.textContent).toBe(`\u2423supercalifragilistic -> \u2423sat: ${spec.weights[1][0][5][2].toFixed(3)}`);
    expect(renderer.node.querySelector('text.llm-lab-attention-row.llm-lab-attention-active')!.textContent).toBe(shortLabel(tokens[5]));

    choose(select(renderer.node, 'head'), 1);
    hover(3, 3);
    expect(readout.textContent).toBe(`\u2423on -> \u2423on: ${spec.weights[1][1][3][3].toFixed(3)}`);

    hover(1, 4);
    expect(readout.textContent).toContain('\u2423cat -> \u2423a: masked');

    renderer.node.querySelector('.llm-lab-attention-grid')!.dispatchEvent(new MouseEvent('mouseleave'));
    expect(readout.textContent).toContain('Point at a cell');
  });

  it('shows no masked cells for a bidirectional (encoder) spec', async () => {
    const spec = attentionSpec(TOKENS, 1, 2, { causal: false });
    const renderer = await render(ATTENTION_MIME_TYPE, spec);
    expect(renderer.node.querySelectorAll('rect.llm-lab-attention-masked').length).toBe(0);
    expect(fills(renderer.node)).toEqual(expectedFills(spec, 0, 0));
  });

  it('inserts token text as text: markup in a token stays literal', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const tokens = ['a', evil, '<script>alert(2)</script>', 'b'];
    const spec = attentionSpec(tokens, 1, 1, { title: '<b>title</b>' });
    const renderer = await render(ATTENTION_MIME_TYPE, JSON.stringify(spec));
    expect(renderer.node.querySelector('img')).toBeNull();
    expect(document.querySelector('img, script, b')).toBeNull();
    const rows = Array.from(renderer.node.querySelectorAll('text.llm-lab-attention-row')).map(t => t.textContent);
    expect(rows[1]).toBe(shortLabel(evil));
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe('<b>title</b>');
    // the readout shows the whole token, still as text
    cells(renderer.node)[1 * 4 + 0].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(renderer.node.querySelector('.llm-lab-attention-readout')!.textContent).toContain(`${evil} -> a:`);
    expect(renderer.node.querySelector('img')).toBeNull();
  });
});
