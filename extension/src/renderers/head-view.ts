/**
 * The head view: one layer's attention as lines from each query token (left) to the keys it
 * reads (right), one color per head. Toggle heads with their buttons, switch layers with the
 * selector, point at a token to keep only its lines. Cross-attention specs (keyTokens) read the
 * same way: target tokens on the left, source tokens on the right.
 */
import { headColor, HeadViewSpec, validateHeadViewSpec } from '@llm-lab/kernel/contract';
import { indexSelect } from './attention';
import { drawTokenLines, Focus } from './attention-lines';
import { element } from './dom';
import { formatWeight } from './format';
import { specRenderer } from './spec-renderer';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HINT = 'Point at a token to see only its lines.';

/** What the readout says about a focused token: per selected head, its strongest partner. */
export function describeFocus(spec: Pick<HeadViewSpec, 'tokens' | 'keyTokens' | 'weights'>, layer: number, heads: number[], focus: Focus): string {
  const keys = spec.keyTokens ?? spec.tokens;
  const grid = spec.weights[layer];
  const parts = heads.map(h => {
    const pairs = focus.side === 'query' ? grid[h][focus.index].map((w, k) => ({ w, token: keys[k] })) : grid[h].map((row, q) => ({ w: row[focus.index], token: spec.tokens[q] }));
    const best = pairs.reduce((a, b) => ((b.w ?? -1) > (a.w ?? -1) ? b : a));
    return `head ${h}: ${best.token} ${formatWeight(best.w)}`;
  });
  if (parts.length === 0) return 'No head selected.';
  const token = focus.side === 'query' ? spec.tokens[focus.index] : keys[focus.index];
  return focus.side === 'query' ? `${token} reads most from: ${parts.join('; ')}` : `${token} is read most by: ${parts.join('; ')}`;
}

/** One toggle button per head, colored like its lines; aria-pressed says whether it is shown. */
function headToggles(nHeads: number, selected: number[], onChange: () => void): { node: HTMLElement; heads: () => number[] } {
  const node = element('div', 'llm-lab-hv-heads');
  node.append(element('span', 'llm-lab-hv-heads-label', 'Heads'));
  const buttons = Array.from({ length: nHeads }, (_, h) => {
    const button = element('button', 'llm-lab-hv-head', String(h));
    button.type = 'button';
    button.title = `head ${h}: click to show or hide`;
    button.style.setProperty('--llm-lab-head-color', headColor(h));
    button.setAttribute('aria-pressed', String(selected.includes(h)));
    button.addEventListener('click', () => {
      button.setAttribute('aria-pressed', String(button.getAttribute('aria-pressed') !== 'true'));
      onChange();
    });
    node.append(button);
    return button;
  });
  return { node, heads: () => buttons.flatMap((b, h) => (b.getAttribute('aria-pressed') === 'true' ? [h] : [])) };
}

export function headView(spec: HeadViewSpec): HTMLElement {
  const cross = spec.keyTokens !== undefined;
  const root = element('div', 'llm-lab-head-view');
  const title = element('div', 'llm-lab-title', spec.title);
  const layer = indexSelect('Layer', 'llm-lab-layer-select', spec.nLayers, spec.layer);
  const readout = element('div', 'llm-lab-attention-readout', HINT);
  readout.setAttribute('aria-live', 'polite');
  const show = () => lines.show(spec.weights[Number(layer.select.value)], toggles.heads());
  const toggles = headToggles(spec.nHeads, spec.heads, show);
  const controls = element('div', 'llm-lab-attention-controls');
  controls.append(layer.label, toggles.node);

  const scroller = element('div', 'llm-lab-attention-scroll');
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'llm-lab-hv-svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', cross ? 'cross-attention lines from target to source tokens' : 'attention lines from query to key tokens');
  scroller.append(svg);
  const lines = drawTokenLines(svg, spec.tokens, spec.keyTokens ?? spec.tokens, {
    headers: cross ? ['target (query)', 'source (key)'] : ['query: reading', 'key: read'],
    onFocus: focus => {
      readout.textContent = focus ? describeFocus(spec, Number(layer.select.value), toggles.heads(), focus) : HINT;
    }
  });
  layer.select.addEventListener('change', show);
  show();

  const note = element(
    'div',
    'llm-lab-attention-note',
    cross
      ? 'Each decoder (target) token on the left reads the encoder (source) tokens on the right; a line is as strong as the weight, and each left token\u2019s weights sum to 1 per head.'
      : 'Each token on the left reads the tokens on the right; a line is as strong as the weight, and each left token\u2019s weights sum to 1 per head.' +
          (spec.causal ? ' A token reads only itself and earlier tokens (causal attention).' : '')
  );
  root.append(title, controls, readout, scroller, note);
  return root;
}

export const HeadViewRenderer = specRenderer('head-view', validateHeadViewSpec, headView);
