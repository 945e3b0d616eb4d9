import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { headColor, type HeadViewSpec } from '@llm-lab/kernel/contract';
import { HEAD_VIEW_MIME_TYPE } from '../../extension/src/mime';
import { MIN_LINE_WEIGHT, shortToken } from '../../extension/src/renderers/attention-lines';
import { charTokens, crossAttentionSpec, headViewSpec } from './fixtures';
import { render } from './render';

const TOKENS = charTokens('the cat sat');

afterEach(() => {
  document.body.replaceChildren();
});

interface Line {
  head: number;
  q: number;
  k: number;
  opacity: number;
  shown: number;
  stroke: string;
}

function lines(root: HTMLElement): Line[] {
  return Array.from(root.querySelectorAll<SVGLineElement>('line.llm-lab-hv-line')).map(l => ({
    head: Number(l.getAttribute('data-head')),
    q: Number(l.getAttribute('data-query')),
    k: Number(l.getAttribute('data-key')),
    opacity: Number(l.getAttribute('data-weight')),
    shown: Number(l.getAttribute('stroke-opacity')),
    stroke: l.getAttribute('stroke')!
  }));
}

/** The lines the view must draw: (head, query, key, weight) of every weight >= MIN_LINE_WEIGHT. */
function expectedLines(spec: HeadViewSpec, layer: number, heads: number[]): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (const h of heads) spec.weights[layer][h].forEach((row, q) => row.forEach((w, k) => w >= MIN_LINE_WEIGHT && out.push([h, q, k, w])));
  return out.sort((a, b) => a[3] - b[3]); // faint lines first, strong ones drawn on top
}

const asTuples = (ls: Line[]) => ls.map(l => [l.head, l.q, l.k, l.opacity]);

function headButtons(root: HTMLElement): HTMLButtonElement[] {
  return Array.from(root.querySelectorAll<HTMLButtonElement>('button.llm-lab-hv-head'));
}

function tokenTexts(root: HTMLElement, side: 'query' | 'key'): SVGTextElement[] {
  return Array.from(root.querySelectorAll<SVGTextElement>(`text.llm-lab-hv-${side}`));
}

describe('head view', () => {
  it('draws query tokens left, key tokens right, and a line per weight of every selected head', async () => {
    const spec = headViewSpec(TOKENS, 2, 3);
    const renderer = await render(HEAD_VIEW_MIME_TYPE, JSON.stringify(spec));
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe(spec.title);
    expect(tokenTexts(renderer.node, 'query').map(t => t.textContent)).toEqual(TOKENS);
    expect(tokenTexts(renderer.node, 'key').map(t => t.textContent)).toEqual(TOKENS);
    const drawn = lines(renderer.node);
    expect(asTuples(drawn)).toEqual(expectedLines(spec, 1, [0, 1, 2]));
    // causal: no line goes to a later token
    expect(drawn.every(l => l.k <= l.q)).toBe(true);
    drawn.forEach(l => expect(l.stroke).toBe(headColor(l.head)));
    // opacity grows with the weight
    const byWeight = [...drawn].sort((a, b) => a.opacity - b.opacity);
    byWeight.slice(1).forEach((l, i) => expect(l.shown).toBeGreaterThanOrEqual(byWeight[i].shown));
    expect(byWeight.at(-1)!.shown).toBeCloseTo(byWeight.at(-1)!.opacity ** 0.75, 5);
  });

  it('starts with the spec selection of layer and heads', async () => {
    const spec = headViewSpec(TOKENS, 3, 4, { layer: 1, heads: [2] });
    const renderer = await render(HEAD_VIEW_MIME_TYPE, spec);
    expect(renderer.node.querySelector<HTMLSelectElement>('select.llm-lab-layer-select')!.value).toBe('1');
    expect(headButtons(renderer.node).map(b => b.getAttribute('aria-pressed'))).toEqual(['false', 'false', 'true', 'false']);
    expect(asTuples(lines(renderer.node))).toEqual(expectedLines(spec, 1, [2]));
  });

  it('toggles a head with its button and switches layers with the selector', async () => {
    const spec = headViewSpec(TOKENS, 2, 3);
    const renderer = await render(HEAD_VIEW_MIME_TYPE, spec);
    const buttons = headButtons(renderer.node);
    buttons[1].click();
    expect(buttons[1].getAttribute('aria-pressed')).toBe('false');
    expect(asTuples(lines(renderer.node))).toEqual(expectedLines(spec, 1, [0, 2]));
    buttons[0].click();
    buttons[2].click();
    expect(lines(renderer.node)).toHaveLength(0);
    buttons[1].click();
    expect(asTuples(lines(renderer.node))).toEqual(expectedLines(spec, 1, [1]));

    const layer = renderer.node.querySelector<HTMLSelectElement>('select.llm-lab-layer-select')!;
    layer.value = '0';
    layer.dispatchEvent(new Event('change'));
    const layer0 = expectedLines(spec, 0, [1]);
    expect(asTuples(lines(renderer.node))).toEqual(layer0);
    expect(layer0).not.toEqual(expectedLines(spec, 1, [1]));
  });

  it('hovering a token keeps only its lines and reads out its strongest partner per head', async () => {
    const spec = headViewSpec(TOKENS, 2, 2);
    const renderer = await render(HEAD_VIEW_MIME_TYPE, spec);
    const readout = renderer.node.querySelector('.llm-lab-attention-readout')!;
    const all = lines(renderer.node).length;

    const query = tokenTexts(renderer.node, 'query')[6];
    query.dispatchEvent(new MouseEvent('mouseenter'));
    const focused = lines(renderer.node);
    expect(focused.length).toBeGreaterThan(0);
    expect(focused.every(l => l.q === 6)).toBe(true);
    expect(asTuples(focused)).toEqual(expectedLines(spec, 1, [0, 1]).filter(([, q]) => q === 6));
    expect(query.classList.contains('llm-lab-attention-active')).toBe(true);
    // head 0 of the fixture looks at the previous token: 't' (6) reads 'a' (5)
    expect(readout.textContent).toBe(`t reads most from: head 0: a ${spec.weights[1][0][6][5].toFixed(3)}; head 1: ${TOKENS[maxIndex(spec.weights[1][1][6])]} ${Math.max(...spec.weights[1][1][6]).toFixed(3)}`);

    query.dispatchEvent(new MouseEvent('mouseleave'));
    expect(lines(renderer.node)).toHaveLength(all);
    expect(readout.textContent).toContain('Point at a token');

    tokenTexts(renderer.node, 'key')[2].dispatchEvent(new MouseEvent('mouseenter'));
    const into = lines(renderer.node);
    expect(asTuples(into)).toEqual(expectedLines(spec, 1, [0, 1]).filter(([, , k]) => k === 2));
    expect(into.every(l => l.q >= 2)).toBe(true); // causal: only later queries read key 2
    expect(readout.textContent).toMatch(/^e is read most by: head 0: /);
  });

  it('draws cross-attention: target tokens left, source tokens right, every source visible to every target', async () => {
    const spec = crossAttentionSpec();
    const renderer = await render(HEAD_VIEW_MIME_TYPE, spec);
    expect(tokenTexts(renderer.node, 'query').map(t => t.textContent)).toEqual(spec.tokens);
    expect(tokenTexts(renderer.node, 'key').map(t => t.textContent)).toEqual(spec.keyTokens!.map(shortToken));
    expect(Array.from(renderer.node.querySelectorAll('.llm-lab-hv-header text')).map(t => t.textContent)).toEqual(['target (query)', 'source (key)']);
    expect(asTuples(lines(renderer.node))).toEqual(expectedLines(spec, 0, [0, 1]));
    expect(lines(renderer.node).some(l => l.k > l.q)).toBe(true); // not causal
    expect(renderer.node.querySelector('.llm-lab-attention-note')!.textContent).toContain('encoder (source)');
  });

  it('inserts token text as text: markup in a token stays literal', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const spec = headViewSpec(['a', evil, '<script>alert(2)</script>', 'b'], 1, 2, { title: '<b>t</b>' });
    const renderer = await render(HEAD_VIEW_MIME_TYPE, JSON.stringify(spec));
    expect(document.querySelector('img, script, b')).toBeNull();
    expect(tokenTexts(renderer.node, 'query')[1].textContent).toBe(shortToken(evil));
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe('<b>t</b>');
    tokenTexts(renderer.node, 'query')[1].dispatchEvent(new MouseEvent('mouseenter'));
    expect(renderer.node.querySelector('.llm-lab-attention-readout')!.textContent).toContain(`${evil} reads most from`);
    expect(document.querySelector('img')).toBeNull();
  });
});

function maxIndex(row: number[]): number {
  return row.indexOf(Math.max(...row));
}
