/**
 * Masked language modelling data (BERT): pick 15% of the positions; the model must predict the
 * original token there. Of the picked positions, 80% are replaced by [MASK], 10% by a random token
 * and 10% left unchanged, so that the model cannot learn "only [MASK] positions matter" (at
 * fine-tuning time there is no [MASK]).
 */
import { Rng, seededRandom } from '../random';
import { requireSpecialToken, Tokenizer } from '../tokenizers/tokenizer';

export interface MaskingOptions {
  /** The id of the [MASK] token. */
  maskId: number;
  vocabSize: number;
  /** Fraction of positions to predict; default 0.15. */
  rate?: number;
  seed?: number;
  /** Ids never picked (padding, [CLS], ...). */
  special?: ReadonlySet<number>;
}

/**
 * Masking options from a tokenizer, as Hugging Face's DataCollatorForLanguageModeling(tokenizer)
 * takes them: its mask token, its vocabulary, and its special tokens, which are never picked.
 * E.g. maskTokens(ids, maskingOptions(CharTokenizer.fromText(text, { specialTokens: ['mask'] }))).
 */
export function maskingOptions(tokenizer: Tokenizer, options: Pick<MaskingOptions, 'rate' | 'seed'> = {}): MaskingOptions {
  const maskId = requireSpecialToken(tokenizer, 'mask', 'masked language modelling');
  return { maskId, vocabSize: tokenizer.vocabSize, special: new Set(Object.values(tokenizer.specialTokens)), ...options };
}

/** What to feed the model, and what it should predict: labels[i] = original id, or -1 (no loss here). */
export interface MaskedBatch {
  input: Int32Array;
  labels: Int32Array;
}

/** Apply BERT's masking to a sequence of ids. */
export function maskTokens(ids: ArrayLike<number>, options: MaskingOptions, rng: Rng = seededRandom(options.seed ?? 0)): MaskedBatch {
  const { maskId, vocabSize, rate = 0.15, special } = options;
  if (!(rate > 0 && rate < 1)) throw new Error(`maskTokens: rate must be in (0, 1), got ${rate}`);
  if (!(Number.isInteger(maskId) && maskId >= 0 && maskId < vocabSize)) throw new Error(`maskTokens: maskId ${maskId} is outside the vocabulary [0, ${vocabSize})`);
  const input = Int32Array.from(ids);
  const labels = new Int32Array(ids.length).fill(-1);
  for (let i = 0; i < input.length; i++) {
    if (special?.has(input[i]) || rng() >= rate) continue;
    labels[i] = input[i];
    const r = rng();
    if (r < 0.8) input[i] = maskId;
    else if (r < 0.9) input[i] = Math.floor(rng() * vocabSize);
    // else: keep the original token
  }
  return { input, labels };
}
