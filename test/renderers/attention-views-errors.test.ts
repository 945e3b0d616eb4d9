import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTENTION_TRAINING_MIME_TYPE, HEAD_VIEW_MIME_TYPE, MODEL_VIEW_MIME_TYPE, NEURON_VIEW_MIME_TYPE } from '../../extension/src/mime';
import { attentionTrainingSpec, charTokens, crossAttentionSpec, headViewSpec, modelViewSpec, neuronViewSpec } from './fixtures';
import { createRenderer, mimeModel, render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

const VIEWS = '.llm-lab-head-view, .llm-lab-model-view, .llm-lab-attention-training, .llm-lab-neuron-view';

/** The error box's text, after checking there is exactly one and no view was drawn. */
function errorText(root: HTMLElement): string {
  const boxes = root.querySelectorAll('.llm-lab-error');
  expect(boxes.length).toBe(1);
  expect(root.querySelector(VIEWS)).toBeNull();
  return boxes[0].textContent!;
}

const tokens = charTokens('hello');
const head = headViewSpec(tokens, 2, 2);
const model = modelViewSpec(tokens, 2, 2);
const frames = attentionTrainingSpec(tokens, [0, 10, 20], 1, 2);
const neuron = neuronViewSpec(tokens, 4);
const cross = crossAttentionSpec();

const cases: [string, string, string, unknown, string][] = [
  ['head-view', HEAD_VIEW_MIME_TYPE, 'wrong kind', { ...head, kind: 'model-view' }, 'kind must be "head-view", got "model-view"'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'a future version', { ...head, version: 2 }, 'version must be 1, got 2'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'a head that does not exist', { ...head, heads: [0, 5] }, 'heads[1] (5) must be < nHeads (2)'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'a layer that does not exist', { ...head, layer: 2 }, 'layer (2) must be < nLayers (2)'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'a token that is not a string', { ...head, tokens: ['h', 'e', null, 'l', 'o'] }, 'tokens[2] must be a string, got null'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'a weight that is not a number', { ...head, weights: [head.weights[0], [head.weights[1][0], [...head.weights[1][1].slice(0, 4), [0.5, 0.5, 'x', 0, 0]]]] }, 'weights[1][1][4][2] must be a finite number, got "x"'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'cross-attention rows as long as the queries', { ...cross, keyTokens: cross.keyTokens!.slice(1) }, 'weights[0][0][0] must have length 5, got 6'],
  ['head-view', HEAD_VIEW_MIME_TYPE, 'causal cross-attention', { ...cross, causal: true }, 'causal must be false when keyTokens is given'],
  ['model-view', MODEL_VIEW_MIME_TYPE, 'fewer heads than nHeads', { ...model, weights: model.weights.map(l => l.slice(0, 1)) }, 'weights[0] must have length 2, got 1'],
  ['model-view', MODEL_VIEW_MIME_TYPE, 'no tokens', { ...model, tokens: [] }, 'tokens must be a non-empty array'],
  ['attention-training', ATTENTION_TRAINING_MIME_TYPE, 'steps out of order', { ...frames, steps: [0, 20, 10] }, 'steps must increase, got steps[1] = 20 then steps[2] = 10'],
  ['attention-training', ATTENTION_TRAINING_MIME_TYPE, 'a missing frame', { ...frames, frames: frames.frames.slice(0, 2) }, 'frames must have length 3, got 2'],
  ['attention-training', ATTENTION_TRAINING_MIME_TYPE, 'a frame past the end', { ...frames, frame: 3 }, 'frame (3) must be < the number of steps (3)'],
  ['neuron-view', NEURON_VIEW_MIME_TYPE, 'a key vector of the wrong size', { ...neuron, k: [...neuron.k.slice(0, 4), [1, 2, 3]] }, 'k[4] must have length 4, got 3'],
  ['neuron-view', NEURON_VIEW_MIME_TYPE, 'a query token that does not exist', { ...neuron, query: 5 }, 'query (5) must be < the number of tokens (5)'],
  ['neuron-view', NEURON_VIEW_MIME_TYPE, 'a string that is not JSON', '{"kind": "neuron-view"', 'spec is not valid JSON']
];

describe('malformed attention view specs', () => {
  for (const [kind, mime, what, data, message] of cases) {
    it(`${kind}, ${what}: an error box naming the problem`, async () => {
      const renderer = await render(mime, data);
      const text = errorText(renderer.node);
      expect(text).toContain(`LLM Lab could not draw this ${kind.replace('-view', '').replace('-', ' ')} view:`);
      expect(text).toContain(message);
    });
  }

  it('the error text stays text', async () => {
    const renderer = await render(NEURON_VIEW_MIME_TYPE, { ...neuron, tokens: ['<img src=x onerror=alert(1)>', 2, 'l', 'l', 'o'] });
    expect(errorText(renderer.node)).toContain('LLM Lab could not draw this neuron view:tokens[1] must be a string, got 2');
    expect(document.querySelector('img')).toBeNull();
  });

  it('a view that receives a bad update shows the error, then recovers', async () => {
    const renderer = createRenderer(ATTENTION_TRAINING_MIME_TYPE);
    await renderer.renderModel(mimeModel(ATTENTION_TRAINING_MIME_TYPE, frames));
    expect(renderer.node.querySelector('.llm-lab-attention-training')).not.toBeNull();
    await renderer.renderModel(mimeModel(ATTENTION_TRAINING_MIME_TYPE, { ...frames, head: 2 }));
    expect(errorText(renderer.node)).toContain('head (2) must be < nHeads (2)');
    await renderer.renderModel(mimeModel(ATTENTION_TRAINING_MIME_TYPE, attentionTrainingSpec(tokens, [0, 10, 20, 30], 1, 2)));
    expect(renderer.node.querySelector('.llm-lab-error')).toBeNull();
    expect(renderer.node.querySelector('.llm-lab-step-label')!.textContent).toBe('step 30 (4 of 4)');
  });
});
