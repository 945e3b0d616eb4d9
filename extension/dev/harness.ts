/**
 * Standalone page for looking at the views in a real browser without JupyterLab: renders the
 * compiled renderers (extension/lib, the code the labextension bundles) with the test fixtures.
 * Built and screenshotted by dev/screenshots.mjs.
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import {
  ATTENTION_MIME_TYPE,
  ATTENTION_TRAINING_MIME_TYPE,
  HEAD_VIEW_MIME_TYPE,
  MODEL_VIEW_MIME_TYPE,
  NEURON_VIEW_MIME_TYPE,
  rendererFactory,
  TRAINING_MIME_TYPE,
  TRAINING_V1_MIME_TYPE
} from '../lib/mime.js';
import {
  alignmentSpec,
  attentionSpec,
  attentionTrainingSpec,
  charTokens,
  crossAttentionSpec,
  headViewSpec,
  modelViewSpec,
  neuronViewSpec,
  trainingSpec,
  trainingSpecV1
} from '../../test/renderers/fixtures';

function show(id: string, mimeType: string, data: unknown): Promise<void> {
  const host = document.getElementById(id);
  if (!host) throw new Error(`harness: no #${id}`);
  const renderer = rendererFactory.createRenderer({ mimeType } as IRenderMime.IRendererOptions);
  Widget.attach(renderer, host);
  return renderer.renderModel({ trusted: true, data: { [mimeType]: data }, metadata: {}, setData: () => undefined } as IRenderMime.IMimeModel);
}

const sentence = charTokens('Call me Ishmael. Some years ago, never mind how long');
const words = ['<bos>', 'The', '\u2423whale', '\u2423<img src=x onerror=alert(1)>', '\u2423surfaced', '.'];

// For ad-hoc checks from the browser console or playwright (e.g. timing live updates).
Object.assign(window, { llmLab: { rendererFactory, trainingSpec, attentionSpec, TRAINING_MIME_TYPE, ATTENTION_MIME_TYPE } });

Promise.all([
  show('training', TRAINING_MIME_TYPE, JSON.stringify(trainingSpec(180, 300))),
  show('training-done', TRAINING_MIME_TYPE, trainingSpec(300, 300, { status: 'interrupted', message: 'Stopped at step 300 by the user (KeyboardInterrupt).' })),
  show('training-alignment', TRAINING_MIME_TYPE, alignmentSpec(180, 300)),
  show('training-v1', TRAINING_V1_MIME_TYPE, JSON.stringify(trainingSpecV1(120, 300))),
  show('attention', ATTENTION_MIME_TYPE, JSON.stringify(attentionSpec(sentence, 4, 4))),
  show('attention-words', ATTENTION_MIME_TYPE, attentionSpec(words, 2, 2, { causal: false, layer: 0, head: 1 })),
  show('error', ATTENTION_MIME_TYPE, { ...attentionSpec(words, 1, 1), version: 2 }),
  show('head-view', HEAD_VIEW_MIME_TYPE, JSON.stringify(headViewSpec(charTokens('Call me Ishmael. Some years ago'), 4, 4))),
  show('head-view-words', HEAD_VIEW_MIME_TYPE, headViewSpec(words, 2, 3, { heads: [0, 2] })),
  show('cross-attention', HEAD_VIEW_MIME_TYPE, crossAttentionSpec()),
  show('model-view', MODEL_VIEW_MIME_TYPE, modelViewSpec(words, 4, 6)),
  show('attention-training', ATTENTION_TRAINING_MIME_TYPE, attentionTrainingSpec(charTokens('the cat sat on the mat'), [0, 50, 100, 200, 400], 2, 2, { frame: 2 })),
  show('neuron-view', NEURON_VIEW_MIME_TYPE, neuronViewSpec(words, 16, { query: 4 })),
  show('head-view-error', HEAD_VIEW_MIME_TYPE, { ...headViewSpec(words, 1, 2), heads: [0, 5] })
]).then(
  () => document.body.setAttribute('data-harness', 'ready'),
  error => document.body.setAttribute('data-harness', `failed: ${String(error)}`)
);
