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

/** RoPE's cos and sin (T, d): position p turns pair i, dimensions (2i, 2i+1), by p * base^(-2i/d). */
function ropeAngles(T: number, d: number, offset: number, base: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const cos = new Float32Array(T * d);
  const sin = new Float32Array(T * d);
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = (p + offset) * base ** ((-2 * i) / d);
      cos.fill(Math.cos(angle), p * d + 2 * i, p * d + 2 * i + 2);
      sin.fill(Math.sin(angle), p * d + 2 * i, p * d + 2 * i + 2);
    }
  }
  return { cos: tf.tensor2d(cos, [T, d]), sin: tf.tensor2d(sin, [T, d]) };
}

/** (d, d) matrix R with (x R) = each pair (a, b) of x turned a quarter: (-b, a). */
function quarterTurn(d: number): tf.Tensor2D {
  const r = new Float32Array(d * d);
  for (let i = 0; i < d; i += 2) {
    r[(i + 1) * d + i] = -1; // out[i] = -x[i + 1]
    r[i * d + i + 1] = 1; // out[i + 1] = x[i]
  }
  return tf.tensor2d(r, [d, d]);
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
    // (a, b) turned by angle t: (a cos t - b sin t, a sin t + b cos t) = (a, b) cos t + (-b, a) sin t.
    // The quarter turn (-b, a) is a matrix product: cheaper (and its gradient too) than splitting pairs.
    const turned = tf.matMul(x.reshape([-1, d]), quarterTurn(d)).reshape(x.shape);
    return x.mul(cos).add(turned.mul(sin));
  });
}
