/**
 * The mime extension: one renderer factory for every view kind the kernel sends. Each output is
 * one bundle (the spec, image/svg+xml, text/html holding an <img> of that SVG, and text/plain; a
 * live training view adds the picture when its run ends); our rank beats JupyterLab's HTML and SVG
 * renderers, so the lab shows the interactive view, and other frontends (nbconvert, GitHub) show
 * the picture: the SVG, or its <img> where inline SVG is stripped (nbconvert 6.5 to 7.6).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { mimeTypeFor } from '@llm-lab/kernel/contract';
import { AlignPipelineRenderer } from './renderers/align-pipeline';
import { GrpoGroupsRenderer } from './renderers/align-grpo-groups';
import { RewardKlRenderer } from './renderers/align-reward-kl';
import { RewardScatterRenderer } from './renderers/align-reward-scatter';
import { RlSamplesRenderer } from './renderers/align-samples';
import { AttentionRenderer } from './renderers/attention';
import { AttentionTrainingRenderer } from './renderers/attention-training';
import { ClassificationRenderer } from './renderers/classification';
import { CompareRenderer } from './renderers/compare';
import { RunComparisonRenderer } from './renderers/run-comparison';
import { HeadViewRenderer } from './renderers/head-view';
import { ModelViewRenderer } from './renderers/model-view';
import { NeuronViewRenderer } from './renderers/neuron-view';
import { PeftDiagramRenderer } from './renderers/peft-diagram';
import { QuantErrorRenderer } from './renderers/quant-error';
import { QuantHistogramRenderer } from './renderers/quant-histogram';
import { QuantOutliersRenderer } from './renderers/quant-outliers';
import { QuantTradeoffRenderer } from './renderers/quant-tradeoff';
import type { RendererClass } from './renderers/spec-renderer';
import { TokenMaskRenderer } from './renderers/token-mask';
import { TrainingRenderer } from './renderers/training';

export const TRAINING_MIME_TYPE = mimeTypeFor('training');
/** What notebooks saved before training specs had named series hold; drawn by the same renderer. */
export const TRAINING_V1_MIME_TYPE = mimeTypeFor('training', 1);
export const ATTENTION_MIME_TYPE = mimeTypeFor('attention');
export const HEAD_VIEW_MIME_TYPE = mimeTypeFor('head-view');
export const MODEL_VIEW_MIME_TYPE = mimeTypeFor('model-view');
export const ATTENTION_TRAINING_MIME_TYPE = mimeTypeFor('attention-training');
export const NEURON_VIEW_MIME_TYPE = mimeTypeFor('neuron-view');
export const CLASSIFICATION_MIME_TYPE = mimeTypeFor('classification');
export const TOKEN_MASK_MIME_TYPE = mimeTypeFor('token-mask');
export const COMPARE_MIME_TYPE = mimeTypeFor('compare');
export const PEFT_DIAGRAM_MIME_TYPE = mimeTypeFor('peft-diagram');
export const QUANT_HISTOGRAM_MIME_TYPE = mimeTypeFor('quant-histogram');
export const QUANT_ERROR_MIME_TYPE = mimeTypeFor('quant-error');
export const QUANT_OUTLIERS_MIME_TYPE = mimeTypeFor('quant-outliers');
export const QUANT_TRADEOFF_MIME_TYPE = mimeTypeFor('quant-tradeoff');
export const RUN_COMPARISON_MIME_TYPE = mimeTypeFor('run-comparison');
export const ALIGN_PIPELINE_MIME_TYPE = mimeTypeFor('align-pipeline');
export const REWARD_SCATTER_MIME_TYPE = mimeTypeFor('reward-scatter');
export const GRPO_GROUPS_MIME_TYPE = mimeTypeFor('grpo-groups');
export const REWARD_KL_MIME_TYPE = mimeTypeFor('reward-kl');
export const RL_SAMPLES_MIME_TYPE = mimeTypeFor('rl-samples');

const RENDERERS: Record<string, RendererClass> = {
  [TRAINING_MIME_TYPE]: TrainingRenderer,
  [TRAINING_V1_MIME_TYPE]: TrainingRenderer,
  [ATTENTION_MIME_TYPE]: AttentionRenderer,
  [HEAD_VIEW_MIME_TYPE]: HeadViewRenderer,
  [MODEL_VIEW_MIME_TYPE]: ModelViewRenderer,
  [ATTENTION_TRAINING_MIME_TYPE]: AttentionTrainingRenderer,
  [NEURON_VIEW_MIME_TYPE]: NeuronViewRenderer,
  [CLASSIFICATION_MIME_TYPE]: ClassificationRenderer,
  [TOKEN_MASK_MIME_TYPE]: TokenMaskRenderer,
  [COMPARE_MIME_TYPE]: CompareRenderer,
  [PEFT_DIAGRAM_MIME_TYPE]: PeftDiagramRenderer,
  [QUANT_HISTOGRAM_MIME_TYPE]: QuantHistogramRenderer,
  [QUANT_ERROR_MIME_TYPE]: QuantErrorRenderer,
  [QUANT_OUTLIERS_MIME_TYPE]: QuantOutliersRenderer,
  [QUANT_TRADEOFF_MIME_TYPE]: QuantTradeoffRenderer,
  [RUN_COMPARISON_MIME_TYPE]: RunComparisonRenderer,
  [ALIGN_PIPELINE_MIME_TYPE]: AlignPipelineRenderer,
  [REWARD_SCATTER_MIME_TYPE]: RewardScatterRenderer,
  [GRPO_GROUPS_MIME_TYPE]: GrpoGroupsRenderer,
  [REWARD_KL_MIME_TYPE]: RewardKlRenderer,
  [RL_SAMPLES_MIME_TYPE]: RlSamplesRenderer
};

/** Lower wins; JupyterLab's own renderers start at 50 (HTML), SVG is 80. */
const RANK = 10;

export const rendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every string from the spec is inserted as text, no script or markup is evaluated.
  safe: true,
  mimeTypes: Object.keys(RENDERERS),
  defaultRank: RANK,
  createRenderer: options => new (RENDERERS[options.mimeType] ?? TrainingRenderer)(options)
};

const extension: IRenderMime.IExtension = {
  id: '@llm-lab/jupyterlab:renderers',
  description: 'Live training curves, attention views (heatmap, head, model, neuron, over training) and fine-tuning views (classification metrics, loss mask, before/after generations) for LLM Lab outputs.',
  rendererFactory,
  rank: RANK,
  // tslab sends the spec as a JSON string, ipykernel as an object: take it as it comes.
  dataType: 'json'
};

export default extension;
