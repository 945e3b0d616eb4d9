import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTENTION_MIME_TYPE, TRAINING_MIME_TYPE } from '../../extension/src/mime';
import { attentionSpec, charTokens, trainingSpec, trainingSpecV1 } from './fixtures';
import { createRenderer, mimeModel, render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

/** The error box's text, after checking there is exactly one and nothing else was drawn. */
function errorText(root: HTMLElement): string {
  const boxes = root.querySelectorAll('.llm-lab-error');
  expect(boxes.length).toBe(1);
  expect(root.querySelector('.llm-lab-training, .llm-lab-attention')).toBeNull();
  return boxes[0].textContent!;
}

const training = trainingSpec(30, 100);
const trainingV1 = trainingSpecV1(30, 100);
const attention = attentionSpec(charTokens('hello'), 2, 2);

describe('malformed training specs', () => {
  const withSeries = (i: number, patch: object) => ({ ...training, series: training.series.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  const cases: [string, unknown, string][] = [
    ['wrong kind', { ...training, kind: 'attention' }, 'kind must be "training", got "attention"'],
    ['a future version', { ...training, version: 3 }, 'version must be 2 or 1, got 3'],
    ['a missing field', { ...training, backend: undefined }, 'backend must be a string, got undefined'],
    ['an unknown status', { ...training, status: 'paused' }, 'status must be running | done | interrupted | error, got "paused"'],
    ['a series whose step and value lengths differ', withSeries(1, { value: [1, 2] }), 'series[1] ("val loss"): value.length (2) must equal step.length (1)'],
    ['two series of one name', withSeries(2, { name: 'train loss' }), 'series[0] and series[2] are both named "train loss": names must be unique'],
    ['a series without a name', withSeries(3, { name: undefined }), 'series[3].name must be a non-empty string, got undefined'],
    ['a version 1 spec whose series lengths differ', { ...trainingV1, valLoss: { step: [1, 2, 3], value: [1, 2] } }, 'valLoss.value must have length 3, got 2'],
    ['a string that is not JSON', '{"kind": "training", "version": 2,', 'spec is not valid JSON'],
    ['no data at all', undefined, 'spec must be an object, got undefined'],
    ['an array', [training], 'spec must be an object']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the problem`, async () => {
      const renderer = await render(TRAINING_MIME_TYPE, data);
      const text = errorText(renderer.node);
      expect(text).toContain('LLM Lab could not draw this training view:');
      expect(text).toContain(message);
    });
  }

  it('a live view that receives a bad update shows the error, then recovers', async () => {
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(10, 100)));
    expect(renderer.node.querySelector('.llm-lab-training .js-plotly-plot')).not.toBeNull();

    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, { ...trainingSpec(20, 100), step: -1 }));
    expect(errorText(renderer.node)).toContain('step must be an integer >= 0, got -1');

    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(30, 100)));
    expect(renderer.node.querySelector('.llm-lab-error')).toBeNull();
    expect(renderer.node.querySelector('.llm-lab-training')!.textContent).toContain('step 30/100');
  });
});

describe('malformed attention specs', () => {
  const n = 5;
  const cases: [string, unknown, string][] = [
    ['wrong kind', { ...attention, kind: 'training' }, 'kind must be "attention", got "training"'],
    ['a future version', { ...attention, version: 2 }, 'version must be 1, got 2'],
    ['no tokens', { ...attention, tokens: [] }, 'tokens must be a non-empty array'],
    ['a token that is not a string', { ...attention, tokens: ['h', 'e', 7, 'l', 'o'] }, 'tokens[2] must be a string, got 7'],
    ['fewer layers than nLayers', { ...attention, weights: attention.weights.slice(0, 1) }, 'weights must have length 2, got 1'],
    ['a row of the wrong length', { ...attention, weights: [attention.weights[0], [attention.weights[1][0], [...attention.weights[1][1].slice(0, n - 1), [1, 0]]]] }, 'weights[1][1][4] must have length 5, got 2'],
    ['a selected head that does not exist', { ...attention, head: 2 }, 'head (2) must be < nHeads (2)'],
    ['causal missing', { ...attention, causal: undefined }, 'causal must be a boolean, got undefined'],
    ['a string that is not JSON', 'not json', 'spec is not valid JSON']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the problem`, async () => {
      const renderer = await render(ATTENTION_MIME_TYPE, data);
      const text = errorText(renderer.node);
      expect(text).toContain('LLM Lab could not draw this attention view:');
      expect(text).toContain(message);
    });
  }

  it('shows the error message as text', async () => {
    const renderer = await render(ATTENTION_MIME_TYPE, { ...attention, tokens: ['<img src=x onerror=alert(1)>', 1, 'l', 'l', 'o'] });
    expect(errorText(renderer.node)).toContain('tokens[1] must be a string, got 1');
    expect(renderer.node.querySelector('img')).toBeNull();
  });
});
