// Where a training step's time goes, kernel by kernel (the first thing to look at before making
// anything faster). Times each tfjs kernel call of a few steps on one backend; batched matrix
// products and additions are listed by shape. Synchronous backends only (cpu, wasm): on webgpu a kernel call
// only queues work (use tf.profile's kernelTimeMs there).
// usage: node bench/profile-ops.mjs [wasm|cpu] [tiny|small|base] [steps=5]
import lab from '../kernel-lib/dist/index.js';
import { CONFIGS, tokenStream } from './configs.mjs';

const { tf } = lab;
const [backend = 'wasm', config = 'tiny', stepsArg = '5'] = process.argv.slice(2);
const { batchSize, ...gpt } = CONFIGS[config];
await lab.useDevice(backend);
const model = new lab.GPT({ ...gpt, seed: 1 });
const tokens = tokenStream(gpt.vocabSize);
const trainer = new lab.Trainer(lab.causalLM(model, { train: tokens, val: tokens }, { batchSize }), { steps: 1e6, learningRate: 1e-3, live: false });
for (let i = 0; i < 3; i++) await trainer.trainStep(); // warm up

// wrap every registered kernel of the backend with a timer
const times = new Map();
for (const k of tf.getKernelsForBackend(backend)) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({
    ...k,
    kernelFunc: args => {
      const t0 = performance.now();
      const out = f(args);
      const key = k.kernelName === 'BatchMatMul'
        ? `BatchMatMul [${args.inputs.a.shape}] x [${args.inputs.b.shape}]${args.attrs.transposeA ? ' tA' : ''}${args.attrs.transposeB ? ' tB' : ''}`
        : k.kernelName === 'Add' ? `Add [${args.inputs.a.shape}] + [${args.inputs.b.shape}]` : k.kernelName;
      const entry = times.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - t0;
      entry.calls++;
      times.set(key, entry);
      return out;
    }
  });
}
const steps = Number(stepsArg);
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainer.trainStep();
const stepMs = (performance.now() - t0) / steps;
const rows = [...times].map(([name, e]) => ({ name, ms: e.ms / steps, calls: e.calls / steps })).sort((a, b) => b.ms - a.ms);
const inKernels = rows.reduce((s, r) => s + r.ms, 0);
console.log(`${backend} ${config}: ${stepMs.toFixed(1)} ms per step, ${inKernels.toFixed(1)} ms in ${rows.reduce((s, r) => s + r.calls, 0)} kernel calls`);
console.log('| kernel | ms per step | calls per step |\n|---|---|---|');
for (const r of rows.slice(0, Number(process.env.ROWS ?? 25))) console.log(`| ${r.name} | ${r.ms.toFixed(2)} | ${r.calls} |`);
