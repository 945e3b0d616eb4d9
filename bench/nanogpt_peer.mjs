// The peer library, @genai-fi/nanogpt 1.3 (in .local/peer), trained on one backend at our configs'
// sizes: training speed, memory and tensor-count stability, as bench/ours.mjs measures ours.
// usage: node bench/nanogpt_peer.mjs '{"config": "tiny", "backend": "wasm", "steps": 10, "warmup": 3}'
//
// Its closest model to ours is NanoGPTV1 with useRope: false (learned positions, GELU MLP, LM head
// tied to the token embedding). What it cannot match is listed in PEER_DIFFERENCES.
import { createRequire } from 'module';
import path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { CONFIGS, OPTIMIZER, tokenStream } from './configs.mjs';
import { peakRssBytes, profileStep, readJob, report, timeSteps } from './measure.mjs';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tf = require('@tensorflow/tfjs-core');
const job = readJob();

const PEER_DIFFERENCES = [
  'RMSNorm (a gain, no mean subtraction, no bias) where ours has LayerNorm',
  'no biases in any linear layer',
  'no gradient clipping on cpu/wasm: its global-norm kernels (Norm2, ClipScale) exist for webgpu only',
  'on cpu/wasm its own cpu kernels do less than its webgpu ones: MatMul16 ignores its fused GELU and scale ' +
    '(the MLP forward has no GELU), AdamAdjust ignores weight decay; this favours the peer'
];

/**
 * nanogpt is a Vite browser build with its own copy of tfjs 4.22 inside. Both copies keep the engine,
 * the kernel registry and the flags on globalThis, so they share them: a backend set here is the
 * peer's backend. Its copy's Node platform was bundled as an empty browser stub (no `util`) and
 * throws at import when IS_NODE is set, so the flag is hidden while it loads.
 */
/**
 * The peer lives in .local/peer (scripts/bench-setup.sh installs it there): it is not one of the
 * project's dependencies, whose install it would slow down (and whose lock file it would tie to its
 * platform-specific optional packages).
 */
function peerEntry() {
  const peer = path.join(root, '.local', 'peer', 'package.json');
  try {
    return createRequire(peer).resolve('@genai-fi/nanogpt');
  } catch {
    throw new Error('@genai-fi/nanogpt is not installed: run bash scripts/bench-setup.sh');
  }
}

async function loadNanoGPT() {
  tf.env().set('PROD', true); // no "install tfjs-node" banner (as kernel-lib/src/backend.ts)
  tf.env().set('IS_NODE', false);
  const entry = peerEntry();
  const nanogpt = await import(pathToFileURL(entry).href);
  // One training step (forward, loss, gradients, AdamW) is BasicTrainer.trainStep; the package
  // does not export the class, so load its file.
  const dist = path.dirname(entry);
  const { default: BasicTrainer } = await import(pathToFileURL(path.join(dist, 'training', 'BasicTrainer.js')).href);
  tf.env().set('IS_NODE', true);
  return { nanogpt, BasicTrainer };
}

// nanogpt registers its kernels for cpu, webgl and webgpu, not for wasm. A wasm training step needs
// these (found by running one and reading the "Kernel 'X' not registered for backend 'wasm'"
// errors). Its cpu versions are written with tfjs ops, so they run on wasm as they are.
const PEER_KERNELS_FROM_CPU = [
  'RMSNorm', 'RMSNormGrad', 'QKV', 'AttentionMask', 'MatMul16', 'Transpose16', 'Reshape16', 'GeluGrad',
  'EfficientGatherSub', 'EfficientScatterSub', 'AdamMoments', 'AdamAdjust'
];

/**
 * tfjs's own wasm backend lacks UnsortedSegmentSum, the gradient of gather (the embeddings):
 * out[ids[i]] += x[i], row by row, in JavaScript.
 */
function unsortedSegmentSum({ inputs, backend, attrs }) {
  const { x, segmentIds } = inputs;
  const ids = backend.readSync(segmentIds.dataId);
  const values = backend.readSync(x.dataId);
  const rowSize = values.length / ids.length;
  const out = backend.makeOutput([attrs.numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  for (let i = 0; i < ids.length; i++) {
    for (let j = 0; j < rowSize; j++) sums[ids[i] * rowSize + j] += values[i * rowSize + j];
  }
  return out;
}

function registerWasmShim() {
  for (const kernelName of PEER_KERNELS_FROM_CPU) tf.registerKernel({ ...tf.getKernel(kernelName, 'cpu'), backendName: 'wasm' });
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum });
}

/** Activate `backend` for the peer; returns the WebGPU adapter's description when there is one. */
async function selectBackend(backend, nanogpt) {
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    registerWasmShim();
  }
  if (backend === 'webgpu') {
    // Dawn's Node binding as navigator.gpu (as kernel-lib/src/backend.ts does for ours)
    const { create, globals } = require('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('Dawn found no WebGPU adapter');
    await nanogpt.TeachableLLM.selectBackend('webgpu'); // registers nanogpt's own patched WebGPU backend
    return adapter.info?.description || adapter.info?.device;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to initialize`);
  return undefined;
}

/** A seeded batch of random windows of the token stream, as ClmBatches makes them for ours. */
function windowBatches(tokens, blockSize, batchSize) {
  let seed = 1;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return () => {
    const x = new Int32Array(batchSize * blockSize);
    const y = new Int32Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++) {
      const start = Math.floor(random() * (tokens.length - blockSize));
      x.set(tokens.subarray(start, start + blockSize), b * blockSize);
      y.set(tokens.subarray(start + 1, start + blockSize + 1), b * blockSize);
    }
    return { xs: tf.tensor2d(x, [batchSize, blockSize], 'int32'), ys: tf.tensor2d(y, [batchSize, blockSize], 'int32') };
  };
}

report(async () => {
  const { batchSize, nEmbd, ...sizes } = CONFIGS[job.config];
  const { nanogpt, BasicTrainer } = await loadNanoGPT();
  const adapter = await selectBackend(job.backend, nanogpt);
  const model = new nanogpt.models.NanoGPTV1({ ...sizes, nEmbed: nEmbd, mlpFactor: 4, useRope: false });
  const { learningRate, beta1, beta2, eps, weightDecay, gradClip } = OPTIMIZER;
  const clips = tf.getKernel('Norm2', tf.getBackend()) !== undefined;
  const trainer = new BasicTrainer(model, null, {
    learningRate, beta1, beta2, epsilon: eps, weightDecay, clipNorm: clips ? gradClip : undefined, warmupSteps: 0
  });
  const nextBatch = windowBatches(tokenStream(sizes.vocabSize), sizes.blockSize, batchSize);
  const step = async () => {
    const batch = nextBatch();
    const loss = trainer.trainStep({}, batch);
    await loss.data();
    tf.dispose([batch.xs, batch.ys, loss]);
  };
  const train = await timeSteps(step, job, tf);
  const profile = await profileStep(step, tf);
  const variables = Object.values(tf.engine().registeredVariables);
  return {
    system: 'nanogpt',
    backend: tf.getBackend(),
    adapter,
    params: variables.filter(v => v.trainable).reduce((n, v) => n + v.size, 0),
    gradClip: clips,
    stepMs: Number(train.stepMs.toFixed(2)),
    warmupSteps: train.warmupSteps,
    trainTokensPerSec: Number(((batchSize * sizes.blockSize * 1000) / train.stepMs).toFixed(1)),
    ...profile,
    tensorBytesBetweenSteps: tf.memory().numBytes,
    peakRssBytes: peakRssBytes(),
    tensorsAfterWarmup: train.tensorsAfterWarmup,
    tensorsAtEnd: train.tensorsAtEnd,
    tensorsStable: train.tensorsAfterWarmup === train.tensorsAtEnd,
    differences: PEER_DIFFERENCES
  };
});
