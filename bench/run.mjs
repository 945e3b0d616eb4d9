// `npm run bench`: our GPT's training and generation speed on every available backend, next to
// PyTorch (OpenBLAS and reference BLAS) and the peer library @genai-fi/nanogpt, plus the
// live view's cost and fine-tuning with the body frozen or not. Writes bench/results/latest.{json,md,svg}.
//
// usage: npm run bench [-- --quick] [--configs=tiny,small,base] [--backends=cpu,wasm,webgpu]
//                      [--steps=10] [--warmup=3] [--warmup-sec=3] [--live-steps=50] [--threads=N] [--no-torch] [--no-peer]
//                      [--out=latest] (the results' file name in bench/results/) [--repeats=1]
//                      [--no-finetune] [--finetune-only] [--no-align] [--align-only]
// The fine-tuning row (bench/finetune.mjs, configs.mjs's FINETUNE): a classifier on the base GPT,
// one step with every weight training, one with the body frozen, one with LoRA and one with QLoRA
// (configs.mjs's PEFT), with their memory, on wasm and webgpu, next to PyTorch doing the same
// (full, frozen, and LoRA written by hand). A full run includes it, --quick does not; --no-finetune leaves it out;
// --finetune-only runs it alone (with the --steps, --warmup, --warmup-sec, --backends, --threads
// given) and writes bench/results/finetune.{json,md} unless --out names another file.
// The alignment rows (bench/align.mjs, configs.mjs's ALIGN): on the course's base model, one DPO step
// (policy + frozen reference) and one PPO iteration (a batched rollout with the KV cache, then the
// clipped updates), with their memory, on wasm and webgpu, next to PyTorch doing the same math. A full
// run includes them, --quick does not; --no-align leaves them out; --align-only runs them alone and
// writes bench/results/align.{json,md} unless --out names another file (report-align.mjs).
// Setup: scripts/bench-setup.sh (PyTorch, OpenBLAS); scripts/lavapipe.sh (a software WebGPU adapter).
//
// Each measurement is a child process (ours.mjs, nanogpt_peer.mjs, torch_gpt.py): the systems do not
// share a tfjs engine, kernels or memory, and each reports its own peak RSS. For one config and
// backend, ours, nanogpt and both PyTorch runs go back to back: the host's speed drifts (up to 1.5x
// here), so the ratios within a row are what to read. Threads (--threads, default one per core):
// our wasm backend (LLM_LAB_WASM_THREADS) and lavapipe's software WebGPU (LP_NUM_THREADS) use that
// many. PyTorch + OpenBLAS runs with 1 thread, the reference of the CPU target (TARGETS.torch), and, in the
// wasm rows, with --threads threads as well (the same cores as ours); PyTorch with reference BLAS
// runs with 1. tfjs's own wasm backend, which the peer uses, has 1 thread in Node.
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';
import { ALIGN, CONFIGS, CPU_CONFIGS, DEFAULTS, FINETUNE, GENERATE_TOKENS, OPTIMIZER, PEFT, QUICK } from './configs.mjs';
import { markdownReport, trainingSvg } from './report.mjs';
import { finetuneLine } from './report-finetune.mjs';
import { alignLine, alignReport, alignSection } from './report-align.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const PYTHON = '/usr/bin/python3'; // Debian's Python, where apt's python3-torch lives
const LAVAPIPE_ENV = path.join(root, '.local/mesa25/env.sh');
const OPENBLAS_ROOT = path.join(root, '.local/openblas');

/** --key=value flags over the defaults (and over the quick set with --quick). */
function parseOptions(argv) {
  const flags = Object.fromEntries(argv.filter(a => a.startsWith('--')).map(a => {
    const [key, value] = a.slice(2).split('=');
    return [key, value ?? true];
  }));
  const known = ['out', 'repeats', 'quick', 'configs', 'backends', 'steps', 'warmup', 'warmup-sec', 'live-steps', 'threads', 'no-torch', 'no-peer', 'no-finetune', 'finetune-only', 'no-align', 'align-only'];
  const unknown = Object.keys(flags).filter(k => !known.includes(k));
  if (unknown.length) throw new Error(`unknown option --${unknown[0]}; options: ${known.map(k => `--${k}`).join(' ')}`);
  const o = { ...DEFAULTS, ...(flags.quick ? QUICK : {}) };
  if (flags.configs) o.configs = flags.configs.split(',');
  if (flags.backends) o.backends = flags.backends.split(',');
  for (const [flag, key] of [['steps', 'steps'], ['warmup', 'warmup'], ['live-steps', 'liveSteps'], ['threads', 'threads'], ['repeats', 'repeats']]) {
    if (flags[flag] === undefined) continue;
    o[key] = Number(flags[flag]);
    if (!(Number.isInteger(o[key]) && o[key] >= 1)) throw new Error(`--${flag} must be a whole number >= 1, got ${flags[flag]}`);
  }
  if (flags['warmup-sec'] !== undefined) {
    o.warmupSec = Number(flags['warmup-sec']);
    if (!(o.warmupSec >= 0)) throw new Error(`--warmup-sec must be a number of seconds >= 0, got ${flags['warmup-sec']}`);
  }
  const badConfig = o.configs.find(c => !CONFIGS[c]);
  if (badConfig) throw new Error(`unknown config ${badConfig}; configs: ${Object.keys(CONFIGS).join(', ')}`);
  if (flags.out !== undefined && !/^[\w.-]+$/.test(String(flags.out))) throw new Error(`--out is a file name (letters, digits, . _ -), got ${flags.out}`);
  if (flags['finetune-only'] && flags['no-finetune']) throw new Error('--finetune-only and --no-finetune exclude each other');
  if (flags['align-only'] && (flags['no-align'] || flags['finetune-only'])) throw new Error(`--align-only excludes ${flags['no-align'] ? '--no-align' : '--finetune-only'}`);
  const finetune = flags['finetune-only'] ? 'only' : flags['no-finetune'] || flags['align-only'] ? false : o.finetune;
  const align = flags['align-only'] ? 'only' : flags['no-align'] || flags['finetune-only'] ? false : o.align;
  const out = flags.out ?? (finetune === 'only' ? 'finetune' : align === 'only' ? 'align' : 'latest');
  return { ...o, finetune, align, out, torch: !flags['no-torch'], peer: !flags['no-peer'], generateTokens: GENERATE_TOKENS };
}

/** Run a command to its end: { code, stdout, stderr } (code null when it could not start). */
function capture(command, args, env = process.env) {
  return new Promise(resolve => {
    const child = spawn(command, args, { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('error', e => resolve({ code: null, stdout, stderr: e.message }));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

/** Run a benchmark child: its last stdout line that is JSON is the result, else its error output. */
async function runChild(command, args, env) {
  const { code, stdout, stderr } = await capture(command, args, env);
  const json = stdout.trim().split('\n').reverse().find(line => line.startsWith('{'));
  if (json) return JSON.parse(json);
  const lines = stderr.trim().split('\n');
  const why = lines.filter(l => /error/i.test(l)).pop() ?? lines.pop();
  return { error: `${path.basename(args[0])} exited with code ${code}${why ? `: ${why}` : ''}` };
}

/** The environment `source file` leaves, read through bash. */
async function sourcedEnv(file) {
  const { stdout } = await capture('bash', ['-c', `source "${file}" && env -0`]);
  return Object.fromEntries(stdout.split('\0').filter(Boolean).map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/**
 * Where WebGPU runs: a GPU driver as the environment is, else the software adapter that
 * scripts/lavapipe.sh unpacks (never chosen over a real adapter). { env, adapter } or { reason }.
 */
async function webgpuSetup() {
  const probe = ['-e', "require('./kernel-lib/dist/index.js').probeAdapter().then(a => { console.log(JSON.stringify(a ?? {})); process.exit(0); })"];
  const candidates = [process.env];
  if (fs.existsSync(LAVAPIPE_ENV)) candidates.push(await sourcedEnv(LAVAPIPE_ENV));
  for (const env of candidates) {
    const adapter = await runChild('node', probe, env);
    if (adapter.description || adapter.device) return { env, adapter: adapter.description || adapter.device };
  }
  return { reason: 'no WebGPU adapter (no GPU driver here; scripts/lavapipe.sh fetches a software one)' };
}

/** PyTorch's two BLAS setups: as installed (reference BLAS on Debian) and with the unpacked OpenBLAS. */
function torchSetups() {
  const libDir = fs.existsSync(path.join(OPENBLAS_ROOT, 'usr/lib'))
    ? fs.readdirSync(path.join(OPENBLAS_ROOT, 'usr/lib')).map(d => path.join(OPENBLAS_ROOT, 'usr/lib', d, 'openblas-pthread')).find(d => fs.existsSync(path.join(d, 'libblas.so.3')))
    : undefined;
  const setups = [];
  if (libDir) setups.push({ system: 'torch-openblas', blas: 'openblas', env: { ...process.env, LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } });
  setups.push({ system: 'torch-reference', blas: 'reference', env: process.env });
  return { setups, missing: libDir ? [] : ['PyTorch + OpenBLAS: OpenBLAS is not unpacked in .local/openblas (run scripts/bench-setup.sh)'] };
}

/** Which build of our library was measured: the commit, whether its sources differ from it, when dist was built. */
async function kernelLibBuild() {
  const git = async args => (await capture('git', args)).stdout.trim();
  const commit = await git(['rev-parse', '--short', 'HEAD']);
  const changed = await git(['--no-optional-locks', 'status', '--porcelain', '--', 'kernel-lib/src']);
  // tsc rewrites only the files that changed: the newest one says when dist was built
  const dist = path.join(root, 'kernel-lib/dist');
  const built = new Date(Math.max(...fs.readdirSync(dist, { recursive: true }).map(f => fs.statSync(path.join(dist, f)).mtimeMs)));
  return `${commit || 'unknown commit'}${changed ? ' + uncommitted changes in kernel-lib/src' : ''}, dist built ${built.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const release = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '';
  const version = (pkg, modules = path.join(root, 'node_modules')) => {
    const file = path.join(modules, pkg, 'package.json');
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).version : 'not installed';
  };
  const openblasDeb = fs.existsSync(path.join(OPENBLAS_ROOT, 'debs')) ? fs.readdirSync(path.join(OPENBLAS_ROOT, 'debs')).find(f => f.endsWith('.deb')) : undefined;
  return {
    cpu: (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) ?? [])[1] ?? os.cpus()[0]?.model,
    cores: os.cpus().length,
    ramBytes: os.totalmem(),
    os: `${(/^PRETTY_NAME="?([^"\n]*)/m.exec(release) ?? [])[1] ?? os.type()} (Linux ${os.release()})`,
    node: process.versions.node,
    tfjs: version('@tensorflow/tfjs'),
    nanogpt: version('@genai-fi/nanogpt', path.join(root, '.local', 'peer', 'node_modules')), // scripts/bench-setup.sh
    openblas: openblasDeb?.split('_')[1]
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const alone = options.finetune === 'only' || options.align === 'only'; // no language-model rows
  const configs = alone ? {} : Object.fromEntries(options.configs.map(c => [c, CONFIGS[c]]));
  if (options.finetune) configs[FINETUNE.config] = CONFIGS[FINETUNE.config];
  if (options.align) configs[ALIGN.config] = CONFIGS[ALIGN.config];
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const finetuneSetup = options.finetune ? { ...FINETUNE, peft: PEFT } : null;
  const results = { machine: { ...machine(), kernelLib: await kernelLibBuild() }, options, configs, command, runs: [], finetune: [], finetuneSetup, align: [], alignSetup: options.align ? ALIGN : null, skipped: [] };

  const webgpu = options.backends.includes('webgpu') ? await webgpuSetup() : { reason: 'not asked for' };
  results.machine.webgpu = webgpu.adapter ?? webgpu.reason;
  let backends = options.backends;
  if (!webgpu.env && backends.includes('webgpu')) {
    results.skipped.push(`webgpu: ${webgpu.reason}`);
    backends = backends.filter(b => b !== 'webgpu');
  }
  let torch = { setups: [], missing: [] };
  if (options.torch) {
    const check = await runChild(PYTHON, ['-c', 'import json, torch; print(json.dumps({"torch": torch.__version__}))']);
    if (check.torch) {
      results.machine.torch = check.torch;
      torch = torchSetups();
    } else {
      torch.missing.push(`PyTorch: not importable by ${PYTHON} (run scripts/bench-setup.sh)`);
    }
  }
  results.skipped.push(...torch.missing);
  const liveBackend = backends.includes('wasm') ? 'wasm' : backends[0];

  const record = (run, label) => {
    results.runs.push(run);
    const what = run.error ? `FAILED: ${run.error}` : `${Math.round(run.trainTokensPerSec).toLocaleString('en-US')} train tokens/s` +
      (run.generateTokensPerSec ? `, ${run.generateTokensPerSec} generated tokens/s` : '') + (run.liveThroughputRatio ? `, live/no-live ${run.liveThroughputRatio.toFixed(3)}` : '');
    console.log(`[bench] ${label.padEnd(32)} ${what}`);
  };
  /** The PyTorch runs next to ours on `backend`: every BLAS on 1 thread, and OpenBLAS on as many threads as ours next to wasm. */
  const torchNextTo = backend => {
    const openblas = torch.setups.find(s => s.system === 'torch-openblas');
    const manyThreads = options.threads > 1 && backend === 'wasm' && openblas ? [{ ...openblas, system: 'torch-openblas-threads', threads: options.threads }] : [];
    return [...torch.setups, ...manyThreads].map(setup => ({ ...setup, threads: setup.threads ?? 1 }));
  };
  /** Our children's environment on `backend`: the WebGPU adapter's, and --threads for wasm and lavapipe. */
  const oursEnv = backend => {
    const threads = String(options.threads);
    return { ...(backend === 'webgpu' ? webgpu.env : process.env), LLM_LAB_WASM_THREADS: threads, LP_NUM_THREADS: threads };
  };
  /** A PyTorch child; its run with an error when it loaded another BLAS than asked. */
  const runTorch = async (setup, torchJob) => {
    const run = await runChild(PYTHON, [path.join(here, 'torch_gpt.py'), JSON.stringify({ ...torchJob, threads: setup.threads, ...OPTIMIZER })], setup.env);
    if (run.blas && run.blas !== setup.blas) run.error = `expected ${setup.blas} BLAS, the process loaded ${run.blas}`;
    return run;
  };
  /** One row: ours, then what runs next to it (nanogpt on the same backend, PyTorch), back to back. */
  const runRow = async (config, backend, repeat) => {
    const job = { config, backend, steps: options.steps, warmup: options.warmup, warmupSec: options.warmupSec };
    const env = oursEnv(backend);
    const live = repeat === 0 && backend === liveBackend && options.liveConfigs.includes(config) ? { liveSteps: options.liveSteps } : {};
    const ours = await runChild('node', [path.join(here, 'ours.mjs'), JSON.stringify({ ...job, ...live })], env);
    record({ config, slot: backend, backend, ...ours, system: 'ours' }, `ours ${config} ${backend}`);
    if (options.peer) {
      const peer = await runChild('node', [path.join(here, 'nanogpt_peer.mjs'), JSON.stringify(job)], env);
      record({ config, slot: backend, backend, ...peer, system: 'nanogpt' }, `nanogpt ${config} ${backend}`);
    }
    for (const setup of torchNextTo(backend)) {
      const run = await runTorch(setup, { ...CONFIGS[config], steps: options.steps, warmup: options.warmup, warmupSec: options.warmupSec, generateTokens: GENERATE_TOKENS });
      record({ config, slot: backend, backend: 'cpu', ...run, system: setup.system }, `${setup.system} ${config} (next to ${backend})`);
    }
  };
  /** The fine-tuning row on `backend`: ours (full and frozen in one process, taking turns), then PyTorch doing the same. */
  const runFinetune = async backend => {
    const config = FINETUNE.config;
    const timing = { steps: options.steps, warmup: options.warmup, warmupSec: options.warmupSec };
    const recordFinetune = (run, label) => {
      results.finetune.push(run);
      console.log(`[bench] ${label.padEnd(32)} ${run.error ? `FAILED: ${run.error}` : finetuneLine(run)}`);
    };
    const ours = await runChild('node', [path.join(here, 'finetune.mjs'), JSON.stringify({ backend, ...timing })], oursEnv(backend));
    recordFinetune({ config, slot: backend, backend, ...ours, system: 'ours' }, `finetune ours ${backend}`);
    for (const setup of torchNextTo(backend)) {
      const finetune = { textTokens: FINETUNE.textTokens, numLabels: FINETUNE.labels.length };
      const lora = { r: PEFT.lora.r, loraAlpha: PEFT.lora.loraAlpha, targetModules: PEFT.lora.targetModules }; // the head trains too, as ours
      const run = await runTorch(setup, { ...CONFIGS[config], batchSize: FINETUNE.batchSize, ...timing, finetune, lora });
      recordFinetune({ config, slot: backend, backend: 'cpu', ...run, system: setup.system }, `finetune ${setup.system} (next to ${backend})`);
    }
  };
  /** The alignment row on `backend`: ours (DPO step and PPO iteration in one process, taking turns), then PyTorch doing the same. */
  const runAlign = async backend => {
    const timing = { steps: options.steps, warmup: options.warmup, warmupSec: options.warmupSec };
    const recordAlign = (run, label) => {
      results.align.push(run);
      console.log(`[bench] ${label.padEnd(32)} ${run.error ? `FAILED: ${run.error}` : alignLine(run)}`);
    };
    const ours = await runChild('node', [path.join(here, 'align.mjs'), JSON.stringify({ backend, ...timing })], oursEnv(backend));
    recordAlign({ config: ALIGN.config, slot: backend, backend, ...ours, system: 'ours' }, `align ours ${backend}`);
    for (const setup of torchNextTo(backend)) {
      const run = await runTorch(setup, { ...CONFIGS[ALIGN.config], ...timing, align: { dpo: ALIGN.dpo, ppo: ALIGN.ppo } });
      recordAlign({ config: ALIGN.config, slot: backend, backend: 'cpu', ...run, system: setup.system }, `align ${setup.system} (next to ${backend})`);
    }
  };
  if (!alone) {
    for (const config of options.configs) {
      for (const backend of backends) {
        if (backend === 'cpu' && !CPU_CONFIGS.includes(config)) continue;
        for (let repeat = 0; repeat < options.repeats; repeat++) await runRow(config, backend, repeat);
      }
    }
  }
  if (options.finetune) {
    // plain JavaScript is too slow for the base model (CPU_CONFIGS)
    for (const backend of backends.filter(b => b !== 'cpu')) await runFinetune(backend);
  }
  if (options.align) {
    for (const backend of backends.filter(b => b !== 'cpu')) await runAlign(backend); // the base model, as fine-tuning
  }

  results.seconds = (performance.now() - started) / 1000;
  results.finishedAt = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const out = path.join(here, 'results');
  fs.mkdirSync(out, { recursive: true });
  const name = options.out;
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  const report = options.align === 'only' ? alignReport(results) : markdownReport(results) + alignSection(results);
  fs.writeFileSync(path.join(out, `${name}.md`), report);
  const files = ['json', 'md'];
  if (results.runs.length || !alone) { // the plot is of the language-model rows
    fs.writeFileSync(path.join(out, `${name}.svg`), trainingSvg(results) + '\n');
    files.push('svg');
  }
  console.log(`\n${report}\n[bench] wrote bench/results/${name}.{${files.join(',')}} in ${results.seconds.toFixed(0)} s`);
}

main().catch(e => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
