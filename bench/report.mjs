// The benchmark's results as text and as a picture: pure functions from the results object that
// bench/run.mjs writes to latest.json, to latest.md (tables, ratios, targets) and latest.svg.
import { div, int, mb, ratio, SYSTEMS, table } from './format.mjs';
import { finetuneSection } from './report-finetune.mjs';

export { SYSTEMS };

/** The targets the benchmark checks: each row says which ratio it reads and the bound. */
export const TARGETS = {
  torch: { min: 0.5, text: 'ours >= 0.5x PyTorch + OpenBLAS, 1 thread (training, best backend)', configs: ['tiny', 'small'] },
  peer: { min: 2, text: 'ours >= 2x nanogpt (training, same backend)' },
  live: { maxCost: 0.05, text: 'live plotting costs < 5% of training throughput' }
};

/** The runs of `system` in the row (config, slot) that did not fail, in the order they ran. */
function runsOf(runs, config, slot, system) {
  return runs.filter(r => r.config === config && r.slot === slot && r.system === system && !r.error);
}

/**
 * The run of `system` in the row (config, slot), or undefined: with --repeats, the one with the
 * median training speed. A row is ours on one backend and what ran right next to it: nanogpt on
 * the same backend, PyTorch on the CPU.
 */
function find(runs, config, slot, system) {
  const found = runsOf(runs, config, slot, system).sort((a, b) => a.trainTokensPerSec - b.trainTokensPerSec);
  return found[(found.length - 1) >> 1];
}

/** ours / nanogpt of each repeat, in order (each pair ran back to back). */
function repeatRatios(runs, config, slot) {
  const ours = runsOf(runs, config, slot, 'ours');
  const peer = runsOf(runs, config, slot, 'nanogpt');
  return ours.slice(0, peer.length).map((r, i) => r.trainTokensPerSec / peer[i].trainTokensPerSec);
}

/** One row per (config, backend) measured: ours and what ran next to it, with the ratios. */
export function pairs(results) {
  const keys = [];
  for (const r of results.runs) {
    if (r.system === 'ours' && !keys.some(k => k.config === r.config && k.backend === r.slot)) keys.push({ config: r.config, backend: r.slot });
  }
  return keys.map(({ config, backend }) => {
    const get = system => find(results.runs, config, backend, system);
    const ours = get('ours');
    const peer = get('nanogpt');
    const openblas = get('torch-openblas');
    const reference = get('torch-reference');
    const openblasThreads = get('torch-openblas-threads');
    const train = run => run?.trainTokensPerSec;
    const generate = run => run?.generateTokensPerSec;
    return {
      config,
      backend,
      ours,
      peer,
      openblas,
      reference,
      openblasThreads,
      oursOverOpenblas: div(train(ours), train(openblas)),
      oursOverOpenblasThreads: div(train(ours), train(openblasThreads)),
      oursOverReference: div(train(ours), train(reference)),
      oursOverPeer: div(train(ours), train(peer)),
      repeatRatios: repeatRatios(results.runs, config, backend),
      generateOverOpenblas: div(generate(ours), generate(openblas)),
      generateOverReference: div(generate(ours), generate(reference))
    };
  });
}

/** Each target, measured: { text, where, value, met }. */
export function targetRows(results) {
  const rows = [];
  const all = pairs(results);
  for (const config of TARGETS.torch.configs) {
    const measured = all.filter(p => p.config === config && p.oursOverOpenblas != null);
    const best = measured.sort((a, b) => b.oursOverOpenblas - a.oursOverOpenblas)[0];
    rows.push({
      text: TARGETS.torch.text,
      where: best ? `${config} (${best.backend})` : config,
      value: best ? ratio(best.oursOverOpenblas) : 'not measured',
      met: best ? best.oursOverOpenblas >= TARGETS.torch.min : null
    });
  }
  for (const p of all.filter(q => q.oursOverPeer != null)) {
    rows.push({ text: TARGETS.peer.text, where: `${p.config} (${p.backend})`, value: ratio(p.oursOverPeer), met: p.oursOverPeer >= TARGETS.peer.min });
  }
  for (const r of results.runs.filter(q => q.liveThroughputRatio != null)) {
    const cost = 1 - r.liveThroughputRatio;
    rows.push({ text: TARGETS.live.text, where: `${r.config} (${r.backend})`, value: `${(cost * 100).toFixed(1)}% (live/no-live ${ratio(r.liveThroughputRatio)})`, met: cost < TARGETS.live.maxCost });
  }
  return rows;
}

/** Every JavaScript run, and PyTorch's first run per config and BLAS (its memory does not drift). */
function memoryRuns(runs) {
  return runs.filter((r, i) => !r.error && (!r.system.startsWith('torch') || runs.findIndex(q => !q.error && q.system === r.system && q.config === r.config) === i));
}

/** Who ran on how many threads (the peer only where it ran). */
function threadsLine(threads, peer) {
  if (threads === 1) return `Every system ran on 1 CPU thread (ours, PyTorch and OpenBLAS, lavapipe${peer ? ', the peer' : ''}).`;
  return `Ours ran on ${threads} threads (the wasm backend's default here: one per core; also lavapipe's). PyTorch + OpenBLAS ran ` +
    `with 1 thread, the reference of the CPU target, and next to ours on wasm also with ${threads} threads; PyTorch with reference BLAS ` +
    `with 1.${peer ? ' The peer runs tfjs\'s own wasm backend, which has 1 thread in Node.' : ''}`;
}

export function markdownReport(results) {
  const m = results.machine;
  const repeats = results.options.repeats ?? 1;
  const all = pairs(results);
  const finetune = results.finetune ?? [];
  const failures = [...results.runs, ...finetune.map(r => ({ ...r, config: `${r.config}, fine-tuning` }))].filter(r => r.error);
  const peerRun = results.runs.find(r => r.system === 'nanogpt' && r.differences);
  const threaded = results.runs.some(r => r.system === 'torch-openblas-threads');
  const finetuneOnly = results.options.finetune === 'only';
  const header = [
    finetuneOnly ? '# Benchmark: fine-tuning' : '# Benchmark: training and generation speed',
    '',
    `${results.finishedAt} · \`${results.command}\` · ${results.seconds.toFixed(0)} s`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${(m.ramBytes / 2 ** 30).toFixed(0)} GiB RAM · ${m.os} · Node ${m.node} · tfjs ${m.tfjs} · ` +
      `nanogpt ${m.nanogpt} · PyTorch ${m.torch ?? '–'} · OpenBLAS ${m.openblas ?? '–'} · WebGPU: ${m.webgpu}`,
    '',
    `Ours: kernel-lib ${m.kernelLib}; ${[...new Set([...results.runs, ...finetune].filter(r => r.system === 'ours' && r.device).map(r => r.device))].join('; ')}.`,
    '',
    threadsLine(results.options.threads, results.runs.some(r => r.system === 'nanogpt')),
    ''
  ];
  const languageModel = [
    `A training step is forward + cross-entropy + backward + clipping + AdamW, batch x context tokens; tokens/s is the ` +
      `median of ${results.options.steps} steps after warming up for ${results.options.warmup} steps` +
      (results.options.warmupSec ? ` and at least ${results.options.warmupSec} s (at most 100 steps; the same for every system)` : '') +
      '. Every system runs in its own process, ' +
      'and the runs of one row run back to back: the host\'s speed drifts, so compare within a row (the ratios).' +
      (repeats > 1 ? ` Each row ran ${repeats} times, the systems taking turns; a row shows each system's median run.` : ''),
    '',
    '## Training (tokens/s)',
    '',
    table(
      ['config', 'backend', 'ours', 'nanogpt', 'PyTorch+OpenBLAS', 'PyTorch ref. BLAS', 'ours / torch+OpenBLAS', 'ours / torch ref.', 'ours / nanogpt',
        ...(threaded ? [`PyTorch+OpenBLAS, ${results.options.threads} threads`, 'ours / that'] : []),
        ...(repeats > 1 ? ['ours / nanogpt, each repeat'] : [])],
      all.map(p => [p.config, p.backend, int(p.ours?.trainTokensPerSec), int(p.peer?.trainTokensPerSec), int(p.openblas?.trainTokensPerSec),
        int(p.reference?.trainTokensPerSec), ratio(p.oursOverOpenblas), ratio(p.oursOverReference), ratio(p.oursOverPeer),
        ...(threaded ? [int(p.openblasThreads?.trainTokensPerSec), ratio(p.oursOverOpenblasThreads)] : []),
        ...(repeats > 1 ? [p.repeatRatios.map(ratio).join(', ')] : [])])
    ),
    '',
    `## Generation (tokens/s: ${results.options.generateTokens} new tokens from a 1-token prompt, batch 1, a full forward per token, no KV cache)`,
    '',
    table(
      ['config', 'backend', 'ours', 'PyTorch+OpenBLAS', 'PyTorch ref. BLAS', 'ours / torch+OpenBLAS', 'ours / torch ref.'],
      all.map(p => [p.config, p.backend, int(p.ours?.generateTokensPerSec), int(p.openblas?.generateTokensPerSec),
        int(p.reference?.generateTokensPerSec), ratio(p.generateOverOpenblas), ratio(p.generateOverReference)])
    ),
    '',
    '## Memory and tensor counts',
    '',
    'tensor peak: bytes in tensors at the fullest moment of a training step (tf.profile); between steps: what stays ' +
      '(weights, optimizer state); RSS: the process\'s peak resident memory. Stable: the live tensor count is the same after the ' +
      'warm-up and at the end (and, for ours, before and after generation). Kernels: how many tfjs kernels one training step runs ' +
      '(on a GPU, each is a dispatch that JavaScript prepares).',
    '',
    table(
      ['config', 'backend', 'system', 'params', 'kernels', 'tensor peak', 'between steps', 'peak RSS', 'tensors (after warm-up → end)', 'stable'],
      memoryRuns(results.runs).map(r => [r.config, r.backend, SYSTEMS[r.system], int(r.params), int(r.kernelsPerStep), mb(r.tensorPeakBytes), mb(r.tensorBytesBetweenSteps),
        mb(r.peakRssBytes), r.tensorsAfterWarmup == null ? '–' : `${r.tensorsAfterWarmup} → ${r.tensorsAtEnd}`, r.tensorsStable == null ? '–' : r.tensorsStable ? 'yes' : '**no**'])
    ),
    '',
    '## Live plotting',
    '',
    'Trainer.train() with `live: true` (the display going to a sink that serializes each update, as a kernel does) against ' +
      '`live: false`, runs in the order off, on, on, off, twice. The fastest steps are the worst case: the view redraws at most every ' +
      'liveIntervalMs, so its share shrinks as steps get longer. A negative cost is run-to-run noise.',
    '',
    table(
      ['config', 'backend', 'steps per run', 'updates per run', 'throughput live / no-live', 'cost'],
      results.runs.filter(r => r.liveThroughputRatio != null).map(r => [r.config, r.backend, r.liveRunSteps, r.liveUpdatesPerRun, ratio(r.liveThroughputRatio),
        `${((1 - r.liveThroughputRatio) * 100).toFixed(1)}%`])
    ),
    '',
    '## Targets',
    '',
    table(['target', 'where', 'measured', ''], targetRows(results).map(t => [t.text, t.where, t.value, t.met == null ? '–' : t.met ? 'met' : '**missed**'])),
    ''
  ];
  const lines = [...header, ...(finetuneOnly ? [] : languageModel), ...finetuneSection(results)];
  if (peerRun) {
    lines.push('## How the nanogpt model differs', '', 'NanoGPTV1 with `useRope: false`, the same layers, width, heads, context, vocabulary, batch, ' +
      'AdamW settings and a tied LM head; differences:', '', ...peerRun.differences.map(d => `- ${d}`), '');
  }
  if (failures.length || results.skipped.length) {
    lines.push('## Not measured', '', ...results.skipped.map(s => `- ${s}`), ...failures.map(r => `- ${SYSTEMS[r.system]} on ${r.config} (${r.backend}): ${r.error}`), '');
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------- the plot

const COLORS = { ours: '#2563eb', nanogpt: '#ea580c', 'torch-openblas': '#15803d', 'torch-openblas-threads': '#0b4d24', 'torch-reference': '#86b89a' };
const escape = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Bars per config: ours and nanogpt per backend; PyTorch once (the median of its runs in that config). */
export function trainingBars(results) {
  const groups = [];
  for (const config of [...new Set(results.runs.map(r => r.config))]) {
    const runs = results.runs.filter(r => r.config === config && !r.error);
    const bars = [];
    for (const system of ['ours', 'nanogpt']) {
      for (const r of runs.filter(q => q.system === system)) bars.push({ system, label: `${system === 'ours' ? 'ours' : 'nanogpt'} · ${r.backend}`, value: r.trainTokensPerSec });
    }
    const labels = { 'torch-openblas': 'PyTorch · OpenBLAS', 'torch-openblas-threads': `PyTorch · OpenBLAS · ${results.options.threads} thr.`, 'torch-reference': 'PyTorch · ref. BLAS' };
    for (const [system, label] of Object.entries(labels)) {
      const values = runs.filter(q => q.system === system).map(q => q.trainTokensPerSec).sort((a, b) => a - b);
      if (values.length) bars.push({ system, label, value: values[values.length >> 1] });
    }
    groups.push({ config, bars });
  }
  return groups;
}

/** Grouped horizontal bars of training tokens/s, log scale, as SVG text. */
export function trainingSvg(results) {
  const groups = trainingBars(results);
  const values = groups.flatMap(g => g.bars.map(b => b.value));
  if (!values.length) return '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no results</text></svg>';
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  // the legend: one entry per system that ran, in rows that fit the width
  const width = 900, left = 200, right = 90, barH = 16, gap = 4, groupGap = 30;
  const legend = [];
  let lx = 8, ly = 50;
  for (const [system, name] of Object.entries(SYSTEMS).filter(([system]) => results.runs.some(r => r.system === system && !r.error))) {
    const w = 32 + name.length * 7;
    if (lx + w > width && lx > 8) [lx, ly] = [8, ly + 18];
    legend.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLORS[system]}"/><text x="${lx + 16}" y="${ly + 10}" fill="#333">${escape(name)}</text>`);
    lx += w;
  }
  const top = ly + 20;
  const x = v => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (width - left - right);
  const height = top + groups.reduce((h, g) => h + groupGap + g.bars.length * (barH + gap), 0) + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold" fill="#111">Training throughput, tokens/s (log scale; longer is faster)</text>`,
    `<text x="8" y="40" fill="#555">${escape(results.machine.cpu)}, ${results.machine.cores} cores · ours on ${results.options.threads} ${results.options.threads === 1 ? 'thread' : 'threads'}, PyTorch on 1 unless marked · ` +
      `PyTorch: the median of its runs per config · ${escape(results.finishedAt)}</text>`
  ];
  out.push(...legend);
  // decade grid lines
  for (let v = lo; v <= hi; v *= 10) {
    const label = v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
    out.push(`<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${height - 24}" stroke="#ddd"/>`,
      `<text x="${x(v)}" y="${height - 8}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  out.push(`<text x="${left - 24}" y="${height - 8}" text-anchor="end" fill="#555">tokens/s</text>`);
  let y = top;
  for (const g of groups) {
    y += groupGap;
    const c = results.configs[g.config];
    out.push(`<text x="8" y="${y - 8}" fill="#111"><tspan font-weight="bold">${escape(g.config)}</tspan>` +
      ` · ${c.nLayer} layers, d_model ${c.nEmbd}, ${c.nHead} heads, context ${c.blockSize}, vocabulary ${c.vocabSize}, batch ${c.batchSize}</text>`);
    for (const b of g.bars) {
      const w = Math.max(1, x(b.value) - left);
      out.push(`<text x="${left - 6}" y="${y + barH - 4}" text-anchor="end" fill="#333">${escape(b.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[b.system]}"/>`,
        `<text x="${left + w + 4}" y="${y + barH - 4}" fill="#111">${int(b.value)}</text>`);
      y += barH + gap;
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
