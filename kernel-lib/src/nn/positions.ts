/**
 * Positional information. Attention by itself treats its input as a set: shuffle the tokens and
 * each one gets the same output. Three ways to tell the model where a token sits:
 *
 *   learned     a trained vector per position, added to the token's embedding (GPT-2; nn/embedding.ts)
 *   sinusoidal  a fixed vector per position made of sines and cosines of many wavelengths, added
 *               to the embedding ("Attention Is All You Need")
 *   RoPE        no vector added: q and k are rotated by an angle proportional to their position,
 *               so q . k depends only on how far apart the two tokens are (rotary embeddings)
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Sinusoidal encodings (T, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same).
 * Low dimensions turn fast with the position, high ones slowly: together a unique pattern per position.
 */
export function sinusoidalEncoding(T: number, d: number): tf.Tensor2D {
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(d) && d >= 2 && d % 2 === 0)) {
    throw new Error(`sinusoidalEncoding: need T >= 1 and an even d >= 2, got T = ${T}, d = ${d}`);
  }
  const values = new Float32Array(T * d);
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = p / 10000 ** ((2 * i) / d);
      values[p * d + 2 * i] = Math.sin(angle);
      values[p * d + 2 * i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(values, [T, d]);
}

/** RoPE's angles (T, d/2): position p turns pair i by p * base^(-2i/d). */
function ropeAngles(T: number, d: number, offset: number, base: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const cos = new Float32Array(T * (d / 2));
  const sin = new Float32Array(T * (d / 2));
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = (p + offset) * base ** ((-2 * i) / d);
      cos[p * (d / 2) + i] = Math.cos(angle);
      sin[p * (d / 2) + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [T, d / 2]), sin: tf.tensor2d(sin, [T, d / 2]) };
}

/**
 * Rotary position embedding of x (..., T, d): each pair (x[2i], x[2i+1]) of the vector at
 * position `offset + p` is rotated by the angle (offset + p) * base^(-2i/d). Apply it to q and k
 * before their dot product; then rope(q at m) . rope(k at n) depends on m - n only.
 */
export function rope(x: tf.Tensor, options: { offset?: number; base?: number } = {}): tf.Tensor {
  const d = x.shape[x.rank - 1];
  const T = x.shape[x.rank - 2];
  if (x.rank < 2 || d % 2 !== 0) throw new Error(`rope: x must be (..., T, d) with an even d, got shape [${x.shape}]`);
  return tf.tidy(() => {
    const { cos, sin } = ropeAngles(T, d, options.offset ?? 0, options.base ?? 10000);
    const pairs = x.reshape([...x.shape.slice(0, -1), d / 2, 2]);
    const [even, odd] = tf.split(pairs, 2, -1).map(t => t.squeeze([x.rank])); // (..., T, d/2) each
    // (a, b) turned by angle t: (a cos t - b sin t, a sin t + b cos t)
    const a = even.mul(cos).sub(odd.mul(sin));
    const b = even.mul(sin).add(odd.mul(cos));
    return tf.stack([a, b], -1).reshape(x.shape);
  });
}
