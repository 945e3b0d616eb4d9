import './setup';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttentionTrainingSpec } from '@llm-lab/kernel/contract';
import { ATTENTION_TRAINING_MIME_TYPE } from '../../extension/src/mime';
import { attentionColor } from '../../extension/src/renderers/attention-heatmap';
import { PLAY_INTERVAL_MS } from '../../extension/src/renderers/attention-training';
import { attentionTrainingSpec, charTokens } from './fixtures';
import { render } from './render';

const TOKENS = charTokens('the cat sat');

afterEach(() => {
  document.body.replaceChildren();
});

function fills(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('rect.llm-lab-attention-cell')).map(c => {
    const f = c.getAttribute('fill')!;
    return f.startsWith('url(#llm-lab-hatch-') ? 'hatch' : f;
  });
}

function expected(spec: AttentionTrainingSpec, frame: number, layer: number, head: number): string[] {
  const n = spec.tokens.length;
  const out: string[] = [];
  for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) out.push(k > q ? 'hatch' : attentionColor(spec.frames[frame][layer][head][q][k]));
  return out;
}

function slide(root: HTMLElement, frame: number): void {
  const slider = root.querySelector<HTMLInputElement>('input.llm-lab-step-slider')!;
  slider.value = String(frame);
  slider.dispatchEvent(new Event('input'));
}

describe('attention over training', () => {
  it('starts at the spec frame, with a slider over every checkpoint', async () => {
    const spec = attentionTrainingSpec(TOKENS, [0, 100, 200, 400], 2, 2, { frame: 1 });
    const renderer = await render(ATTENTION_TRAINING_MIME_TYPE, JSON.stringify(spec));
    const slider = renderer.node.querySelector<HTMLInputElement>('input.llm-lab-step-slider')!;
    expect([slider.type, slider.min, slider.max, slider.value]).toEqual(['range', '0', '3', '1']);
    expect(renderer.node.querySelector('.llm-lab-step-label')!.textContent).toBe('step 100 (2 of 4)');
    expect(fills(renderer.node)).toEqual(expected(spec, 1, 1, 0));
  });

  it('the slider changes the frame and the weights shown, no kernel round trip', async () => {
    const spec = attentionTrainingSpec(TOKENS, [0, 100, 200, 400], 2, 2);
    const renderer = await render(ATTENTION_TRAINING_MIME_TYPE, spec);
    const cellNodes = Array.from(renderer.node.querySelectorAll('rect.llm-lab-attention-cell'));
    expect(renderer.node.querySelector('.llm-lab-step-label')!.textContent).toBe('step 400 (4 of 4)');
    const last = fills(renderer.node);

    slide(renderer.node, 0);
    expect(renderer.node.querySelector('.llm-lab-step-label')!.textContent).toBe('step 0 (1 of 4)');
    expect(fills(renderer.node)).toEqual(expected(spec, 0, 1, 0));
    expect(fills(renderer.node)).not.toEqual(last);
    expect(Array.from(renderer.node.querySelectorAll('rect.llm-lab-attention-cell'))[7]).toBe(cellNodes[7]); // recolored in place

    const head = renderer.node.querySelector<HTMLSelectElement>('select.llm-lab-head-select')!;
    head.value = '1';
    head.dispatchEvent(new Event('change'));
    slide(renderer.node, 2);
    expect(fills(renderer.node)).toEqual(expected(spec, 2, 1, 1));

    // the readout names the step of the weight it shows
    const n = TOKENS.length;
    cellNodes[5 * n + 4].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(renderer.node.querySelector('.llm-lab-attention-readout')!.textContent).toBe(`a -> c at step 200: ${spec.frames[2][1][1][5][4].toFixed(3)}`);
  });

  it('Play steps through the checkpoints from the first, then stops at the last; the slider takes over', async () => {
    vi.useFakeTimers();
    try {
      const spec = attentionTrainingSpec(TOKENS, [0, 100, 200, 400], 1, 1);
      const renderer = await render(ATTENTION_TRAINING_MIME_TYPE, spec);
      const play = renderer.node.querySelector<HTMLButtonElement>('button.llm-lab-step-play')!;
      const label = () => renderer.node.querySelector('.llm-lab-step-label')!.textContent;
      play.click(); // at the last frame: starts over
      expect(label()).toBe('step 0 (1 of 4)');
      expect(play.getAttribute('aria-pressed')).toBe('true');
      vi.advanceTimersByTime(PLAY_INTERVAL_MS);
      expect(label()).toBe('step 100 (2 of 4)');
      expect(fills(renderer.node)).toEqual(expected(spec, 1, 0, 0));
      vi.advanceTimersByTime(5 * PLAY_INTERVAL_MS);
      expect(label()).toBe('step 400 (4 of 4)');
      expect(play.getAttribute('aria-pressed')).toBe('false');

      play.click();
      vi.advanceTimersByTime(PLAY_INTERVAL_MS);
      expect(label()).toBe('step 100 (2 of 4)');
      slide(renderer.node, 3); // by hand: playing stops
      expect(play.getAttribute('aria-pressed')).toBe('false');
      vi.advanceTimersByTime(3 * PLAY_INTERVAL_MS);
      expect(label()).toBe('step 400 (4 of 4)');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('inserts token text as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const renderer = await render(ATTENTION_TRAINING_MIME_TYPE, attentionTrainingSpec(['a', evil], [0, 1], 1, 1, { title: '<b>x</b>' }));
    expect(document.querySelector('img, b')).toBeNull();
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe('<b>x</b>');
    expect(Array.from(renderer.node.querySelectorAll('text.llm-lab-attention-row')).map(t => t.textContent)).toEqual(['a', '<img src=x o\u2026']);
  });
});
