/**
 * Where each part of the alignment pipeline goes, read left to right: pretrained model -> SFT ->
 * preference pairs -> reward model -> RLHF with PPO (policy, frozen reference, KL penalty, value
 * head) -> aligned policy; below it DPO, the shortcut from SFT and the pairs; GRPO with G samples
 * and a verifiable reward; above it constitutional AI (principles, critique and revision, AI
 * feedback labelling the pairs). Every box and line names the steps it belongs to, so one step can
 * be emphasised. Pure data: the kernel's SVG and the extension's view both draw this.
 */
import type { AlignStep } from './align';

/** trains: gets gradients and optimizer state in its step; frozen: used, never updated. */
export type AlignRole = 'trains' | 'frozen' | 'data' | 'model';

export interface PipelineBox {
  id: string;
  label: string;
  /** The caption, wrapped to the box: what trains, what is frozen. */
  lines: string[];
  x: number;
  y: number;
  w: number;
  h: number;
  role: AlignRole;
  steps: AlignStep[];
  /** The hover text: the label and the whole caption. */
  title: string;
}

export interface PipelineFrame {
  id: string;
  label: string;
  lines: string[];
  x: number;
  y: number;
  w: number;
  h: number;
  steps: AlignStep[];
  title: string;
}

export interface PipelineEdge {
  from: string;
  to: string;
  points: [number, number][];
  steps: AlignStep[];
  /** A few words on the line, at (x, y); anchor as SVG's text-anchor. */
  label?: { text: string; x: number; y: number; anchor: 'start' | 'middle' | 'end' };
}

export interface PipelineLayout {
  width: number;
  height: number;
  boxes: PipelineBox[];
  frames: PipelineFrame[];
  edges: PipelineEdge[];
}

export const ALIGN_ROLE_NAMES: Record<AlignRole, string> = {
  trains: 'trains (gradients, AdamW state)',
  frozen: 'frozen (used, never updated)',
  data: 'data or a signal (no weights)',
  model: 'a model going in or out'
};

/** Each step's name and what it does, in a sentence: the line under the title while it is emphasised. */
export const ALIGN_STEP_INFO: Record<AlignStep, { name: string; what: string }> = {
  sft: { name: 'Supervised fine-tuning', what: 'the pretrained model learns to answer: every weight trains on chat examples, the loss on the answers only.' },
  reward: { name: 'Reward model', what: 'pairs of answers to one prompt, one chosen over the other (here by a stand-in for the human); a scalar head on the SFT body learns to score the chosen one higher (Bradley-Terry).' },
  ppo: { name: 'RLHF with PPO', what: 'the policy writes answers, the frozen reward model scores them, a per-token KL penalty keeps the policy near the frozen reference, and the value head gives the baseline for the advantages (GAE).' },
  dpo: { name: 'DPO', what: "the shortcut: the policy learns from the pairs directly, raising the chosen answer's log-probability over the rejected one's, relative to the frozen reference. No reward model, no sampling." },
  grpo: { name: 'GRPO', what: "G answers per prompt, each scored by a checker; an answer's advantage is its reward minus its group's mean, over the group's std, so no value model is needed." },
  cai: { name: 'Constitutional AI', what: 'principles instead of human labels: answers are critiqued and revised against them (SFT on the revisions), then a judge labels pairs by them (AI feedback) for DPO or PPO.' }
};

/** Break `s` into lines of at most `chars` characters, at spaces (a longer word gets its own line). */
export function wrapWords(s: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(w => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Labels are 11 px bold text, about 5.6 px a character; captions 10 px, about 5.4 px; 5 px of padding each side. */
export const LABEL_CHAR_W = 5.6;
export const CAPTION_CHAR_W = 5.4;
export const LINE_H = 12;
const captionChars = (w: number) => Math.floor((w - 10) / CAPTION_CHAR_W);

// columns (x, width) and lanes (y, height), in pixels
const COL: [number, number][] = [[10, 116], [156, 116], [302, 128], [460, 128], [618, 224], [872, 104]];
const CAI: [number, number] = [26, 80];
const MAIN: [number, number] = [212, 92];
const DPO: [number, number] = [322, 66];
const GRPO: [number, number] = [412, 80];
// the PPO frame and its 2 x 2 parts
const FRAME = { x: COL[4][0], y: 110, w: COL[4][1], h: 186 };
const SUB_W = (FRAME.w - 2 * 8 - 14) / 2;
const SUB = { left: FRAME.x + 8, right: FRAME.x + 8 + SUB_W + 14, top: 152, bottom: 228, h: 60 };

const ALL: AlignStep[] = ['sft', 'reward', 'ppo', 'dpo', 'grpo', 'cai'];

/** The pipeline's layout: the same for every spec (only the emphasis changes). */
export function alignPipelineLayout(): PipelineLayout {
  const boxes: PipelineBox[] = [];
  const box = (id: string, label: string, caption: string, at: [number, number, number, number], role: AlignRole, steps: AlignStep[]) => {
    const [x, y, w, h] = at;
    boxes.push({ id, label, lines: wrapWords(caption, captionChars(w)), x, y, w, h, role, steps, title: `${label}: ${caption}` });
  };
  const cell = (col: number, lane: [number, number]): [number, number, number, number] => [COL[col][0], lane[0], COL[col][1], lane[1]];

  box('constitution', 'Constitution', 'plain principles, written by people, that a learner can edit', cell(0, CAI), 'data', ['cai']);
  box('critique', 'Critique & revision', "the model's answers critiqued against a principle and rewritten", cell(1, CAI), 'frozen', ['cai']);
  box('ai-feedback', 'AI feedback', 'a judge model picks the answer closer to the principles: pairs labelled, no human', cell(2, CAI), 'frozen', ['cai']);

  box('pretrained', 'Pretrained model', 'next-token prediction on raw text; all its weights go on to SFT', cell(0, MAIN), 'model', ['sft']);
  box('sft', 'SFT', 'trains: every weight, on chat answers (the loss on the answers only)', cell(1, MAIN), 'trains', ALL);
  box('pairs', 'Preference pairs', "chosen vs rejected answers to one prompt; the human's stand-in: a sentiment lexicon or a checker", cell(2, MAIN), 'data', ['reward', 'dpo', 'cai']);
  box('reward', 'Reward model', 'trains: the SFT body + a scalar head, Bradley-Terry on the pairs; frozen afterwards', cell(3, MAIN), 'trains', ['reward', 'ppo']);

  const sub = (id: string, label: string, caption: string, x: number, y: number, role: AlignRole) => box(id, label, caption, [x, y, SUB_W, SUB.h], role, ['ppo']);
  sub('ppo.reference', 'reference', '\u03c0_ref, a frozen copy of SFT: log-probs only', SUB.left, SUB.top, 'frozen');
  sub('ppo.policy', 'policy \u03c0_\u03b8', 'trains (starts as SFT); writes the rollouts', SUB.right, SUB.top, 'trains');
  sub('ppo.kl', 'reward \u2212 \u03b2\u00b7KL', 'per token; \u03b2 is the KL coefficient', SUB.left, SUB.bottom, 'data');
  sub('ppo.value', 'value head', 'trains: v_head, the baseline of GAE', SUB.right, SUB.bottom, 'trains');

  box('dpo', 'DPO', 'trains: the policy, on the pairs, \u2212log \u03c3(\u03b2 \u00b7 margin); the reference frozen; no reward model, no sampling', cell(4, DPO), 'trains', ['dpo']);
  box('grpo.samples', 'G samples', 'the policy answers each prompt G times (num_generations)', cell(2, GRPO), 'data', ['grpo']);
  box('grpo.reward', 'Verifiable reward', 'a checker scores each answer 1 or 0: no reward model', cell(3, GRPO), 'data', ['grpo']);
  box('grpo', 'GRPO', 'trains: the policy; advantage = (r \u2212 group mean) / group std: no value model; KL to the frozen reference', cell(4, GRPO), 'trains', ['grpo']);
  box('aligned', 'Aligned policy', 'the policy PPO, DPO or GRPO trained; saved like any model', [COL[5][0], SUB.top, COL[5][1], GRPO[0] + GRPO[1] - SUB.top], 'model', ['ppo', 'dpo', 'grpo']);

  const ppoCaption = 'clipped ratio, several epochs per rollout batch';
  const frames: PipelineFrame[] = [{ id: 'ppo', label: 'RLHF with PPO', lines: [ppoCaption], ...FRAME, steps: ['ppo'], title: `RLHF with PPO: ${ppoCaption}` }];

  const at = (id: string) => boxes.find(b => b.id === id)!;
  const right = (id: string) => at(id).x + at(id).w;
  const cx = (id: string) => at(id).x + at(id).w / 2;
  const midY = (id: string) => at(id).y + at(id).h / 2;
  const bottom = (id: string) => at(id).y + at(id).h;
  const edges: PipelineEdge[] = [];
  const edge = (from: string, to: string, points: [number, number][], steps: AlignStep[], label?: PipelineEdge['label']) => edges.push({ from, to, points, steps, ...(label ? { label } : {}) });
  /** Left to right at one height, from a box's right side to the next one's left side. */
  const across = (from: string, to: string, steps: AlignStep[], y = midY(from)) => edge(from, to, [[right(from), y], [at(to).x, y]], steps);

  // constitutional AI: principles to both of its stages; answers up, revisions down
  across('constitution', 'critique', ['cai']);
  edge('constitution', 'ai-feedback', [[cx('constitution'), CAI[0]], [cx('constitution'), 12], [cx('ai-feedback'), 12], [cx('ai-feedback'), CAI[0]]], ['cai']);
  const [up, down] = [cx('sft') - 20, cx('sft') + 20];
  const between = (CAI[0] + CAI[1] + MAIN[0]) / 2;
  edge('sft', 'critique', [[up, MAIN[0]], [up, CAI[0] + CAI[1]]], ['cai'], { text: 'answers', x: up - 5, y: between + 4, anchor: 'end' });
  edge('critique', 'sft', [[down, CAI[0] + CAI[1]], [down, MAIN[0]]], ['cai'], { text: 'SFT on the revisions', x: down + 5, y: between + 4, anchor: 'start' });
  edge('ai-feedback', 'pairs', [[cx('ai-feedback'), CAI[0] + CAI[1]], [cx('ai-feedback'), MAIN[0]]], ['cai'], { text: 'labels', x: cx('ai-feedback') + 5, y: between + 4, anchor: 'start' });

  // the RLHF line, and PPO's loop inside its frame
  across('pretrained', 'sft', ['sft']);
  across('sft', 'pairs', ['reward']);
  across('pairs', 'reward', ['reward']);
  across('reward', 'ppo.kl', ['ppo']);
  edge('ppo.reference', 'ppo.kl', [[cx('ppo.reference'), bottom('ppo.reference')], [cx('ppo.reference'), SUB.bottom]], ['ppo']);
  across('ppo.kl', 'ppo.value', ['ppo']);
  edge('ppo.value', 'ppo.policy', [[cx('ppo.value'), SUB.bottom], [cx('ppo.value'), bottom('ppo.policy')]], ['ppo']);
  across('ppo.policy', 'aligned', ['ppo']);

  // DPO: SFT and the pairs straight in; GRPO: SFT's answers, a checker, the update
  const trunk = cx('sft');
  const dpoY = midY('dpo');
  edge('pairs', 'dpo', [[cx('pairs'), bottom('pairs')], [cx('pairs'), dpoY - 7], [at('dpo').x, dpoY - 7]], ['dpo']);
  edge('sft', 'dpo', [[trunk, bottom('sft')], [trunk, dpoY + 7], [at('dpo').x, dpoY + 7]], ['dpo'], { text: 'shortcut: no reward model, no sampling', x: (cx('pairs') + at('dpo').x) / 2, y: dpoY + 21, anchor: 'middle' });
  across('dpo', 'aligned', ['dpo']);
  edge('sft', 'grpo.samples', [[trunk, bottom('sft')], [trunk, midY('grpo.samples')], [at('grpo.samples').x, midY('grpo.samples')]], ['grpo']);
  across('grpo.samples', 'grpo.reward', ['grpo']);
  across('grpo.reward', 'grpo', ['grpo']);
  across('grpo', 'aligned', ['grpo']);

  return { width: COL[5][0] + COL[5][1] + 10, height: GRPO[0] + GRPO[1] + 8, boxes, frames, edges };
}

/** Whether a box, frame or line is drawn emphasised: every part when nothing is highlighted. */
export function emphasised(steps: readonly AlignStep[], highlight: AlignStep | null): boolean {
  return highlight === null || steps.includes(highlight);
}
