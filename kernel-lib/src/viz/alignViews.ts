/**
 * The alignment lesson's views, from plain numbers and text (a notebook reads them off its runs):
 * the pipeline of the reading with one step emphasised, the reward model's reward against the
 * stand-in's score, GRPO's groups with their advantages, reward against KL to the reference per
 * run, and the latest samples of an RL run. The static pictures are drawn in alignSvg.ts.
 */
import {
  ALIGN_LIMITS,
  AlignPipelineSpec,
  AlignStep,
  clipLine as clip,
  disagreementLine,
  disagreements,
  formatNumber,
  GrpoGroup,
  GrpoGroupsSpec,
  groupStats,
  groupSummary,
  RewardKlRun,
  RewardKlSpec,
  RewardPoint,
  RewardScatterSpec,
  RlSampleRow,
  RlSamplesSpec,
  runMethods,
  scatterStats,
  splitStatsLine,
  validateAlignPipelineSpec,
  validateGrpoGroupsSpec,
  validateRewardKlSpec,
  validateRewardScatterSpec,
  validateRlSamplesSpec,
  MARKER_NAMES
} from '../contract/align';
import { ALIGN_STEP_INFO } from '../contract/alignLayout';
import { bundleOf, display, MimeBundle } from './display';
import { alignPipelineSvg, grpoGroupsSvg, rewardKlSvg, rewardScatterSvg, rlSamplesSvg } from './alignSvg';

export interface ViewOptions {
  title?: string;
}

export interface AlignPipelineInput {
  /** The step drawn emphasised: 'sft', 'reward', 'ppo', 'dpo', 'grpo', 'cai'; null or absent: none. */
  highlight?: AlignStep | null;
}

/** The pipeline's spec: alignPipelineSpec({ highlight: 'dpo' }); a step it does not know is refused by name. */
export function alignPipelineSpec(input: AlignPipelineInput = {}, options: ViewOptions = {}): AlignPipelineSpec {
  const highlight = input.highlight ?? null;
  const info = highlight === null ? undefined : ALIGN_STEP_INFO[highlight];
  const title = options.title ?? (info ? `Alignment, step by step: ${info.name}` : 'Alignment: from a pretrained model to an aligned policy');
  return validateAlignPipelineSpec({ kind: 'align-pipeline', version: 1, title, highlight });
}

export interface RewardScatterInput {
  points: RewardPoint[];
  /** default 'stand-in score' */
  xTitle?: string;
  /** default 'reward model' */
  yTitle?: string;
  /** How many points of most disagreement to flag; default 5 (fewer when there are fewer points). */
  flag?: number;
}

export function rewardScatterSpec(input: RewardScatterInput, options: ViewOptions = {}): RewardScatterSpec {
  const points = input.points.map(p => ({ x: p.x, y: p.y, text: p.text, split: p.split }));
  const flag = input.flag ?? Math.min(5, points.length);
  const title = options.title ?? 'The reward model against the stand-in: where do they agree?';
  return validateRewardScatterSpec({ kind: 'reward-scatter', version: 1, title, xTitle: input.xTitle ?? 'stand-in score', yTitle: input.yTitle ?? 'reward model', points, flag });
}

export interface GrpoGroupsInput {
  groups: GrpoGroup[];
  /** TRL's scale_rewards: divide by the group's std; default true. */
  scaleRewards?: boolean;
}

export function grpoGroupsSpec(input: GrpoGroupsInput, options: ViewOptions = {}): GrpoGroupsSpec {
  const groups = input.groups.map(g => ({ prompt: g.prompt, completions: g.completions.map(c => ({ ...c })) }));
  const sizes = [...new Set(groups.map(g => g.completions.length))];
  const title = options.title ?? `GRPO: ${groups.length} prompt${groups.length === 1 ? '' : 's'}, ${sizes.join(' or ')} answers each, advantages within each group`;
  return validateGrpoGroupsSpec({ kind: 'grpo-groups', version: 1, title, scaleRewards: input.scaleRewards ?? true, groups });
}

export interface RewardKlInput {
  runs: RewardKlRun[];
  /** default 'KL to the reference (nats)' */
  xTitle?: string;
  /** default 'mean reward' */
  yTitle?: string;
}

/** Runs' points sorted by step where every point has one. */
export function rewardKlSpec(input: RewardKlInput, options: ViewOptions = {}): RewardKlSpec {
  const runs = input.runs.map(r => {
    const points = r.points.map(p => ({ ...p }));
    if (points.every(p => p.step !== undefined)) points.sort((a, b) => a.step! - b.step!);
    return { run: r.run, method: r.method, points };
  });
  const title = options.title ?? 'Reward against KL to the reference';
  return validateRewardKlSpec({ kind: 'reward-kl', version: 1, title, xTitle: input.xTitle ?? 'KL to the reference (nats)', yTitle: input.yTitle ?? 'mean reward', runs });
}

export interface RlSamplesInput {
  rows: RlSampleRow[];
  /** default 'reward' */
  rewardName?: string;
}

/** Newest first (a later step above an earlier one), the latest ALIGN_LIMITS.sampleRows kept. */
export function rlSamplesSpec(input: RlSamplesInput, options: ViewOptions = {}): RlSamplesSpec {
  const rows = input.rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.step - a.r.step || b.i - a.i)
    .slice(0, ALIGN_LIMITS.sampleRows)
    .map(({ r }) => ({ step: r.step, prompt: r.prompt, sample: r.sample, reward: r.reward }));
  const kept = rows.length < input.rows.length ? ` (the latest ${rows.length} of ${input.rows.length})` : '';
  const title = options.title ?? `Samples, newest first${kept}`;
  return validateRlSamplesSpec({ kind: 'rl-samples', version: 1, title, rewardName: input.rewardName ?? 'reward', rows });
}

// ---- text fallbacks -------------------------------------------------------------------------

export const PIPELINE_PATHS: { step: AlignStep; text: string }[] = [
  { step: 'sft', text: 'pretrained model -> SFT' },
  { step: 'reward', text: 'SFT -> preference pairs (a stand-in for the human) -> reward model' },
  { step: 'ppo', text: 'reward model -> RLHF with PPO (policy, frozen reference, KL penalty, value head) -> aligned policy' },
  { step: 'dpo', text: 'SFT + preference pairs -> DPO -> aligned policy (the shortcut: no reward model, no sampling)' },
  { step: 'grpo', text: 'SFT -> G samples per prompt -> verifiable reward -> GRPO (group-normalised advantages, no value model) -> aligned policy' },
  { step: 'cai', text: 'constitution -> critique & revision -> SFT on the revisions; AI feedback labels the pairs -> DPO or PPO' }
];

export function alignPipelineText(spec: AlignPipelineSpec): string {
  const lines = [spec.title];
  if (spec.highlight !== null) lines.push(`${ALIGN_STEP_INFO[spec.highlight].name}: ${ALIGN_STEP_INFO[spec.highlight].what}`);
  for (const p of PIPELINE_PATHS) lines.push(`${p.step === spec.highlight ? '> ' : '  '}${p.text}`);
  return lines.join('\n');
}

export function rewardScatterText(spec: RewardScatterSpec): string {
  const lines = [spec.title, `x: ${spec.xTitle}, y: ${spec.yTitle}`, ...scatterStats(spec.points).map(splitStatsLine)];
  const flagged = disagreements(spec.points, spec.flag);
  if (flagged.length > 0) lines.push('where they disagree most:');
  flagged.forEach((i, k) => lines.push(`${k + 1}. ${disagreementLine(spec.points, i)}: ${clip(spec.points[i].text, 80)}`));
  return lines.join('\n');
}

export function grpoGroupsText(spec: GrpoGroupsSpec): string {
  const lines = [spec.title];
  for (const g of spec.groups) {
    const stats = groupStats(g.completions.map(c => c.reward), spec.scaleRewards);
    lines.push(`prompt: ${clip(g.prompt, 80)}`, `  ${groupSummary(g, stats)}`);
    g.completions.forEach((c, j) => {
      const mark = c.correct === undefined ? ' ' : c.correct ? '\u2713' : '\u2717';
      const a = stats.advantages[j];
      lines.push(`  ${mark} reward ${formatNumber(c.reward)}, advantage ${a > 0 ? '+' : ''}${formatNumber(a)}: ${clip(c.text, 60)}`);
    });
  }
  return lines.join('\n');
}

export function rewardKlText(spec: RewardKlSpec): string {
  const methods = runMethods(spec.runs);
  const lines = [spec.title, `x: ${spec.xTitle}, y: ${spec.yTitle}`];
  for (const r of spec.runs) {
    const last = r.points[r.points.length - 1];
    const shape = MARKER_NAMES[methods.indexOf(r.method) % MARKER_NAMES.length];
    lines.push(`${r.run} (${r.method}, ${shape}): ${r.points.length} point${r.points.length === 1 ? '' : 's'}, last${last.step !== undefined ? ` at step ${last.step}` : ''}: KL ${+last.kl.toPrecision(3)}, reward ${+last.reward.toPrecision(3)}`);
  }
  return lines.join('\n');
}

export function rlSamplesText(spec: RlSamplesSpec): string {
  return [spec.title, ...spec.rows.map(r => `step ${r.step} \u00b7 ${spec.rewardName} ${formatNumber(r.reward)} \u00b7 ${clip(r.prompt, 40)} \u2192 ${clip(r.sample, 80)}`)].join('\n');
}

// ---- bundles and show* ----------------------------------------------------------------------

export const alignPipelineBundle = (spec: AlignPipelineSpec): MimeBundle => bundleOf(spec, alignPipelineSvg(spec), alignPipelineText(spec));
export const rewardScatterBundle = (spec: RewardScatterSpec): MimeBundle => bundleOf(spec, rewardScatterSvg(spec), rewardScatterText(spec));
export const grpoGroupsBundle = (spec: GrpoGroupsSpec): MimeBundle => bundleOf(spec, grpoGroupsSvg(spec), grpoGroupsText(spec));
export const rewardKlBundle = (spec: RewardKlSpec): MimeBundle => bundleOf(spec, rewardKlSvg(spec), rewardKlText(spec));
export const rlSamplesBundle = (spec: RlSamplesSpec): MimeBundle => bundleOf(spec, rlSamplesSvg(spec), rlSamplesText(spec));

/** Draw the alignment pipeline, one step emphasised: showAlignPipeline({ highlight: 'ppo' }). */
export function showAlignPipeline(input: AlignPipelineInput = {}, options: ViewOptions = {}): void {
  display(alignPipelineBundle(alignPipelineSpec(input, options)));
}

/** Show the reward model's reward against the stand-in's score, correlations per split, disagreements flagged. */
export function showRewardScatter(input: RewardScatterInput, options: ViewOptions = {}): void {
  display(rewardScatterBundle(rewardScatterSpec(input, options)));
}

/** Show prompts with their G answers, rewards and group-normalised advantages. */
export function showGrpoGroups(input: GrpoGroupsInput, options: ViewOptions = {}): void {
  display(grpoGroupsBundle(grpoGroupsSpec(input, options)));
}

/** Show mean reward against KL to the reference, a colour per run and a marker per method. */
export function showRewardKl(input: RewardKlInput, options: ViewOptions = {}): void {
  display(rewardKlBundle(rewardKlSpec(input, options)));
}

/** Show an RL run's samples, newest first. */
export function showRlSamples(input: RlSamplesInput, options: ViewOptions = {}): void {
  display(rlSamplesBundle(rlSamplesSpec(input, options)));
}
