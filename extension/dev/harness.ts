/**
 * Standalone page for looking at the views in a real browser without JupyterLab: renders the
 * compiled renderers (extension/lib, the code the labextension bundles) with the test fixtures.
 * Built and screenshotted by dev/screenshots.mjs.
 */
import { Widget } from '@lumino/widgets';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ATTENTION_MIME_TYPE, rendererFactory, TRAINING_MIME_TYPE } from '../lib/mime.js';
import { attentionSpec, charTokens, trainingSpec } from '../../test/renderers/fixtures';

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
  show('attention', ATTENTION_MIME_TYPE, JSON.stringify(attentionSpec(sentence, 4, 4))),
  show('attention-words', ATTENTION_MIME_TYPE, attentionSpec(words, 2, 2, { causal: false, layer: 0, head: 1 })),
  show('error', ATTENTION_MIME_TYPE, { ...attentionSpec(words, 1, 1), version: 2 })
]).then(
  () => document.body.setAttribute('data-harness', 'ready'),
  error => document.body.setAttribute('data-harness', `failed: ${String(error)}`)
);
