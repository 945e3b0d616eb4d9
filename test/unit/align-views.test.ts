/**
 * The alignment views on the kernel's side: the pipeline's layout and what each step emphasises,
 * the numbers the views print (Pearson and Spearman per split, rank disagreements, GRPO's group
 * mean, std and advantages) against hand computations, the builders' ordering, the validators'
 * messages, and escaped text in the SVG fallbacks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALIGN_STEPS,
  AlignStep,
  alignPipelineLayout,
  disagreements,
  emphasised,
  groupStats,
  groupSummary,
  klDomain,
  markerPath,
  mimeTypeFor,
  pearson,
  ranks,
  RewardPoint,
  scatterStats,
  spearman,
  SpecError,
  splitStatsLine,
  validateGrpoGroupsSpec,
  validateRlSamplesSpec,
  ViewSizeError
} from '../../kernel-lib/src/contract';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import {
  alignPipelineBundle,
  alignPipelineSpec,
  grpoGroupsBundle,
  grpoGroupsSpec,
  grpoGroupsText,
  rewardKlBundle,
  rewardKlSpec,
  rewardKlText,
  rewardScatterBundle,
  rewardScatterSpec,
  rewardScatterText,
  rlSamplesBundle,
  rlSamplesSpec,
  showRewardScatter
} from '../../kernel-lib/src/viz/alignViews';

afterEach(() => setDisplaySink(null));

const evil = '<script>alert(1)</script> & "quotes"';

describe('alignment pipeline layout', () => {
  const layout = alignPipelineLayout();
  const box = (id: string) => layout.boxes.find(b => b.id === id)!;

  it('draws every stage of the reading once: SFT, pairs, reward model, PPO (policy, reference, KL, value head), DPO, GRPO, constitutional AI', () => {
    expect(layout.boxes.map(b => b.id).sort()).toEqual(
      ['ai-feedback', 'aligned', 'constitution', 'critique', 'dpo', 'grpo', 'grpo.reward', 'grpo.samples', 'pairs', 'ppo.kl', 'ppo.policy', 'ppo.reference', 'ppo.value', 'pretrained', 'reward', 'sft'].sort()
    );
    expect(box('ppo.reference').role).toBe('frozen');
    expect(box('ppo.reference').title).toBe('reference: \u03c0_ref, a frozen copy of SFT: log-probs only');
    expect(box('ppo.policy').role).toBe('trains');
    expect(box('ppo.value').role).toBe('trains');
    expect(box('grpo').title).toContain('no value model');
    expect(box('dpo').title).toContain('no reward model');
  });

  it('no two boxes overlap, each lies inside the picture, and PPO parts inside their frame', () => {
    const bs = layout.boxes;
    for (const b of bs) expect(b.x >= 0 && b.y >= 0 && b.x + b.w <= layout.width && b.y + b.h <= layout.height, b.id).toBe(true);
    for (let i = 0; i < bs.length; i++)
      for (let j = i + 1; j < bs.length; j++) {
        const [a, b] = [bs[i], bs[j]];
        expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    const f = layout.frames[0];
    for (const b of bs.filter(b => b.id.startsWith('ppo.'))) expect(b.x > f.x && b.y > f.y + 32 && b.x + b.w < f.x + f.w && b.y + b.h < f.y + f.h, b.id).toBe(true);
  });

  it('each label and caption fits its box: at most (w - 8) / 5.6 label and (w - 10) / 5.4 caption characters a line, the lines above its bottom', () => {
    for (const b of layout.boxes) {
      expect(b.label.length, b.label).toBeLessThanOrEqual(Math.floor((b.w - 8) / 5.6));
      for (const l of b.lines) expect(l.length, `${b.id}: ${l}`).toBeLessThanOrEqual(Math.floor((b.w - 10) / 5.4));
      expect(30 + (b.lines.length - 1) * 12 + 4, b.id).toBeLessThanOrEqual(b.h);
    }
  });

  it('every line starts on the side of the box it comes from and ends on the box it points at', () => {
    const on = (id: string, [x, y]: [number, number]) => {
      const b = box(id);
      const inside = x >= b.x - 0.01 && x <= b.x + b.w + 0.01 && y >= b.y - 0.01 && y <= b.y + b.h + 0.01;
      const edge = [b.x, b.x + b.w].some(v => Math.abs(x - v) < 0.01) || [b.y, b.y + b.h].some(v => Math.abs(y - v) < 0.01);
      return inside && edge;
    };
    for (const e of layout.edges) {
      expect(on(e.from, e.points[0]), `${e.from} -> ${e.to} start`).toBe(true);
      expect(on(e.to, e.points[e.points.length - 1]), `${e.from} -> ${e.to} end`).toBe(true);
    }
  });

  it('each step emphasises exactly its own path; null emphasises everything', () => {
    const lit = (h: AlignStep) => layout.boxes.filter(b => emphasised(b.steps, h)).map(b => b.id).sort();
    expect(lit('sft')).toEqual(['pretrained', 'sft']);
    expect(lit('reward')).toEqual(['pairs', 'reward', 'sft']);
    expect(lit('ppo')).toEqual(['aligned', 'ppo.kl', 'ppo.policy', 'ppo.reference', 'ppo.value', 'reward', 'sft']);
    expect(lit('dpo')).toEqual(['aligned', 'dpo', 'pairs', 'sft']);
    expect(lit('grpo')).toEqual(['aligned', 'grpo', 'grpo.reward', 'grpo.samples', 'sft']);
    expect(lit('cai')).toEqual(['ai-feedback', 'constitution', 'critique', 'pairs', 'sft']);
    expect(layout.edges.filter(e => emphasised(e.steps, 'dpo')).map(e => `${e.from}>${e.to}`)).toEqual(['pairs>dpo', 'sft>dpo', 'dpo>aligned']);
    expect(layout.boxes.every(b => emphasised(b.steps, null))).toBe(true);
  });
});

describe('alignment pipeline spec', () => {
  it('a highlighted step names itself in the title, the picture and the text; the others are dimmed in the SVG', () => {
    const spec = alignPipelineSpec({ highlight: 'grpo' });
    expect(spec).toEqual({ kind: 'align-pipeline', version: 1, title: 'Alignment, step by step: GRPO', highlight: 'grpo' });
    const bundle = alignPipelineBundle(spec);
    expect(Object.keys(bundle)).toEqual([mimeTypeFor('align-pipeline'), 'image/svg+xml', 'text/plain']);
    expect(bundle['text/plain']).toContain('> SFT -> G samples per prompt -> verifiable reward -> GRPO');
    expect(bundle['text/plain'].split('\n').filter(l => l.startsWith('> '))).toHaveLength(1);
    // 16 boxes, 5 of them on GRPO's path: the other 11 (and the PPO frame) are drawn faint
    expect(bundle['image/svg+xml'].match(/<g opacity=".25"><rect/g)).toHaveLength(12);
    expect(alignPipelineSpec().highlight).toBeNull();
    expect(alignPipelineBundle(alignPipelineSpec())['image/svg+xml']).not.toContain('opacity=".25"');
  });

  it('an unknown step is refused by name', () => {
    expect(() => alignPipelineSpec({ highlight: 'rlhf' as AlignStep })).toThrow('highlight must be null or one of sft, reward, ppo, dpo, grpo, cai, got "rlhf"');
    expect(ALIGN_STEPS).toHaveLength(6);
  });
});

describe('reward scatter numbers', () => {
  it("Pearson's r and Spearman's rho match hand computations, ties sharing their average rank", () => {
    // r = sum dx dy / sqrt(sum dx^2 sum dy^2) with dx = (-1.5, -.5, .5, 1.5), dy = (-1.5, .5, -.5, 1.5): 4 / 5 = 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / sqrt(4.5 * 5)
    expect(spearman([10, 20, 20, 30], [0.1, 0.9, 0.5, 2])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    // a monotone but not linear relation: rho 1, r below 1
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [1, 4, 9, 100])!).toBeLessThan(0.9);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1], [2])).toBeNull();
  });

  const pt = (x: number, y: number, split: RewardPoint['split'], text = `x${x}`): RewardPoint => ({ x, y, text, split });

  it('reports each split on its own, and n/a where a split is constant', () => {
    const points = [pt(1, 1, 'train'), pt(2, 3, 'train'), pt(3, 2, 'train'), pt(4, 4, 'train'), pt(1, 5, 'held-out'), pt(2, 5, 'held-out')];
    const stats = scatterStats(points);
    expect(stats.map(splitStatsLine)).toEqual(['train (n = 4): Pearson 0.80, Spearman 0.80', 'held-out (n = 2): Pearson n/a, Spearman n/a']);
  });

  it('flags the points whose ranks under the stand-in and the reward model differ most, largest gap first', () => {
    // y follows x except the lexicon's favourite (x 10), which the reward model scores lowest, and x 1, scored above x 2 to 3
    const points = [pt(1, 0.35, 'train'), pt(2, 0.2, 'train'), pt(3, 0.3, 'held-out'), pt(4, 0.4, 'held-out'), pt(10, -1, 'held-out', evil)];
    expect(disagreements(points, 2)).toEqual([4, 0]);
    const text = rewardScatterText(rewardScatterSpec({ points, flag: 2 }));
    expect(text).toContain('1. held-out: the stand-in ranks it above 100% of the points, the reward model above 0%');
    const svg = rewardScatterBundle(rewardScatterSpec({ points }))['image/svg+xml'];
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });

  it('refuses a point of an unknown split, more flags than points and an overlong text, naming them', () => {
    expect(() => rewardScatterSpec({ points: [pt(1, 1, 'test' as never)] })).toThrow('points[0].split must be "train" or "held-out", got "test"');
    expect(() => rewardScatterSpec({ points: [pt(1, 1, 'train')], flag: 3 })).toThrow('flag (3) must be at most the number of points (1)');
    expect(() => rewardScatterSpec({ points: [pt(1, 1, 'train', 'a'.repeat(2001))] })).toThrow(ViewSizeError);
    expect(() => rewardScatterSpec({ points: [] })).toThrow('points must be a non-empty array, got []');
  });

  it('showRewardScatter sends one bundle under the reward-scatter MIME type', () => {
    const sent: Record<string, string>[] = [];
    setDisplaySink(m => sent.push(m.data));
    showRewardScatter({ points: [pt(1, 2, 'train'), pt(2, 1, 'held-out')], xTitle: 'lexicon sentiment', yTitle: 'reward' });
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]['application/vnd.llm-lab.reward-scatter.v1+json']).xTitle).toBe('lexicon sentiment');
  });
});

describe('GRPO groups', () => {
  it('mean, sample std (n - 1, as torch.std) and (r - mean) / (std + 1e-4), as TRL computes them', () => {
    const s = groupStats([1, 0, 0, 1]);
    const std = Math.sqrt((4 * 0.25) / 3);
    expect(s.mean).toBe(0.5);
    expect(s.std).toBeCloseTo(std, 12);
    expect(s.advantages).toEqual([0.5, -0.5, -0.5, 0.5].map(d => d / (std + 1e-4)));
    expect(groupStats([3, 1], false).advantages).toEqual([1, -1]);
    expect(s.advantages.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
  });

  it('a group whose answers all score the same has advantage 0 everywhere, and the summary says why it teaches nothing', () => {
    const group = { prompt: '2+2=', completions: [{ text: '4', reward: 1, correct: true }, { text: '4', reward: 1, correct: true }] };
    expect(groupStats([1, 1]).advantages).toEqual([0, 0]);
    expect(groupSummary(group)).toBe('mean reward 1.00 \u00b7 std 0.00 \u00b7 2 of 2 correct \u00b7 every reward equal: every advantage is 0, this prompt teaches nothing');
  });

  it('the text shows each answer with its mark, reward and signed advantage', () => {
    const spec = grpoGroupsSpec({ groups: [{ prompt: '12+7=', completions: [{ text: '19', reward: 1, correct: true }, { text: '18', reward: 0, correct: false }, { text: '19', reward: 1, correct: true }] }] });
    expect(spec.title).toBe('GRPO: 1 prompt, 3 answers each, advantages within each group');
    const lines = grpoGroupsText(spec).split('\n');
    // mean 2/3, std sqrt((1/9 + 4/9 + 1/9) / 2) = 0.577: advantages 0.577 and -1.155
    expect(lines.slice(1)).toEqual(['prompt: 12+7=', '  mean reward 0.67 \u00b7 std 0.58 \u00b7 2 of 3 correct', '  \u2713 reward 1.00, advantage +0.58: 19', '  \u2717 reward 0.00, advantage -1.15: 18', '  \u2713 reward 1.00, advantage +0.58: 19']);
    const svg = grpoGroupsBundle(grpoGroupsSpec({ groups: [{ prompt: evil, completions: [{ text: evil, reward: 1 }, { text: 'b', reward: 0 }] }] }))['image/svg+xml'];
    expect(svg).not.toContain('<script');
  });

  it('refuses a group of one answer, a missing reward and too many prompts, naming them', () => {
    expect(() => grpoGroupsSpec({ groups: [{ prompt: 'p', completions: [{ text: 'a', reward: 1 }] }] })).toThrow('groups[0].completions has 1 answer: a group needs at least 2 (num_generations >= 2)');
    expect(() => validateGrpoGroupsSpec({ kind: 'grpo-groups', version: 1, title: '', scaleRewards: true, groups: [{ prompt: 'p', completions: [{ text: 'a', reward: 1 }, { text: 'b' }] }] })).toThrow('groups[0].completions[1].reward must be a finite number, got undefined');
    const many = Array.from({ length: 13 }, () => ({ prompt: 'p', completions: [{ text: 'a', reward: 1 }, { text: 'b', reward: 0 }] }));
    expect(() => grpoGroupsSpec({ groups: many })).toThrow('the GRPO group view has 13 prompts, more than 12');
    expect(() => groupStats([1])).toThrow(SpecError);
  });
});

describe('reward against KL', () => {
  const runs = [
    { run: 'PPO kl 0.05', method: 'PPO', points: [{ kl: 0.2, reward: 0.5, step: 20 }, { kl: 0, reward: 0.1, step: 0 }, { kl: 0.1, reward: 0.3, step: 10 }] },
    { run: 'PPO kl 0', method: 'PPO', points: [{ kl: 0, reward: 0.1, step: 0 }, { kl: 2.5, reward: 0.95, step: 20 }] },
    { run: 'DPO beta 0.1', method: 'DPO', points: [{ kl: 0.4, reward: 0.6 }] }
  ];

  it('sorts each run by step and gives each method its marker; the text reads the last point', () => {
    const spec = rewardKlSpec({ runs });
    expect(spec.runs[0].points.map(p => p.step)).toEqual([0, 10, 20]);
    expect(rewardKlText(spec).split('\n').slice(2)).toEqual([
      'PPO kl 0.05 (PPO, circle): 3 points, last at step 20: KL 0.2, reward 0.5',
      'PPO kl 0 (PPO, circle): 2 points, last at step 20: KL 2.5, reward 0.95',
      'DPO beta 0.1 (DPO, square): 1 point, last: KL 0.4, reward 0.6'
    ]);
    expect(markerPath(1, 10, 10, 5)).toBe('M5.8,5.8h8.5v8.5h-8.5z');
    expect(rewardKlBundle(spec)['image/svg+xml'].match(/<path d="M[^"]*" fill="#4e79a7"><title>/g)).toHaveLength(2); // the first run's earlier points (the last one is outlined)
  });

  it('the KL axis starts at 0 when no KL is negative, and leaves room below a negative estimate', () => {
    expect(klDomain([0, 0.5, 3.1])).toEqual([0, 3.1 + 0.08 * 3.1]);
    expect(klDomain([-0.1, 0.9])[0]).toBeCloseTo(-0.18, 12);
  });

  it('refuses two runs of one name and a run whose points have a step only in part', () => {
    expect(() => rewardKlSpec({ runs: [runs[0], { ...runs[1], run: 'PPO kl 0.05' }] })).toThrow('runs[1].run repeats "PPO kl 0.05" (first at runs[0]): each run needs its own name');
    expect(() => rewardKlSpec({ runs: [{ run: 'a', method: 'PPO', points: [{ kl: 0, reward: 0, step: 1 }, { kl: 1, reward: 1 }] }] })).toThrow('runs[0].points: 1 of 2 points have a step; give every point a step or none');
  });
});

describe('RL samples table', () => {
  it('puts the newest step first (of one step, the later row first) and keeps every text as given', () => {
    const spec = rlSamplesSpec({ rows: [{ step: 0, prompt: 'a', sample: 'x', reward: 0 }, { step: 10, prompt: 'b', sample: evil, reward: 1 }, { step: 10, prompt: 'c', sample: 'z', reward: 0.5 }] });
    expect(spec.rows.map(r => r.prompt)).toEqual(['c', 'b', 'a']);
    expect(spec.rows[1].sample).toBe(evil);
    const svg = rlSamplesBundle(spec)['image/svg+xml'];
    expect(svg).not.toContain('<script');
    expect(() => validateRlSamplesSpec({ ...spec, rows: [...spec.rows].reverse() })).toThrow('rows must be newest first, got step 0 then 10 at rows[1]');
  });
});
