// Training throughput of the GPT on each backend, in one process (the host's speed drifts:
// compare numbers from the same run). One step = forward + backward + clipping + AdamW.
// usage: node bench/train-speed.mjs [backends=cpu,wasm,webgpu] [configs=tiny,notebook] [steps=10]
import lab from '../kernel-lib/dist/index.js';

export const CONFIGS = {
  // the reference config of the benchmark issue (a char vocabulary of 65, like tiny Shakespeare)
  tiny: { vocabSize: 65, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64, batchSize: 16 },
  // the benchmark issue's second config (a BPE vocabulary of ~1k)
  small: { vocabSize: 1024, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, batchSize: 16 },
  // notebooks/01-your-first-gpt.ipynb
  notebook: { vocabSize: 89, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 96, batchSize: 16 }
};

const [backends = 'cpu,wasm,webgpu', configs = 'tiny,notebook', stepsArg = '10'] = process.argv.slice(2);
const STEPS = Number(stepsArg);
const WARMUP = 3;
const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];

for (const backend of backends.split(',')) {
  let device;
  try {
    device = await lab.useDevice(backend);
  } catch (e) {
    console.log(`${backend}: not available (${e.message})`);
    continue;
  }
  for (const name of configs.split(',')) {
    const { batchSize, ...c } = CONFIGS[name];
    const model = new lab.GPT({ ...c, seed: 1 });
    const tokens = Int32Array.from({ length: 50000 }, (_, i) => (i * 7 + (i >> 5)) % c.vocabSize);
    const trainer = new lab.Trainer(model, { train: tokens, val: tokens }, { steps: 1e6, batchSize, learningRate: 1e-3, live: false });
    const times = [];
    let tensorsAfterWarmup = 0;
    for (let s = 0; s < WARMUP + STEPS; s++) {
      const t0 = performance.now();
      await trainer.trainStep();
      if (s === WARMUP - 1) tensorsAfterWarmup = lab.tf.memory().numTensors;
      if (s >= WARMUP) times.push(performance.now() - t0);
    }
    const ms = median(times);
    const row = {
      backend: device.backend,
      adapter: device.adapter ? lab.describeAdapter(device.adapter) : '',
      config: name,
      params: model.numParams(),
      stepMs: Number(ms.toFixed(1)),
      tokensPerSec: Math.round((batchSize * c.blockSize * 1000) / ms),
      tensorsStable: lab.tf.memory().numTensors === tensorsAfterWarmup
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    trainer.dispose();
    model.dispose();
  }
}
console.log('\n| backend | config | params | step (ms) | tokens/s | tensor count stable |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.backend}${r.adapter ? ` (${r.adapter})` : ''} | ${r.config} | ${r.params.toLocaleString()} | ${r.stepMs} | ${r.tokensPerSec.toLocaleString()} | ${r.tensorsStable} |`);
lab.releaseWebgpu();
process.exit(0);
