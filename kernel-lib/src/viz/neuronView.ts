/**
 * The neuron view: inside one head of one layer, the query and key vectors of every token and
 * how a query scores the keys (q[d] * k[d], summed, scaled by 1/sqrt(d), softmax). q and k are
 * computed here the way the model computes them: the block's input (hidden state), its first
 * LayerNorm, then the c_attn projection, split into heads.
 */
import * as tf from '@tensorflow/tfjs';
import { splitHeads } from '../nn/attention';
import { GPT } from '../models/gpt';
import { checkIndex, encodeForView, TokenLabeler, tokenLabel } from './attention';
import { bundleOf, display, MimeBundle } from './display';
import { neuronRows } from '../contract/neuronMath';
import { NeuronViewSpec } from '../contract/spec';
import { checkNeuronSize } from '../contract/limits';
import { svgDocument, text } from './svg';

export interface NeuronViewOptions {
  layer?: number;
  head?: number;
  /** Index of the query token shown first (default: the last token). */
  token?: number;
  title?: string;
}

export async function neuronViewSpec(model: GPT, tokenizer: TokenLabeler, sentence: string, options: NeuronViewOptions = {}): Promise<NeuronViewSpec> {
  const view = 'neuron view';
  const ids = encodeForView(model, tokenizer, sentence, view);
  const { nLayer, nHead, nEmbd } = model.config;
  const layer = options.layer ?? nLayer - 1;
  const head = options.head ?? 0;
  const token = options.token ?? ids.length - 1;
  checkIndex(view, 'layer', layer, nLayer);
  checkIndex(view, 'head', head, nHead);
  if (!(Number.isInteger(token) && token >= 0 && token < ids.length)) throw new Error(`${view}: token ${token} does not exist (the text has tokens 0..${ids.length - 1})`);
  checkNeuronSize(ids.length, nEmbd / nHead);

  const [q, k] = tf.tidy(() => {
    const { hiddenStates } = model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), { hiddenStates: true });
    const block = model.transformer.h.at(layer);
    const qkv = block.attn.cAttn.forward(block.ln1.forward(hiddenStates![layer])); // (1, T, 3C)
    // (1, nh, T, hs) -> this head's (T, hs)
    return tf.split(qkv, 3, -1).slice(0, 2).map(t => splitHeads(t, nHead).gather([head], 1).squeeze([0, 1]));
  });
  const [qs, ks] = [(await q.array()) as number[][], (await k.array()) as number[][]];
  q.dispose();
  k.dispose();
  return {
    kind: 'neuron-view',
    version: 1,
    title: options.title ?? `Neuron view: layer ${layer}, head ${head}`,
    tokens: tokenizer.tokenStrings(ids).map(tokenLabel),
    layer,
    head,
    headSize: nEmbd / nHead,
    causal: true,
    q: qs,
    k: ks,
    query: token
  };
}

/** The initial query's row of numbers: per key, score, scaled score and weight. */
export function neuronViewSvg(spec: NeuronViewSpec): string {
  const rows = neuronRows(spec, spec.query);
  const top = 62;
  const row = 16;
  const mono = 'font-family="monospace" font-size="11" fill="#222"';
  const body = [
    text(8, 16, `${spec.title} - query token ${spec.query}: ${spec.tokens[spec.query]}`, 'font-size="12" fill="#222"'),
    text(8, 32, `score = sum over ${spec.headSize} dimensions of q[d] * k[d]; scaled = score / sqrt(${spec.headSize}); weight = softmax(scaled)`, 'font-size="11" fill="#555"'),
    text(150, top - 8, 'q.k', `text-anchor="end" ${mono}`),
    text(220, top - 8, 'scaled', `text-anchor="end" ${mono}`),
    text(236, top - 8, 'weight', mono)
  ];
  rows.forEach((r, i) => {
    const y = top + i * row + 11;
    body.push(text(80, y, spec.tokens[r.key].slice(0, 12), `text-anchor="end" ${mono}`));
    body.push(text(150, y, r.score.toFixed(3), `text-anchor="end" ${mono}`), text(220, y, r.scaled.toFixed(3), `text-anchor="end" ${mono}`));
    body.push(r.masked ? text(236, y, 'masked', 'font-size="11" fill="#888"') : `<rect x="236" y="${y - 9}" width="${(r.weight * 100).toFixed(1)}" height="10" fill="#4e79a7"/>` + text(342, y, r.weight.toFixed(3), mono));
  });
  return svgDocument(560, top + rows.length * row + 10, body);
}

export function neuronViewText(spec: NeuronViewSpec): string {
  const weights = neuronRows(spec, spec.query)
    .filter(r => !r.masked)
    .map(r => `${spec.tokens[r.key]} ${r.weight.toFixed(3)}`);
  return `${spec.title}, query ${spec.tokens[spec.query]}: ${weights.join(', ')}`;
}

export function neuronViewBundle(spec: NeuronViewSpec): MimeBundle {
  return bundleOf(spec, neuronViewSvg(spec), neuronViewText(spec));
}

/** Show the query and key vectors of one head and how they make the attention weights. */
export async function showNeuronView(model: GPT, tokenizer: TokenLabeler, sentence: string, options: NeuronViewOptions = {}): Promise<void> {
  display(neuronViewBundle(await neuronViewSpec(model, tokenizer, sentence, options)));
}
