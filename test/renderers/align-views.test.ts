import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { ALIGN_PIPELINE_MIME_TYPE, GRPO_GROUPS_MIME_TYPE, REWARD_KL_MIME_TYPE, REWARD_SCATTER_MIME_TYPE, RL_SAMPLES_MIME_TYPE } from '../../extension/src/mime';
import { alignPipelineSpec, grpoGroupsSpec, rewardKlSpec, rewardScatterSpec, rlSamplesSpec } from '../../kernel-lib/src/viz/alignViews';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

const evil = '<img src=x onerror=alert(1)>';
const shown = async (mime: string, data: unknown) => (await render(mime, data)).node;
const texts = (root: Element, selector: string) => Array.from(root.querySelectorAll(selector)).map(e => e.textContent);
const hover = (root: Element, node: Element) => {
  node.dispatchEvent(new MouseEvent('mouseenter'));
  return root.querySelector('.llm-lab-attention-readout')!.textContent;
};

describe('alignment pipeline', () => {
  it('draws every box with its caption, and with no highlight nothing is dimmed', async () => {
    const root = await shown(ALIGN_PIPELINE_MIME_TYPE, alignPipelineSpec());
    expect(root.querySelectorAll('.llm-lab-align-box')).toHaveLength(16);
    expect(root.querySelectorAll('.llm-lab-align-dim, .llm-lab-align-lit')).toHaveLength(0);
    expect(root.querySelector('.llm-lab-align-step')).toBeNull();
    expect(texts(root, '[data-box="ppo.reference"] text')).toEqual(['reference', '\u03c0_ref, a frozen', 'copy of SFT:', 'log-probs only']);
    expect(root.querySelector('[data-box="ppo.reference"]')!.getAttribute('data-role')).toBe('frozen');
    expect(texts(root, '.llm-lab-q-legend-label')).toEqual(['trains (gradients, AdamW state)', 'frozen (used, never updated)', 'data or a signal (no weights)', 'a model going in or out']);
  });

  it('highlighting DPO lights SFT, the pairs, DPO and the aligned policy, dims the rest, and says what DPO does', async () => {
    const root = await shown(ALIGN_PIPELINE_MIME_TYPE, alignPipelineSpec({ highlight: 'dpo' }));
    const lit = Array.from(root.querySelectorAll('.llm-lab-align-box.llm-lab-align-lit')).map(b => b.getAttribute('data-box'));
    expect(lit.sort()).toEqual(['aligned', 'dpo', 'pairs', 'sft']);
    expect(root.querySelectorAll('.llm-lab-align-box.llm-lab-align-dim')).toHaveLength(12);
    expect(Array.from(root.querySelectorAll('.llm-lab-align-edge-group.llm-lab-align-lit')).map(e => e.getAttribute('data-edge'))).toEqual(['pairs>dpo', 'sft>dpo', 'dpo>aligned']);
    expect(root.querySelector('.llm-lab-align-step')!.textContent).toMatch(/^DPO: the shortcut: .*No reward model, no sampling\.$/);
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe('Alignment, step by step: DPO');
  });

  it('pointing at a box reads what trains there', async () => {
    const root = await shown(ALIGN_PIPELINE_MIME_TYPE, alignPipelineSpec({ highlight: 'ppo' }));
    expect(hover(root, root.querySelector('[data-box="ppo.value"]')!)).toBe('value head: trains: v_head, the baseline of GAE');
  });

  it('a bad highlight shows the error box naming the value', async () => {
    const root = await shown(ALIGN_PIPELINE_MIME_TYPE, { kind: 'align-pipeline', version: 1, title: 't', highlight: 'rlhf' });
    expect(root.querySelector('.llm-lab-error')!.textContent).toContain('highlight must be null or one of sft, reward, ppo, dpo, grpo, cai, got "rlhf"');
  });
});

describe('reward scatter', () => {
  // the reward model follows the lexicon except on point 5 (the lexicon's favourite scored lowest)
  const points = [
    { x: 1, y: 0.1, text: 'dull', split: 'train' as const },
    { x: 2, y: 0.2, text: 'fine', split: 'train' as const },
    { x: 3, y: 0.3, text: 'good', split: 'train' as const },
    { x: 4, y: 0.5, text: 'great', split: 'held-out' as const },
    { x: 5, y: 0.6, text: 'lovely', split: 'held-out' as const },
    { x: 9, y: -1, text: evil, split: 'held-out' as const }
  ];
  const spec = rewardScatterSpec({ points, xTitle: 'lexicon sentiment', yTitle: 'reward', flag: 1 });

  it('draws a dot per point in its split colour, prints r and rho per split, and labels the axes from the spec', async () => {
    const root = await shown(REWARD_SCATTER_MIME_TYPE, spec);
    expect(root.querySelectorAll('.llm-lab-align-point[data-split="train"]')).toHaveLength(3);
    expect(root.querySelectorAll('.llm-lab-align-point[data-split="held-out"]')).toHaveLength(3);
    // held-out: dx (-2, -1, 3), dy (0.467, 0.567, -1.033): r = -4.6 / sqrt(14 x 1.607) = -0.97; ranks (1, 2, 3) vs (2, 3, 1): rho = -0.5
    expect(texts(root, '.llm-lab-align-stat')).toEqual([' train (n = 3): Pearson 1.00, Spearman 1.00', ' held-out (n = 3): Pearson -0.97, Spearman -0.50']);
    expect(texts(root, '.llm-lab-q-axis-title')).toEqual(['lexicon sentiment', 'reward']);
  });

  it('rings and lists the point of most disagreement, its markup shown as text', async () => {
    const root = await shown(REWARD_SCATTER_MIME_TYPE, spec);
    expect(Array.from(root.querySelectorAll('.llm-lab-align-flag')).map(f => f.getAttribute('data-index'))).toEqual(['5']);
    expect(texts(root, '.llm-lab-align-disagree .llm-lab-align-sample')).toEqual([evil]);
    expect(root.querySelector('.llm-lab-align-disagree li')!.textContent).toBe(`held-out: the stand-in ranks it above 100% of the points, the reward model above 0% (lexicon sentiment 9, reward -1): ${evil}`);
    expect(root.querySelector('img')).toBeNull();
  });

  it('pointing at a dot reads its split, both scores and its text', async () => {
    const root = await shown(REWARD_SCATTER_MIME_TYPE, spec);
    expect(hover(root, root.querySelectorAll('.llm-lab-align-point')[3])).toBe('held-out \u00b7 lexicon sentiment 4 \u00b7 reward 0.5: great');
  });
});

describe('GRPO groups', () => {
  const spec = grpoGroupsSpec({
    groups: [
      { prompt: '12+7=', completions: [{ text: '19', reward: 1, correct: true }, { text: '18', reward: 0, correct: false }, { text: evil, reward: 0, correct: false }, { text: '19', reward: 1, correct: true }] },
      { prompt: 'reverse: abc', completions: [{ text: 'cba', reward: 1, correct: true }, { text: 'cba', reward: 1, correct: true }] }
    ]
  });

  it('shows each prompt with its mean, std and verdicts, and each answer with a signed advantage bar', async () => {
    const root = await shown(GRPO_GROUPS_MIME_TYPE, spec);
    expect(texts(root, '.llm-lab-grpo-prompt')).toEqual(['12+7=', 'reverse: abc']);
    expect(texts(root, '.llm-lab-grpo-summary')).toEqual(['mean reward 0.50 \u00b7 std 0.58 \u00b7 2 of 4 correct', 'mean reward 1.00 \u00b7 std 0.00 \u00b7 2 of 2 correct \u00b7 every reward equal: every advantage is 0, this prompt teaches nothing']);
    const first = root.querySelectorAll('.llm-lab-grpo-group')[0];
    expect(texts(first, '.llm-lab-grpo-mark').slice(1)).toEqual(['\u2713', '\u2717', '\u2717', '\u2713']);
    expect(texts(first, '.llm-lab-grpo-adv')).toEqual(['+0.87', '-0.87', '-0.87', '+0.87']);
    const bars = Array.from(first.querySelectorAll<HTMLElement>('.llm-lab-grpo-bar'));
    expect(bars.map(b => b.className.split(' ')[1])).toEqual(['llm-lab-grpo-pos', 'llm-lab-grpo-neg', 'llm-lab-grpo-neg', 'llm-lab-grpo-pos']);
    // the largest |advantage| over every group spans half the track
    expect(bars.map(b => [b.style.left, b.style.width])).toEqual([['50%', '50%'], ['0%', '50%'], ['0%', '50%'], ['50%', '50%']]);
    expect(texts(first, '.llm-lab-grpo-text')[2]).toBe(evil);
    expect(root.querySelector('img')).toBeNull();
  });

  it('a bar explains its advantage in numbers', async () => {
    const root = await shown(GRPO_GROUPS_MIME_TYPE, spec);
    expect((root.querySelector('.llm-lab-grpo-track') as HTMLElement).title).toBe('reward 1.00 \u2212 mean 0.50, over std 0.58 = 0.87');
  });
});

describe('reward against KL', () => {
  const spec = rewardKlSpec({
    runs: [
      { run: 'PPO kl 0.05', method: 'PPO', points: [{ kl: 0, reward: 0.1, step: 0 }, { kl: 0.1, reward: 0.4, step: 10 }] },
      { run: 'PPO kl 0', method: 'PPO', points: [{ kl: 0, reward: 0.1, step: 0 }, { kl: 3, reward: 0.95, step: 10 }] },
      { run: evil, method: 'DPO', points: [{ kl: 0.3, reward: 0.5 }] }
    ]
  });

  it('draws a line per logged run, a marker per point, a legend entry per run, its name as text', async () => {
    const root = await shown(REWARD_KL_MIME_TYPE, spec);
    expect(root.querySelectorAll('.llm-lab-align-run')).toHaveLength(3);
    expect(root.querySelectorAll('.llm-lab-align-run-line')).toHaveLength(2);
    expect(root.querySelectorAll('.llm-lab-align-run-point')).toHaveLength(5);
    expect(root.querySelectorAll('.llm-lab-align-run-last')).toHaveLength(3);
    expect(texts(root, '.llm-lab-q-legend-label')).toEqual(['PPO kl 0.05 (PPO)', 'PPO kl 0 (PPO)', `${evil} (DPO)`]);
    expect(texts(root, '.llm-lab-q-axis-title')).toEqual(['KL to the reference (nats)', 'mean reward']);
    expect(root.querySelector('img')).toBeNull();
  });

  it('pointing at a point reads its run, step, KL and reward', async () => {
    const root = await shown(REWARD_KL_MIME_TYPE, spec);
    expect(hover(root, root.querySelectorAll('.llm-lab-align-run-point')[3])).toBe('PPO kl 0 (PPO), step 10: KL 3 nats, reward 0.95');
  });
});

describe('RL samples table', () => {
  it('lists the rows newest first with their text as given', async () => {
    const spec = rlSamplesSpec({ rows: [{ step: 0, prompt: 'The film', sample: ' was fine.', reward: 0.1 }, { step: 20, prompt: 'The film', sample: evil, reward: 2.5 }], rewardName: 'reward model score' });
    const root = await shown(RL_SAMPLES_MIME_TYPE, spec);
    expect(texts(root, 'th')).toEqual(['step', 'prompt', 'sample', 'reward model score']);
    expect(Array.from(root.querySelectorAll('tbody tr')).map(r => texts(r, 'td'))).toEqual([
      ['20', 'The film', evil, '2.50'],
      ['0', 'The film', ' was fine.', '0.10']
    ]);
    expect(root.querySelector('img')).toBeNull();
  });
});
