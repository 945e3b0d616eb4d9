/**
 * Aligned models save and load like every other model: PPO's policy with its value head (TRL's
 * AutoModelForCausalLMWithValueHead layout: the GPT's tensors + v_head.summary.*), back to the same
 * logits and values; the policy alone (DPO, GRPO) is a GPT and saves as one. A folder of another
 * kind gets an error that says what it is.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { saveGPT, loadGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { loadPolicyWithValue, savePolicyWithValue } from '../../kernel-lib/src/checkpoint/policyWithValue';
import { saveRewardModel } from '../../kernel-lib/src/checkpoint/rewardModel';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { PolicyWithValue } from '../../kernel-lib/src/models/policyWithValue';
import { GPTRewardModel } from '../../kernel-lib/src/models/rewardModel';
import { onCpu, values } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 8, seed: 6 };

describe('savePolicyWithValue / loadPolicyWithValue', () => {
  it('writes the GPT tensors and v_head.summary.weight (1, C) + bias (1); loads back to the same logits and values', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const policy = new PolicyWithValue(new GPT(config), { seed: 4 });
    // a trained head, not its initial values: set the bias so a mix-up would show
    policy.vHead.summary.bias.assign(tf.tensor1d([0.75]));
    const ids = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]], undefined, 'int32');
    const before = policy.forward(ids);
    await savePolicyWithValue(policy, path.join(dir, 'ppo'));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'ppo', 'config.json'), 'utf8'));
    expect(json.model_type).toBe('gpt2');
    expect(json.llm_lab.valueHead).toEqual({ nEmbd: 8 });
    const { model: loaded } = loadPolicyWithValue(path.join(dir, 'ppo'));
    const names = loaded.namedParameters().map(([n, p]) => `${n} [${p.shape}]`);
    expect(names).toEqual(policy.namedParameters().map(([n, p]) => `${n} [${p.shape}]`));
    expect(names).toContain('v_head.summary.weight [1,8]');
    expect(names).toContain('v_head.summary.bias [1]');
    const after = loaded.forward(ids);
    expect(await values(after.logits)).toEqual(await values(before.logits));
    expect(await values(after.values)).toEqual(await values(before.values));
    tf.dispose([ids, before.logits, before.values, after.logits, after.values]);
    policy.dispose();
    loaded.dispose();
  });

  it('the policy alone (after DPO or GRPO) is a GPT: saveGPT and loadGPT give the same logits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const gpt = new GPT(config);
    await saveGPT(gpt, path.join(dir, 'dpo'));
    const { model } = loadGPT(path.join(dir, 'dpo'));
    const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const [a, b] = [gpt.forward(ids).logits, model.forward(ids).logits];
    expect(await values(b)).toEqual(await values(a));
    tf.dispose([ids, a, b]);
    gpt.dispose();
    model.dispose();
  });

  it('refuses a plain GPT folder and a reward model folder, naming what they are, and a model that is not a PolicyWithValue', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const gpt = new GPT(config);
    await saveGPT(gpt, path.join(dir, 'gpt'));
    expect(() => loadPolicyWithValue(path.join(dir, 'gpt'))).toThrow('has no value head (llm_lab.valueHead); it is a GPT without one: load it with loadGPT, then wrap it in new PolicyWithValue(gpt)');
    const rm = GPTRewardModel.fromGPT(new GPT(config), { seed: 2 });
    await saveRewardModel(rm, path.join(dir, 'rm'));
    expect(() => loadPolicyWithValue(path.join(dir, 'rm'))).toThrow('it is a reward model: load it with loadRewardModel');
    await expect(savePolicyWithValue(gpt as unknown as PolicyWithValue, path.join(dir, 'x'))).rejects.toThrow('savePolicyWithValue: model must be a PolicyWithValue');
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    gpt.dispose();
    rm.dispose();
  });
});
