/**
 * Sampling strategies side by side: for one prompt, how greedy, temperature, top-k and top-p
 * reshape the model's next-token distribution (bars), and what text each one writes.
 * A static view: SVG (bars + texts) and text/plain.
 */
import * as tf from '@tensorflow/tfjs';
import { checkSampling, generateText, samplingDistribution, SamplingOptions } from '../generate';
import { GPT } from '../models/gpt';
import { display, MimeBundle } from './display';
import { svgDocument, text } from './svg';
import { TokenLabeler, tokenLabel } from './attention';

export interface Strategy {
  name: string;
  options: SamplingOptions;
}

export interface StrategyResult {
  name: string;
  /** The most likely next tokens (as the model sees them) and their probability under this strategy. */
  next: { token: string; p: number }[];
  /** Tokens with a non-zero probability under this strategy. */
  candidates: number;
  text: string;
}

export interface SamplingComparison {
  prompt: string;
  strategies: StrategyResult[];
}

type Codec = TokenLabeler & { decode(ids: ArrayLike<number>): string };

/** Run every strategy on the same prompt (same seed), and collect its next-token distribution. */
export async function compareSampling(model: GPT, tokenizer: Codec, prompt: string, strategies: Strategy[], options: { maxNewTokens: number; seed?: number; topTokens?: number }): Promise<SamplingComparison> {
  if (strategies.length === 0) throw new Error('compareSampling: no strategies given');
  strategies.forEach(s => checkSampling(s.options));
  const ids = tokenizer.encode(prompt).slice(-model.config.blockSize);
  if (ids.length === 0) throw new Error('compareSampling: the prompt is empty');
  const last = tf.tidy(() => {
    const { logits } = model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'));
    return logits.slice([0, ids.length - 1, 0], [1, 1, model.config.vocabSize]).reshape([-1]);
  });
  const logits = await last.data();
  last.dispose();
  const top = options.topTokens ?? 10;
  // The same tokens in every panel: the model's most likely ones (temperature 1, nothing cut).
  const plain = samplingDistribution(logits, {});
  const order = Array.from(plain.keys()).sort((a, b) => plain[b] - plain[a]).slice(0, top);
  const results: StrategyResult[] = [];
  for (const s of strategies) {
    const probs = samplingDistribution(logits, s.options);
    const text = await generateText(model, tokenizer, prompt, { ...s.options, maxNewTokens: options.maxNewTokens, seed: options.seed ?? 0 });
    results.push({
      name: s.name,
      next: order.map(id => ({ token: tokenLabel(tokenizer.tokenStrings([id])[0]), p: probs[id] })),
      candidates: probs.filter(p => p > 0).length,
      text
    });
  }
  return { prompt, strategies: results };
}

/** Wrap text at spaces into lines of at most `width` characters (longer words are cut). */
function wrap(s: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  for (const paragraph of s.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/(?<= )/)) {
      if (line && (line + word).trimEnd().length > width) {
        lines.push(line.trimEnd());
        line = '';
      }
      for (line += word; line.length > width; line = line.slice(width)) lines.push(line.slice(0, width));
    }
    lines.push(line.trimEnd());
  }
  return lines.length > maxLines ? [...lines.slice(0, maxLines - 1), lines[maxLines - 1].slice(0, width - 1) + '\u2026'] : lines;
}

export function samplingSvg(c: SamplingComparison): string {
  const panelW = 230;
  const barH = 14;
  const n = c.strategies[0].next.length;
  const labelW = 70;
  const textLines = 10;
  const panelH = 36 + n * barH + 16 + textLines * 13;
  const perRow = Math.min(3, c.strategies.length); // rows of at most 3 panels: fits a notebook's width
  const rows = Math.ceil(c.strategies.length / perRow);
  const W = 16 + perRow * (panelW + 14);
  const body = [text(8, 16, `Next token after ${JSON.stringify(c.prompt.slice(-40))}, and what each strategy writes`, 'font-size="12" fill="#222"')];
  c.strategies.forEach((s, i) => {
    const x0 = 10 + (i % perRow) * (panelW + 14);
    const y0 = 30 + Math.floor(i / perRow) * (panelH + 8);
    body.push(text(x0, y0 + 12, s.name, 'font-weight="bold" fill="#222"'), text(x0 + panelW, y0 + 12, `${s.candidates} candidate${s.candidates === 1 ? '' : 's'}`, 'text-anchor="end" fill="#666"'));
    s.next.forEach((t, r) => {
      const y = y0 + 22 + r * barH;
      const w = (panelW - labelW - 40) * t.p;
      body.push(
        text(x0 + labelW - 4, y + 10, t.token, 'text-anchor="end" font-family="monospace" fill="#222"'),
        `<rect x="${x0 + labelW}" y="${y + 1}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${t.p > 0 ? '#4c78a8' : '#ddd'}"/>`,
        text(x0 + labelW + w + 3, y + 10, t.p === 0 ? 'cut' : t.p.toFixed(2), 'fill="#444"')
      );
    });
    const ty = y0 + 22 + n * barH + 16;
    wrap(s.text, 34, textLines).forEach((line, l) => body.push(text(x0, ty + l * 13, line, 'font-family="monospace" font-size="10" fill="#333"')));
  });
  return svgDocument(W, 30 + rows * (panelH + 8), body);
}

export function samplingText(c: SamplingComparison): string {
  return c.strategies.map(s => `--- ${s.name} (${s.candidates} candidates)\n${s.text}`).join('\n\n');
}

export function samplingBundle(c: SamplingComparison): MimeBundle {
  return { 'image/svg+xml': samplingSvg(c), 'text/plain': samplingText(c) };
}

/** Show the strategies side by side: next-token bars and the text each one writes. */
export async function showSampling(model: GPT, tokenizer: Codec, prompt: string, strategies: Strategy[], options: { maxNewTokens: number; seed?: number; topTokens?: number }): Promise<SamplingComparison> {
  const c = await compareSampling(model, tokenizer, prompt, strategies, options);
  display(samplingBundle(c));
  return c;
}
