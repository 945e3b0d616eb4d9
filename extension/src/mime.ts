/**
 * The mime extension: one renderer factory for every view kind the kernel sends. Each output is
 * one bundle (the spec + image/svg+xml + text/plain); our rank beats the SVG fallback, so the
 * lab shows the interactive view and other frontends (nbconvert, GitHub) show the SVG.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { mimeTypeFor } from '@llm-lab/kernel/dist/viz/spec';
import { AttentionRenderer } from './renderers/attention';
import { TrainingRenderer } from './renderers/training';

export const TRAINING_MIME_TYPE = mimeTypeFor('training');
export const ATTENTION_MIME_TYPE = mimeTypeFor('attention');

/** Lower wins; JupyterLab's own renderers start at 50 (HTML), SVG is 80. */
const RANK = 10;

export const rendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every string from the spec is inserted as text, no script or markup is evaluated.
  safe: true,
  mimeTypes: [TRAINING_MIME_TYPE, ATTENTION_MIME_TYPE],
  defaultRank: RANK,
  createRenderer: options => (options.mimeType === ATTENTION_MIME_TYPE ? new AttentionRenderer(options) : new TrainingRenderer(options))
};

const extension: IRenderMime.IExtension = {
  id: '@llm-lab/jupyterlab:renderers',
  description: 'Live training curves and attention heatmaps for LLM Lab outputs.',
  rendererFactory,
  rank: RANK,
  // tslab sends the spec as a JSON string, ipykernel as an object: take it as it comes.
  dataType: 'json'
};

export default extension;
