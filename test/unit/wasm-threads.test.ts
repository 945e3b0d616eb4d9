/**
 * LLM_LAB_WASM_THREADS=2 starts tfjs's threaded wasm build in Node (kernels/wasmThreads.ts): the
 * device line says so, the fused kernels still load (on shared memory), training gives the same
 * losses as one thread, and the process exits by itself (the worker threads do not hold it).
 * Each run is a fresh Node process: the thread count is fixed when the backend starts.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const script = `
const lab = require('./kernel-lib/dist/index.js');
(async () => {
  const device = await lab.useDevice('wasm', { quiet: true });
  const model = new lab.GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
  const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);
  const trainer = new lab.Trainer(model, { train: tokens, val: tokens }, { steps: 6, batchSize: 4, learningRate: 3e-3, live: false, seed: 9 });
  const losses = [];
  for (let i = 0; i < 6; i++) losses.push((await trainer.trainStep()).loss);
  console.log(JSON.stringify({ line: device.line, losses }));
})();`;

function run(threads: string): { line: string; losses: number[] } {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, LLM_LAB_WASM_THREADS: threads }, timeout: 60_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('wasm with threads (opt-in)', () => {
  it('trains to the same losses as one thread, and exits on its own', () => {
    const one = run('1');
    const two = run('2');
    expect(one.line).toContain('1 thread, fused kernels');
    expect(two.line).toContain('2 threads for matrix products, fused kernels');
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i])).toBeLessThan(1e-4));
  });

  it('names a bad LLM_LAB_WASM_THREADS value', () => {
    expect(() => run('two')).toThrow(/LLM_LAB_WASM_THREADS must be a positive integer, got "two"/);
  });
});
