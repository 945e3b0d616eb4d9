/**
 * The alignment lesson's view specs: the pipeline of the reading (drawn by alignLayout.ts), the
 * reward model's reward against the stand-in score, GRPO's groups with their advantages, reward
 * against KL to the reference per run, and the samples of an RL run. Plain numbers and text in;
 * the arithmetic both sides show (correlations, ranks, group mean and std) lives here too.
 * Re-exported by index.ts.
 */
import { arr, bool, fail, header, int, nonEmptyStr, num, obj, SpecError, str } from './check';
import { ViewSizeError } from './limits';

/**
 * How big these views may be: a scatter of a few thousand held-out continuations; a handful of
 * prompts of a GRPO batch, each with TRL's usual 8 or 16 generations (64 with room); a reward-KL
 * plot of ten runs, each logged at most a thousand times; the latest few hundred samples of a run.
 */
export const ALIGN_LIMITS = { scatterPoints: 5_000, textChars: 2_000, groups: 12, groupSize: 64, runs: 10, runPoints: 1_000, sampleRows: 200 } as const;

/** The steps of the pipeline a notebook can walk through, in the order the reading tells them. */
export const ALIGN_STEPS = ['sft', 'reward', 'ppo', 'dpo', 'grpo', 'cai'] as const;
export type AlignStep = (typeof ALIGN_STEPS)[number];

export interface AlignPipelineSpec {
  kind: 'align-pipeline';
  version: 1;
  title: string;
  /** The path drawn emphasised (the rest dimmed), or null: the whole pipeline alike. */
  highlight: AlignStep | null;
}

export type RewardSplit = 'train' | 'held-out';
export const REWARD_SPLITS: readonly RewardSplit[] = ['train', 'held-out'];

export interface RewardPoint {
  /** The stand-in's score (a sentiment lexicon's, a checker's). */
  x: number;
  /** The reward model's reward. */
  y: number;
  /** The continuation scored (untrusted text). */
  text: string;
  split: RewardSplit;
}

export interface RewardScatterSpec {
  kind: 'reward-scatter';
  version: 1;
  title: string;
  xTitle: string;
  yTitle: string;
  points: RewardPoint[];
  /** How many points to flag: those whose ranks under x and y differ most. */
  flag: number;
}

export interface GrpoCompletion {
  /** The sampled answer (untrusted text). */
  text: string;
  reward: number;
  /** Whether the checker accepted it; absent when the reward is not a verdict. */
  correct?: boolean;
}

export interface GrpoGroup {
  prompt: string;
  completions: GrpoCompletion[];
}

export interface GrpoGroupsSpec {
  kind: 'grpo-groups';
  version: 1;
  title: string;
  /** TRL's scale_rewards: divide by the group's std (true) or only subtract its mean. */
  scaleRewards: boolean;
  groups: GrpoGroup[];
}

export interface RewardKlPoint {
  /** KL to the reference, nats (a batch's estimate may dip below 0). */
  kl: number;
  reward: number;
  step?: number;
}

export interface RewardKlRun {
  /** 'PPO kl 0.05', 'DPO beta 0.1': the legend's name (untrusted text). */
  run: string;
  /** 'PPO', 'DPO', 'GRPO': one marker shape per method. */
  method: string;
  points: RewardKlPoint[];
}

export interface RewardKlSpec {
  kind: 'reward-kl';
  version: 1;
  title: string;
  xTitle: string;
  yTitle: string;
  runs: RewardKlRun[];
}

export interface RlSampleRow {
  step: number;
  prompt: string;
  sample: string;
  reward: number;
}

export interface RlSamplesSpec {
  kind: 'rl-samples';
  version: 1;
  title: string;
  /** The reward column's heading: 'reward', 'reward model score'. */
  rewardName: string;
  /** Newest first. */
  rows: RlSampleRow[];
}

function over(view: string, n: number, what: string, limit: number, advice: string): void {
  if (n > limit) throw new ViewSizeError(`the ${view} has ${n.toLocaleString('en-US')} ${what}, more than ${limit.toLocaleString('en-US')} a browser draws comfortably: ${advice}`);
}

function nonEmpty(v: unknown, path: string): unknown[] {
  const a = arr(v, path);
  if (a.length === 0) fail(path, 'a non-empty array', v);
  return a;
}

/** Untrusted text of bounded length. */
function text(v: unknown, path: string): string {
  const s = str(v, path);
  if (s.length > ALIGN_LIMITS.textChars) throw new ViewSizeError(`${path} has ${s.length.toLocaleString('en-US')} characters, more than ${ALIGN_LIMITS.textChars.toLocaleString('en-US')} a view shows: cut the text`);
  return s;
}

export function validateAlignPipelineSpec(v: unknown): AlignPipelineSpec {
  const o = obj(v, 'spec');
  header(o, 'align-pipeline', [1]);
  if (o.highlight !== null && !ALIGN_STEPS.includes(o.highlight as AlignStep)) fail('highlight', `null or one of ${ALIGN_STEPS.join(', ')}`, o.highlight);
  return o as unknown as AlignPipelineSpec;
}

export function validateRewardScatterSpec(v: unknown): RewardScatterSpec {
  const o = obj(v, 'spec');
  header(o, 'reward-scatter', [1]);
  str(o.xTitle, 'xTitle');
  str(o.yTitle, 'yTitle');
  const points = nonEmpty(o.points, 'points');
  over('reward scatter', points.length, 'points', ALIGN_LIMITS.scatterPoints, 'plot a sample of the pairs');
  points.forEach((p, i) => {
    const q = obj(p, `points[${i}]`);
    num(q.x, `points[${i}].x`);
    num(q.y, `points[${i}].y`);
    text(q.text, `points[${i}].text`);
    if (!REWARD_SPLITS.includes(q.split as RewardSplit)) fail(`points[${i}].split`, `"train" or "held-out"`, q.split);
  });
  const flag = int(o.flag, 'flag');
  if (flag > points.length) throw new SpecError(`flag (${flag}) must be at most the number of points (${points.length})`);
  return o as unknown as RewardScatterSpec;
}

export function validateGrpoGroupsSpec(v: unknown): GrpoGroupsSpec {
  const o = obj(v, 'spec');
  header(o, 'grpo-groups', [1]);
  bool(o.scaleRewards, 'scaleRewards');
  const groups = nonEmpty(o.groups, 'groups');
  over('GRPO group view', groups.length, 'prompts', ALIGN_LIMITS.groups, 'show a few prompts of the batch');
  groups.forEach((g, i) => {
    const p = `groups[${i}]`;
    const group = obj(g, p);
    text(group.prompt, `${p}.prompt`);
    const completions = arr(group.completions, `${p}.completions`);
    if (completions.length < 2) throw new SpecError(`${p}.completions has ${completions.length} answer${completions.length === 1 ? '' : 's'}: a group needs at least 2 (num_generations >= 2), or its mean is the answer's own reward and every advantage is 0`);
    over('GRPO group view', completions.length, `answers in ${p}`, ALIGN_LIMITS.groupSize, 'show fewer generations');
    completions.forEach((c, j) => {
      const q = obj(c, `${p}.completions[${j}]`);
      text(q.text, `${p}.completions[${j}].text`);
      num(q.reward, `${p}.completions[${j}].reward`);
      if (q.correct !== undefined) bool(q.correct, `${p}.completions[${j}].correct`);
    });
  });
  return o as unknown as GrpoGroupsSpec;
}

export function validateRewardKlSpec(v: unknown): RewardKlSpec {
  const o = obj(v, 'spec');
  header(o, 'reward-kl', [1]);
  str(o.xTitle, 'xTitle');
  str(o.yTitle, 'yTitle');
  const runs = nonEmpty(o.runs, 'runs');
  over('reward-KL plot', runs.length, 'runs', ALIGN_LIMITS.runs, 'compare fewer runs at once');
  const seen = new Map<string, number>();
  runs.forEach((r, i) => {
    const p = `runs[${i}]`;
    const run = obj(r, p);
    const name = nonEmptyStr(run.run, `${p}.run`);
    if (seen.has(name)) throw new SpecError(`${p}.run repeats ${JSON.stringify(name)} (first at runs[${seen.get(name)}]): each run needs its own name`);
    seen.set(name, i);
    nonEmptyStr(run.method, `${p}.method`);
    const points = nonEmpty(run.points, `${p}.points`);
    over('reward-KL plot', points.length, `points in ${p}`, ALIGN_LIMITS.runPoints, 'log every k-th step');
    let withStep = 0;
    points.forEach((pt, j) => {
      const q = obj(pt, `${p}.points[${j}]`);
      num(q.kl, `${p}.points[${j}].kl`);
      num(q.reward, `${p}.points[${j}].reward`);
      if (q.step !== undefined) {
        int(q.step, `${p}.points[${j}].step`);
        withStep += 1;
        const prev = (points[j - 1] as RewardKlPoint | undefined)?.step;
        if (prev !== undefined && (q.step as number) <= prev) throw new SpecError(`${p}.points steps must increase, got step ${prev} then ${q.step} at points[${j}]`);
      }
    });
    if (withStep !== 0 && withStep !== points.length) throw new SpecError(`${p}.points: ${withStep} of ${points.length} points have a step; give every point a step or none`);
  });
  return o as unknown as RewardKlSpec;
}

export function validateRlSamplesSpec(v: unknown): RlSamplesSpec {
  const o = obj(v, 'spec');
  header(o, 'rl-samples', [1]);
  nonEmptyStr(o.rewardName, 'rewardName');
  const rows = arr(o.rows, 'rows');
  over('samples table', rows.length, 'rows', ALIGN_LIMITS.sampleRows, 'keep the latest samples');
  rows.forEach((r, i) => {
    const q = obj(r, `rows[${i}]`);
    const step = int(q.step, `rows[${i}].step`);
    text(q.prompt, `rows[${i}].prompt`);
    text(q.sample, `rows[${i}].sample`);
    num(q.reward, `rows[${i}].reward`);
    const prev = i > 0 ? (rows[i - 1] as RlSampleRow).step : Infinity;
    if (step > prev) throw new SpecError(`rows must be newest first, got step ${prev} then ${step} at rows[${i}]`);
  });
  return o as unknown as RlSamplesSpec;
}

// ---- what the kernel's pictures and the extension's views both show -------------------------

/** Pearson's r of xs and ys, or null when there are fewer than 2 points or either is constant. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks, ties sharing their average rank (as scipy.stats.rankdata). */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rho: Pearson's r of the ranks (ties averaged); null as pearson. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  return pearson(ranks(xs), ranks(ys));
}

export interface SplitStats {
  split: RewardSplit;
  n: number;
  pearson: number | null;
  spearman: number | null;
}

/** Pearson and Spearman per split present, train first. */
export function scatterStats(points: readonly RewardPoint[]): SplitStats[] {
  return REWARD_SPLITS.flatMap(split => {
    const ps = points.filter(p => p.split === split);
    if (ps.length === 0) return [];
    const xs = ps.map(p => p.x);
    const ys = ps.map(p => p.y);
    return [{ split, n: ps.length, pearson: pearson(xs, ys), spearman: spearman(xs, ys) }];
  });
}

/** 0.8123 -> "0.81", null -> "n/a". */
export const formatCorrelation = (r: number | null): string => (r === null ? 'n/a' : r.toFixed(2));

/** "held-out (n = 40): Pearson 0.81, Spearman 0.77". */
export function splitStatsLine(s: SplitStats): string {
  return `${s.split} (n = ${s.n}): Pearson ${formatCorrelation(s.pearson)}, Spearman ${formatCorrelation(s.spearman)}`;
}

/** Where a point stands under x and under y among all points: rank percentiles in [0, 1]. */
export function rankPercentiles(points: readonly RewardPoint[]): { x: number; y: number }[] {
  const n = points.length;
  const rx = ranks(points.map(p => p.x));
  const ry = ranks(points.map(p => p.y));
  const pct = (r: number) => (n === 1 ? 0.5 : (r - 1) / (n - 1));
  return points.map((_, i) => ({ x: pct(rx[i]), y: pct(ry[i]) }));
}

/**
 * The `k` points the stand-in and the reward model disagree on most: the largest gaps between
 * their rank percentiles (a continuation the lexicon ranks high and the reward model low, or the
 * reverse), largest first; ties by index. Ranks, not values: the two scores have different scales.
 */
export function disagreements(points: readonly RewardPoint[], k: number): number[] {
  const pct = rankPercentiles(points);
  return points
    .map((_, i) => i)
    .sort((a, b) => Math.abs(pct[b].x - pct[b].y) - Math.abs(pct[a].x - pct[a].y) || a - b)
    .slice(0, k);
}

/** "held-out: the stand-in ranks it above 90% of the points, the reward model above 12%". */
export function disagreementLine(points: readonly RewardPoint[], i: number, pct = rankPercentiles(points)): string {
  const p = (x: number) => `${Math.round(100 * x)}%`;
  return `${points[i].split}: the stand-in ranks it above ${p(pct[i].x)} of the points, the reward model above ${p(pct[i].y)}`;
}

/** A point's hover text: its scores and its continuation. */
export function rewardPointTitle(spec: Pick<RewardScatterSpec, 'xTitle' | 'yTitle'>, p: RewardPoint): string {
  return `${p.split} \u00b7 ${spec.xTitle} ${+p.x.toPrecision(3)} \u00b7 ${spec.yTitle} ${+p.y.toPrecision(3)}: ${p.text}`;
}

/** GRPO's normalisation constant in TRL: A = (r - mean) / (std + 1e-4). */
export const GRPO_STD_EPS = 1e-4;

export interface GroupStats {
  mean: number;
  /** The sample standard deviation (n - 1, as torch.std). */
  std: number;
  advantages: number[];
}

/** A group's mean reward, its std and each answer's advantage, as GRPO computes them. */
export function groupStats(rewards: readonly number[], scaleRewards = true): GroupStats {
  const n = rewards.length;
  if (n < 2) throw new SpecError(`a GRPO group needs at least 2 rewards, got ${n}`);
  const mean = rewards.reduce((s, r) => s + r, 0) / n;
  const std = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1));
  return { mean, std, advantages: rewards.map(r => (scaleRewards ? (r - mean) / (std + GRPO_STD_EPS) : r - mean)) };
}

/** "mean reward 0.50 · std 0.53 · 4 of 8 correct", and why an all-equal group teaches nothing. */
export function groupSummary(group: GrpoGroup, stats = groupStats(group.completions.map(c => c.reward))): string {
  const marked = group.completions.filter(c => c.correct !== undefined);
  const correct = marked.length > 0 ? ` \u00b7 ${marked.filter(c => c.correct).length} of ${group.completions.length} correct` : '';
  const flat = stats.std === 0 ? ' \u00b7 every reward equal: every advantage is 0, this prompt teaches nothing' : '';
  return `mean reward ${formatNumber(stats.mean)} \u00b7 std ${formatNumber(stats.std)}${correct}${flat}`;
}

/** 0.5 -> "0.50", -1.2345 -> "-1.23", 1234.5 -> "1.23e+3": three significant figures at most, two decimals. */
export function formatNumber(x: number): string {
  if (x === 0) return '0.00';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.01 ? x.toPrecision(3) : x.toFixed(2);
}

/** A run's hover text at one point. */
export function rewardKlTitle(run: RewardKlRun, p: RewardKlPoint): string {
  return `${run.run} (${run.method})${p.step !== undefined ? `, step ${p.step}` : ''}: KL ${+p.kl.toPrecision(3)} nats, reward ${+p.reward.toPrecision(3)}`;
}

/** The methods in order of first appearance: the marker shape of each run is its method's index. */
export function runMethods(runs: readonly RewardKlRun[]): string[] {
  return [...new Set(runs.map(r => r.method))];
}

/** The KL axis: paddedDomain, but never below 0 when no KL is (an estimate may dip below 0). */
export function klDomain(kls: readonly number[]): [number, number] {
  const [lo, hi] = paddedDomain(kls);
  return [Math.min(...kls) >= 0 ? Math.max(0, lo) : lo, hi];
}

/** A range with 8% room at both ends, never empty. */
export function paddedDomain(values: readonly number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const pad = lo === hi ? Math.abs(lo) * 0.1 || 1 : (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

/** The SVG path of run marker `index` (a method's index: circle, square, triangle, diamond, then again) centred at (x, y). */
export function markerPath(index: number, x: number, y: number, r: number): string {
  const f = (n: number) => String(Math.round(n * 10) / 10);
  switch (index % 4) {
    case 0:
      return `M${f(x - r)},${f(y)}a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0z`;
    case 1:
      return `M${f(x - r * 0.85)},${f(y - r * 0.85)}h${f(1.7 * r)}v${f(1.7 * r)}h${f(-1.7 * r)}z`;
    case 2:
      return `M${f(x)},${f(y - r * 1.1)}L${f(x + r)},${f(y + r * 0.8)}L${f(x - r)},${f(y + r * 0.8)}z`;
    default:
      return `M${f(x)},${f(y - r * 1.2)}L${f(x + r)},${f(y)}L${f(x)},${f(y + r * 1.2)}L${f(x - r)},${f(y)}z`;
  }
}

/** The names of the four marker shapes, as the legend and the text fallback say them. */
export const MARKER_NAMES = ['circle', 'square', 'triangle', 'diamond'] as const;

/** A text on one line (runs of white space as one space), cut to `n` characters with an ellipsis. */
export function clipLine(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? one.slice(0, n - 1) + '\u2026' : one;
}
