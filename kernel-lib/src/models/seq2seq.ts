/**
 * An encoder-decoder transformer (seq2seq, as in "Attention is all you need", T5, BART): the
 * encoder reads the whole source in both directions (the BERT stack, nn/encoder.ts); the decoder
 * writes the target one token at a time like a GPT, and in every block reads the encoder's output
 * through cross-attention. One token embedding serves source, target and the output layer (tied).
 * Shapes: B batch, S source length, T target length, C channels (nEmbd), V vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { paddingMask } from '../nn/attention';
import { checkDropoutConfig, modelDropout } from '../nn/dropout';
import { Embedding, embedInput } from '../nn/embedding';
import { Decoder, Encoder } from '../nn/encoder';
import { checkLogitsFinite, TiedLMHead } from '../nn/heads';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import { maskedCrossEntropy } from '../nn/loss';
import { Module } from '../nn/module';
import { InterruptedError, watchInterrupt } from '../interrupt';

export interface Seq2SeqConfig {
  /** One vocabulary for source and target (with the BOS, EOS and PAD ids). */
  vocabSize: number;
  /** The longest source, and the longest decoder input. */
  blockSize: number;
  /** Layers of the encoder and of the decoder, unless nEncoderLayer / nDecoderLayer say otherwise. */
  nLayer: number;
  nEncoderLayer?: number;
  nDecoderLayer?: number;
  nHead: number;
  nEmbd: number;
  seed: number;
  /**
   * How positions are told to the model: 'learned' position embeddings (default, as in BART), or
   * 'rope': q and k of every attention turned by their position (no position embeddings).
   * RoPE makes copying easy to learn: denoising Moby Dick sentences (2 + 2 layers, d_model 64,
   * 300 steps) reached 1.33 nats and 65% of target characters right with it, 2.24 and 34% without.
   */
  positions?: 'learned' | 'rope';
  /**
   * Dropout rate in [0, 1) (default 0) of the embedded inputs, the self-attention weights and the
   * residual branches of both stacks, in training mode only (model.train()).
   */
  dropout?: number;
  /** Seed of the dropout masks (default: seed). */
  dropoutSeed?: number;
}

export function checkSeq2SeqConfig(c: Seq2SeqConfig): void {
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`Seq2Seq config: ${k} must be a positive integer, got ${c[k]}`);
  }
  for (const k of ['nEncoderLayer', 'nDecoderLayer'] as const) {
    if (c[k] !== undefined && !(Number.isInteger(c[k]) && c[k]! >= 1)) throw new Error(`Seq2Seq config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new Error(`Seq2Seq config: nEmbd (d_model = ${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  if (!isSeed(c.seed)) throw new Error(`Seq2Seq config: seed must be an integer in [0, ${MAX_SEED}], got ${c.seed}`);
  if (c.positions !== undefined && c.positions !== 'learned' && c.positions !== 'rope') throw new Error(`Seq2Seq config: positions must be "learned" or "rope", got ${JSON.stringify(c.positions)}`);
  checkDropoutConfig('Seq2Seq config', c);
}

/** A type (not an interface) so that tf.dispose(output) accepts it. */
export type Seq2SeqOutput = {
  logits: tf.Tensor; // (B, T, V)
  /** Only when asked for (`attentions: true`), one tensor per layer: */
  encoderAttentions?: tf.Tensor[]; // (B, nh, S, S)
  decoderAttentions?: tf.Tensor[]; // (B, nh, T, T), causal
  crossAttentions?: tf.Tensor[]; // (B, nh, T, S): row t says which source tokens target token t read
};

export interface Seq2SeqGenerateOptions {
  maxNewTokens: number;
  /** The decoder starts from this token... */
  bosId: number;
  /** ...and a sequence stops at this one (not included in the result). */
  eosId: number;
}

export class Seq2Seq extends Module {
  readonly config: Seq2SeqConfig;
  /** One table for source tokens, target tokens and the output layer. */
  readonly shared: Embedding;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly lmHead: TiedLMHead;

  constructor(config: Seq2SeqConfig) {
    checkSeq2SeqConfig(config);
    super();
    this.config = { ...config };
    const { vocabSize, blockSize, nHead, nEmbd } = config;
    const nEnc = config.nEncoderLayer ?? config.nLayer;
    const nDec = config.nDecoderLayer ?? config.nLayer;
    const init = new Init(config.seed);
    this.shared = this.addModule('shared', new Embedding(init, vocabSize, nEmbd));
    const rope = config.positions === 'rope';
    const dropout = modelDropout(config); // one stream of masks for both stacks
    // both position tables first: the seeded init draws in build order
    const encoderWpe = rope ? null : new Embedding(init, blockSize, nEmbd);
    const decoderWpe = rope ? null : new Embedding(init, blockSize, nEmbd);
    // GPT-2's init scaled by the number of residual branches: 2 per encoder block, 3 per decoder block.
    this.encoder = this.addModule('encoder', new Encoder(init, nEnc, nEmbd, nHead, 0.02 / Math.sqrt(2 * nEnc), { rope, wpe: encoderWpe, dropout }));
    this.decoder = this.addModule('decoder', new Decoder(init, nDec, nEmbd, nHead, 0.02 / Math.sqrt(3 * nDec), { rope, wpe: decoderWpe, dropout }));
    this.lmHead = this.addModule('lm_head', new TiedLMHead(this.shared));
  }

  /** src (B, S) -> the encoder's output, "memory" (B, S, C), and its attention weights per layer. */
  encode(src: tf.Tensor, srcMask?: tf.Tensor): { memory: tf.Tensor; attentions: tf.Tensor[] } {
    this.checkIds('src', src);
    if (srcMask) this.checkMask(srcMask, src);
    const { output, attentions } = this.encoder.forward(embedInput(this.shared, this.encoder.wpe, src), srcMask);
    return { memory: output, attentions };
  }

  /** tgtIn (B, T) and memory (B, S, C) -> logits (B, T, V), and both attentions per layer. */
  decode(tgtIn: tf.Tensor, memory: tf.Tensor, srcMask?: tf.Tensor): { logits: tf.Tensor; attentions: tf.Tensor[]; crossAttentions: tf.Tensor[] } {
    this.checkIds('tgtIn', tgtIn);
    if (memory.rank !== 3 || memory.shape[0] !== tgtIn.shape[0] || memory.shape[2] !== this.config.nEmbd) {
      throw new Error(`Seq2Seq.decode: memory must have shape (B ${tgtIn.shape[0]}, S, C ${this.config.nEmbd}), got [${memory.shape}]`);
    }
    const { output, attentions, crossAttentions } = this.decoder.forward(embedInput(this.shared, this.decoder.wpe, tgtIn), memory, srcMask); // (B, T, C)
    return { logits: this.lmHead.forward(output), attentions, crossAttentions };
  }

  /**
   * src (B, S) and tgtIn (B, T) int32 -> logits (B, T, V): at target position t, the scores of
   * the next target token given the whole source and target tokens 0..t. `srcMask` (paddingMask
   * of the source lengths, (B, 1, 1, S)) hides the source's padding.
   */
  forward(src: tf.Tensor, tgtIn: tf.Tensor, options: { srcMask?: tf.Tensor; attentions?: boolean } = {}): Seq2SeqOutput {
    if (src.rank === 2 && tgtIn.rank === 2 && src.shape[0] !== tgtIn.shape[0]) {
      throw new Error(`Seq2Seq.forward: src has batch size ${src.shape[0]} but tgtIn has ${tgtIn.shape[0]}`);
    }
    return tf.tidy(() => {
      const enc = this.encode(src, options.srcMask);
      const dec = this.decode(tgtIn, enc.memory, options.srcMask);
      if (!options.attentions) return { logits: dec.logits };
      return { logits: dec.logits, encoderAttentions: enc.attentions, decoderAttentions: dec.attentions, crossAttentions: dec.crossAttentions };
    });
  }

  /** Mean cross-entropy of the next target tokens tgtOut (B, T); positions labelled -1 (padding) are left out. */
  loss(src: tf.Tensor, tgtIn: tf.Tensor, tgtOut: tf.Tensor, srcMask?: tf.Tensor): tf.Scalar {
    if (tgtOut.rank !== 2 || tgtOut.shape[0] !== tgtIn.shape[0] || tgtOut.shape[1] !== tgtIn.shape[1]) {
      throw new Error(`Seq2Seq.loss: tgtOut must have the shape of tgtIn [${tgtIn.shape}], got [${tgtOut.shape}]`);
    }
    return tf.tidy(() => {
      const { logits } = this.forward(src, tgtIn, { srcMask });
      return maskedCrossEntropy(logits.reshape([-1, this.config.vocabSize]) as tf.Tensor2D, tgtOut.reshape([-1]).toInt() as tf.Tensor1D);
    });
  }

  /**
   * Greedy decoding: encode each source once, then from bosId pick the most likely next token
   * until eosId or maxNewTokens. Sources may differ in length (padded and masked here).
   * Returns the generated ids, without bosId and eosId.
   */
  async generate(src: number[], options: Seq2SeqGenerateOptions): Promise<number[]>;
  async generate(src: number[][], options: Seq2SeqGenerateOptions): Promise<number[][]>;
  async generate(src: number[] | number[][], options: Seq2SeqGenerateOptions): Promise<number[] | number[][]> {
    if (src.length > 0 && typeof src[0] === 'number') return (await this.generate([src as number[]], options))[0];
    const sources = src as number[][];
    const { maxNewTokens, bosId, eosId } = options;
    const V = this.config.vocabSize;
    if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1 && maxNewTokens <= this.config.blockSize)) {
      throw new Error(`Seq2Seq.generate: maxNewTokens must be an integer in [1, blockSize ${this.config.blockSize}], got ${maxNewTokens}`);
    }
    for (const [k, id] of [['bosId', bosId], ['eosId', eosId]] as const) {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new Error(`Seq2Seq.generate: ${k} ${id} is outside the vocabulary [0, ${V})`);
    }
    if (sources.length === 0) throw new Error('Seq2Seq.generate: no source sequence given');
    const S = Math.max(...sources.map(s => s.length));
    sources.forEach((s, b) => {
      if (s.length === 0) throw new Error(`Seq2Seq.generate: source ${b} is empty`);
      const bad = s.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < V));
      if (bad >= 0) throw new Error(`Seq2Seq.generate: source ${b} has id ${s[bad]} at position ${bad}, outside the vocabulary [0, ${V})`);
    });
    const B = sources.length;
    const padded = sources.flatMap(s => [...s, ...new Array<number>(S - s.length).fill(0)]); // any id: masked
    const srcIds = tf.tensor2d(padded, [B, S], 'int32');
    const srcMask = paddingMask(sources.map(s => s.length), S);
    const memory = tf.tidy(() => this.encode(srcIds, srcMask).memory); // (B, S, C), once for all steps

    const rows = sources.map(() => [bosId]); // the decoder's input so far
    const out = sources.map(() => [] as number[]);
    const done = sources.map(() => false);
    const interrupt = watchInterrupt();
    try {
      for (let step = 0; step < maxNewTokens && done.includes(false); step++) {
        if (await interrupt.poll()) throw new InterruptedError(`Seq2Seq.generate: interrupted after ${step} of ${maxNewTokens} tokens; the model is unchanged`);
        const T = rows[0].length;
        const last = tf.tidy(() => {
          const { logits } = this.decode(tf.tensor2d(rows.flat(), [B, T], 'int32'), memory, srcMask);
          return logits.slice([0, T - 1, 0], [B, 1, V]).reshape([B, V]); // (B, V) the last position's
        });
        const scores = await last.data(); // async: dataSync does not exist on WebGPU
        last.dispose();
        rows.forEach((row, b) => {
          const logits = scores.subarray(b * V, (b + 1) * V);
          checkLogitsFinite(logits, step + 1, `Seq2Seq.generate (source ${b})`);
          let id = 0; // greedy: the best, the first of equals (as argMax)
          for (let v = 1; v < V; v++) if (logits[v] > logits[id]) id = v;
          row.push(id);
          if (done[b]) return;
          if (id === eosId) done[b] = true;
          else out[b].push(id);
        });
      }
    } finally {
      interrupt.close();
      tf.dispose([srcIds, srcMask, memory]);
    }
    return out;
  }

  /**
   * The cross-attention of one example as nested arrays [layer][head][target][source], e.g. for
   * showCrossAttention: src (S ids) and tgtIn (BOS then the target, T ids).
   */
  async crossAttentionWeights(src: number[], tgtIn: number[]): Promise<number[][][][]> {
    const srcIds = tf.tensor2d([src], [1, src.length], 'int32');
    const tgtIds = tf.tensor2d([tgtIn], [1, tgtIn.length], 'int32');
    try {
      const out = this.forward(srcIds, tgtIds, { attentions: true });
      const weights = await Promise.all(out.crossAttentions!.map(async w => ((await w.array()) as number[][][][])[0])); // per layer (nh, T, S)
      tf.dispose(out);
      return weights;
    } finally {
      tf.dispose([srcIds, tgtIds]);
    }
  }

  private checkIds(what: string, ids: tf.Tensor): void {
    if (ids.rank !== 2) throw new Error(`Seq2Seq: ${what} must have shape (B, length), got shape [${ids.shape}]`);
    if (ids.dtype !== 'int32') throw new Error(`Seq2Seq: ${what} must hold int32 token ids, got ${ids.dtype}`);
    if (ids.shape[1]! > this.config.blockSize) {
      throw new Error(`Seq2Seq: ${what} has length ${ids.shape[1]}, longer than blockSize ${this.config.blockSize}`);
    }
  }

  private checkMask(mask: tf.Tensor, src: tf.Tensor): void {
    const [B, S] = src.shape;
    const ok = mask.rank === 4 && mask.shape[0] === B && mask.shape[1] === 1 && mask.shape[2] === 1 && mask.shape[3] === S;
    if (!ok) throw new Error(`Seq2Seq: srcMask must have shape [${B}, 1, 1, ${S}] (paddingMask(srcLengths, ${S})), got [${mask.shape}]`);
  }
}
