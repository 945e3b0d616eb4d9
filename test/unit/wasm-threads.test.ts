/**
 * LLM_LAB_WASM_THREADS=2 starts tfjs's threaded wasm build in Node (device/wasmThreads.ts): the
 * device line says so, the fused kernels still load (on shared memory), training gives the same
 * losses as one thread, and the process exits by itself (the worker threads do not hold it).
 * The fused kernels that the thread pool shares (device/wasmPool.ts) give the very same numbers
 * on 3 threads as on one, on sizes large enough to be shared and not whole multiples of a chunk.
 * Without LLM_LAB_WASM_THREADS the thread count leaves out cores that another process keeps busy.
 * Each run is a fresh Node process: the thread count is fixed when the backend starts.
 */
import { execFileSync, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { freeCores, wantedWasmThreads } from '../../kernel-lib/src/device/wasmThreads';

const root = path.resolve(__dirname, '../..');
const script = `
const lab = require('./kernel-lib/dist/index.js');
(async () => {
  const device = await lab.useDevice('wasm', { quiet: true });
  const model = new lab.GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
  const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);
  const trainer = new lab.Trainer(lab.causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 9 }), { steps: 6, learningRate: 3e-3, live: false });
  const losses = [];
  for (let i = 0; i < 6; i++) losses.push((await trainer.trainStep()).loss);
  console.log(JSON.stringify({ line: device.line, losses }));
})();`;

// every kernel the pool shares, forward and backward; the outputs as base64 float32
const kernelScript = `
const lab = require('./kernel-lib/dist/index.js');
const { fusedAttention, fusedGelu, fusedCrossEntropy } = require('./kernel-lib/dist/device/fused.js');
const tf = lab.tf;
(async () => {
  await lab.useDevice('wasm', { quiet: true });
  const random = (shape, seed) => tf.randomUniform(shape, -2, 2, 'float32', seed);
  const qkv = random([3, 61, 3 * 64], 1);
  const dy = random([3, 61, 64], 2);
  const attention = tf.grad(x => fusedAttention(x, 4).y.mul(dy).sum())(qkv);
  const { y, weights } = fusedAttention(qkv, 4);
  // an encoder's (not causal) on a padded batch: sequences of 61, 40 and 7 tokens
  const mask = lab.paddingMask([61, 40, 7], 61);
  const padded = fusedAttention(qkv, 4, { causal: false, mask });
  const paddedGrad = tf.grad(x => fusedAttention(x, 4, { causal: false, mask }).y.mul(dy).sum())(qkv);
  const x = random([301, 257], 3);
  const gelu = fusedGelu(x);
  const geluGrad = tf.grad(t => fusedGelu(t).mul(x).sum())(x);
  const logits = random([611, 131], 4);
  const targets = tf.tensor1d(Array.from({ length: 611 }, (_, i) => (i * 37) % 131), 'int32');
  const ceGrad = tf.grad(z => fusedCrossEntropy(z, targets))(logits);
  // every third row without a target (-1): no loss, a zero gradient, the mean over the others
  const someTargets = tf.tensor1d(Array.from({ length: 611 }, (_, i) => (i % 3 === 1 ? -1 : (i * 37) % 131)), 'int32');
  const ceMaskedGrad = tf.grad(z => fusedCrossEntropy(z, someTargets))(logits);
  const transposed = tf.transpose(random([3, 133, 190], 5), [0, 2, 1]);
  const out = { pool: require('./kernel-lib/dist/device/fusedWasm.js').wasmPoolStats() };
  for (const [name, t] of Object.entries({ y, weights, attention, paddedY: padded.y, paddedWeights: padded.weights, paddedGrad, gelu, geluGrad, ceGrad, ceMaskedGrad, transposed })) {
    out[name] = Buffer.from((await t.data()).buffer).toString('base64');
  }
  console.log(JSON.stringify(out));
})();`;

function node(code: string, threads: string): string {
  const out = execFileSync(process.execPath, ['-e', code], {
    cwd: root, env: { ...process.env, LLM_LAB_WASM_THREADS: threads }, timeout: 60_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26
  });
  return out.trim().split('\n').pop()!;
}

function run(threads: string): { line: string; losses: number[] } {
  return JSON.parse(node(script, threads));
}

describe('wasm with threads', () => {
  it('trains to the same losses as one thread, and exits on its own', () => {
    const one = run('1');
    const two = run('2');
    expect(one.line).toContain('1 thread, fused kernels');
    expect(two.line).toContain('2 threads, fused kernels');
    expect(two.losses).toEqual(one.losses);
  });

  it('shares attention, GELU, cross-entropy and transposes over 3 threads, with the numbers of one', () => {
    const one = JSON.parse(node(kernelScript, '1'));
    const three = JSON.parse(node(kernelScript, '3'));
    expect(one.pool).toEqual({ threads: 1, workerChunks: 0 });
    expect(three.pool.threads).toBe(3);
    expect(three.pool.workerChunks).toBeGreaterThan(0); // the workers did take part
    expect(Object.keys(three)).toEqual(['pool', 'y', 'weights', 'attention', 'paddedY', 'paddedWeights', 'paddedGrad', 'gelu', 'geluGrad', 'ceGrad', 'ceMaskedGrad', 'transposed']);
    for (const name of Object.keys(one).slice(1)) expect(three[name], name).toBe(one[name]);
  });

  it('names a bad LLM_LAB_WASM_THREADS value', () => {
    expect(() => run('two')).toThrow(/LLM_LAB_WASM_THREADS must be a positive integer, got "two"/);
  });
});

describe('the default thread count', () => {
  it('counts a core that another process keeps busy as not free', async () => {
    const cores = Math.min(os.cpus().length, os.availableParallelism());
    const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      await new Promise(resolve => setTimeout(resolve, 300)); // the loop is running
      expect(freeCores(200)).toBeLessThanOrEqual(cores - 1);
      const saved = process.env.LLM_LAB_WASM_THREADS;
      delete process.env.LLM_LAB_WASM_THREADS;
      try {
        const threads = wantedWasmThreads();
        expect(threads).toBeGreaterThanOrEqual(1);
        expect(threads).toBeLessThanOrEqual(Math.max(1, cores - 1));
      } finally {
        if (saved !== undefined) process.env.LLM_LAB_WASM_THREADS = saved;
      }
    } finally {
      hog.kill();
    }
  });
});
