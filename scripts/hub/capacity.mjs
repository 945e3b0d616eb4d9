// How many learners training at once a machine serves: notebook 01's model and training step
// (GPT 2 x 96, context 64, 16 windows a step, wasm with one thread, as on the hub), run by 1, 2,
// ... N learners' processes at the same time; each reports its own time per step.
//
// usage: node scripts/hub/capacity.mjs [MAX_LEARNERS=4]      (after npm run setup; prints a table)
import { spawn } from 'child_process';
import os from 'os';
import { fileURLToPath } from 'url';

const warmupSteps = 15; // V8 and the wasm kernels settle in the first steps
const measuredSteps = 40;

/** One learner: notebook 01 up to its training cell, then timed steps. Prints ms per step (JSON). */
async function learner() {
  const lab = await import('@llm-lab/kernel');
  await lab.useDevice('wasm');
  const split = lab.splitDocuments(lab.mobyDickChapters(), 0.1, 42);
  const tokenizer = lab.CharTokenizer.fromText(split.train + split.val);
  const data = { train: Int32Array.from(tokenizer.encode(split.train)), val: Int32Array.from(tokenizer.encode(split.val)) };
  const model = new lab.GPT({ vocabSize: tokenizer.vocabSize, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 96, seed: 1 });
  const objective = lab.causalLM(model, data, { batchSize: 16, evalBatches: 1 });
  const run = async steps => {
    const trainer = new lab.Trainer(objective, { steps, learningRate: 4e-3, warmupSteps: 2, evalEvery: 1e9, title: 'capacity' });
    const t0 = performance.now();
    await trainer.train();
    return (performance.now() - t0) / steps;
  };
  await run(warmupSteps);
  console.log(JSON.stringify({ msPerStep: await run(measuredSteps) }));
}

/** `n` learners at once: each one's ms per step. */
function together(n) {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [self, '--learner'], {
        env: { ...process.env, LLM_LAB_WASM_THREADS: '1', LLM_LAB_PROFILE: 'class' },
        stdio: ['ignore', 'pipe', 'inherit']
      });
      let out = '';
      child.stdout.on('data', d => (out += d));
      return new Promise((resolve, reject) =>
        child.on('close', code => {
          const line = out.trim().split('\n').find(l => l.startsWith('{"msPerStep"'));
          if (code !== 0 || !line) reject(new Error(`a learner failed (exit ${code}): ${out}`));
          else resolve(JSON.parse(line).msPerStep);
        })
      );
    })
  );
}

if (process.argv.includes('--learner')) {
  await learner();
} else {
  const max = Number(process.argv[2] ?? 4);
  console.log(`${os.cpus().length} cores (${os.cpus()[0].model}), load average before: ${os.loadavg()[0].toFixed(2)}`);
  console.log('| learners training at once | ms per step (each, mean) | slowest | steps/s (all together) | vs one alone |');
  console.log('|---|---|---|---|---|');
  let alone;
  for (let n = 1; n <= max; n++) {
    const ms = await together(n);
    const mean = ms.reduce((a, b) => a + b, 0) / n;
    alone ??= mean;
    const total = ms.reduce((a, b) => a + 1000 / b, 0);
    console.log(`| ${n} | ${mean.toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${total.toFixed(1)} | ${(mean / alone).toFixed(2)}x slower |`);
  }
}
