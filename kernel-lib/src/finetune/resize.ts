/**
 * A bigger vocabulary for a trained GPT (Hugging Face's model.resize_token_embeddings): after a
 * tokenizer gets added tokens (<|user|>, <|assistant|>, <|end|>), the token embedding needs a row
 * for each new id. The LM head is tied to the embedding (nn/heads.ts), so it scores the new ids too.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../models/gpt';
import { gaussian, seededRandom } from '../random';

export interface ResizeOptions {
  /** Standard deviation of the noise added to each new row (default 0: every new row is the mean). */
  noiseStd?: number;
  /** Seed of that noise (default: the model's seed). */
  seed?: number;
}

/**
 * Grow `model.transformer.wte` (V, C) to (vocabSize, C). The old rows stay bit-identical; each new
 * row starts as the mean of the old rows, plus N(0, noiseStd²) noise if asked. Updates
 * model.config.vocabSize and disposes the old table; no other parameter changes. Do it before
 * making the Trainer (the optimizer's state is per variable).
 */
export function resizeTokenEmbeddings(model: GPT, vocabSize: number, { noiseStd = 0, seed = model.config.seed }: ResizeOptions = {}): void {
  const wte = model.transformer.wte;
  const [V, C] = wte.weight.shape as [number, number];
  if (!Number.isInteger(vocabSize)) throw new Error(`resizeTokenEmbeddings: vocabSize must be an integer, got ${vocabSize}`);
  if (vocabSize < V) {
    throw new Error(`resizeTokenEmbeddings: vocabSize (${vocabSize}) is smaller than the model's (${V}); shrinking would drop the embeddings of ids ${vocabSize}..${V - 1}`);
  }
  if (!(Number.isFinite(noiseStd) && noiseStd >= 0)) throw new Error(`resizeTokenEmbeddings: noiseStd must be a number >= 0, got ${noiseStd}`);
  const added = vocabSize - V;
  if (added === 0) return;
  const noise = new Float32Array(added * C);
  if (noiseStd > 0) {
    const normal = gaussian(seededRandom(seed));
    for (let i = 0; i < noise.length; i++) noise[i] = normal() * noiseStd;
  }
  const weight = tf.tidy(() => {
    // A new row at the mean of the old ones is an "average" token: its logit h·mean is the mean of
    // the old tokens' logits, so it starts far below the likely tokens and does not dominate the
    // softmax (a random or zero row could score above them all), and its input vector looks like
    // the ones the blocks were trained on.
    const mean = wte.weight.mean(0, true); // (1, C)
    const rows = mean.tile([added, 1]).add(tf.tensor2d(noise, [added, C])); // (added, C)
    return tf.variable(tf.concat([wte.weight, rows], 0)); // (vocabSize, C)
  });
  wte.replaceWeight(weight).dispose();
  model.config.vocabSize = vocabSize;
}
