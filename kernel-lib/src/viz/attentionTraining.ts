/**
 * Attention over training: one sentence run through the model at saved checkpoints, one frame
 * of every layer's and head's weights per step, shown with a slider over the steps.
 *
 *   const recorder = new AttentionRecorder(tokenizer, 'the cat sat on the mat');
 *   // the trainer evaluates at step 0 (before training), every evalEvery steps and at the end
 *   await trainGPT(model, data, { ..., onEval: step => recorder.capture(model, step) });
 *   recorder.show();  // or show() first: the view then follows every capture
 */
import { GPT } from '../models/gpt';
import { encodeForView, heatmapCells, modelAttention, TokenLabeler } from './attention';
import { bundleOf, LiveDisplay, MimeBundle } from './display';
import { AttentionTrainingSpec } from '../contract/spec';
import { checkAttentionSize, VIEW_LIMITS } from '../contract/limits';
import { svgDocument, text } from './svg';

/** The SVG fallback shows at most this many frames, spread over the run. */
const SVG_FRAMES = 6;

export interface AttentionRecorderOptions {
  title?: string;
  /** Initial selection of the view (defaults: last layer, head 0, last frame). */
  layer?: number;
  head?: number;
}

export class AttentionRecorder {
  private readonly steps: number[] = [];
  private readonly frames: number[][][][][] = [];
  private tokens: string[] = [];
  private shape: { nLayers: number; nHeads: number } | null = null;
  private live: LiveDisplay | null = null;

  constructor(
    private readonly tokenizer: TokenLabeler,
    readonly sentence: string,
    private readonly options: AttentionRecorderOptions = {}
  ) {}

  /** Steps captured so far, in order. */
  get capturedSteps(): number[] {
    return [...this.steps];
  }

  /** Run the sentence through `model` as it is at training step `step` and keep the weights. */
  async capture(model: GPT, step: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) throw new Error(`AttentionRecorder.capture: step must be an integer >= 0, got ${step}`);
    const last = this.steps.at(-1);
    if (last !== undefined && step < last) throw new Error(`AttentionRecorder.capture: steps must increase, got step ${step} after step ${last}`);
    const { nLayer, nHead } = model.config;
    if (this.shape && (this.shape.nLayers !== nLayer || this.shape.nHeads !== nHead)) {
      throw new Error(`AttentionRecorder.capture: the model has ${nLayer} layers x ${nHead} heads, the frames so far ${this.shape.nLayers} x ${this.shape.nHeads}`);
    }
    const n = encodeForView(model, this.tokenizer, this.sentence, 'AttentionRecorder').length;
    checkAttentionSize('attention training view', { nLayers: nLayer, nHeads: nHead, queries: n }); // one frame must fit; spec() thins the frames
    const { tokens, weights } = await modelAttention(model, this.tokenizer, this.sentence, 'AttentionRecorder');
    this.shape = { nLayers: nLayer, nHeads: nHead };
    this.tokens = tokens;
    if (step === last) {
      // the same step again (e.g. captured by hand, then by the trainer's first evaluation): keep the newer
      this.frames[this.frames.length - 1] = weights;
    } else {
      this.steps.push(step);
      this.frames.push(weights);
    }
    this.live?.show(this.bundle()); // a view already shown follows the new frames
  }

  spec(): AttentionTrainingSpec {
    if (!this.shape) throw new Error('AttentionRecorder: no frame yet; call await recorder.capture(model, step) first');
    const { nLayers, nHeads } = this.shape;
    // every frame the view can hold (VIEW_LIMITS.weights), spread over the run, first and last kept
    const perFrame = nLayers * nHeads * this.tokens.length ** 2;
    const kept = keptFrames(this.steps.length, Math.floor(VIEW_LIMITS.weights / perFrame));
    const steps = kept.map(i => this.steps[i]);
    const shown = kept.length < this.steps.length ? ` (${kept.length} of ${this.steps.length} shown)` : '';
    return {
      kind: 'attention-training',
      version: 1,
      title: this.options.title ?? `Attention over training: ${this.steps.length} checkpoints${shown}, steps ${steps[0]}..${steps.at(-1)}`,
      tokens: this.tokens,
      nLayers,
      nHeads,
      causal: true,
      steps,
      frames: kept.map(i => this.frames[i]),
      frame: steps.length - 1,
      layer: Math.min(this.options.layer ?? nLayers - 1, nLayers - 1),
      head: Math.min(this.options.head ?? 0, nHeads - 1)
    };
  }

  bundle(): MimeBundle {
    return attentionTrainingBundle(this.spec());
  }

  /** Show the view; it is then updated by every later capture. */
  show(): void {
    this.live ??= new LiveDisplay();
    this.live.show(this.bundle());
  }
}

/** Indices of at most `count` frames spread evenly over `total`, first and last included. */
export function spreadFrames(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1)));
}

/** Indices of the frames a view of at most `max` frames keeps: spread evenly, the last always (and the first when two fit). */
function keptFrames(total: number, max: number): number[] {
  return max >= 2 ? spreadFrames(total, max) : [total - 1];
}

/** The selected layer and head at a few checkpoints side by side. */
export function attentionTrainingSvg(spec: AttentionTrainingSpec): string {
  const n = spec.tokens.length;
  const cell = Math.max(2, Math.min(12, Math.floor(140 / n)));
  const size = n * cell;
  const gap = 16;
  const top = 62;
  const shown = spreadFrames(spec.steps.length, SVG_FRAMES);
  const W = 8 + shown.length * (size + gap);
  const body = [
    text(8, 16, `${spec.title} - layer ${spec.layer}, head ${spec.head}`, 'font-size="12" fill="#222"'),
    text(8, 32, 'each square: rows are query tokens, columns key tokens; darker = more attention', 'font-size="11" fill="#555"'),
    text(8, 46, spec.tokens.join(' '), 'font-family="monospace" font-size="11" fill="#555"')
  ];
  shown.forEach((f, i) => {
    const x = 8 + i * (size + gap);
    body.push(text(x, top - 4, `step ${spec.steps[f]}`, 'font-size="11" fill="#222"'));
    body.push(heatmapCells(spec.frames[f][spec.layer][spec.head], spec.causal, x, top, cell));
  });
  return svgDocument(Math.max(W, 480), top + size + 10, body);
}

export function attentionTrainingText(spec: AttentionTrainingSpec): string {
  return `${spec.title} (layer ${spec.layer}, head ${spec.head}; steps ${spec.steps.join(', ')}): ${spec.tokens.join(' ')}`;
}

export function attentionTrainingBundle(spec: AttentionTrainingSpec): MimeBundle {
  return bundleOf(spec, attentionTrainingSvg(spec), attentionTrainingText(spec));
}
