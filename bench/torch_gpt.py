"""Our GPT (kernel-lib/src/models/gpt.ts) in PyTorch, timed on the CPU: the reference the benchmark
compares against. Same architecture, parameter count and training step:

  token + learned position embeddings -> nLayer x pre-LayerNorm block -> final LayerNorm ->
  LM head tied to the token embedding; a block is x + attn(ln_1(x)), then x + mlp(ln_2(x)), with
  a fused qkv Linear, causal softmax attention, GELU (tanh) MLP of 4 x nEmbd, biases on every Linear.
  One step = forward + cross-entropy + backward + global grad-norm clip (1.0) + AdamW
  (betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices only), as in train/trainer.ts.

usage: /usr/bin/python3 bench/torch_gpt.py '{"vocabSize": 65, "blockSize": 64, "nLayer": 2, "nHead": 4,
         "nEmbd": 64, "batchSize": 16, "steps": 10, "warmup": 3, "threads": 1}'
With "finetune": {"textTokens": 64, "numLabels": 4} it times fine-tuning instead: our
GPTForSequenceClassification (the body, the last token's hidden state, a Linear to the classes
without bias), one step with every weight training and one with the body frozen
(requires_grad_(False), AdamW over the trainable parameters only), taking turns; with "lora":
{"r": 8, "loraAlpha": 16, "targetModules": ["c_attn", "c_fc"]} also one with LoRA on those layers
(LoRALinear below: the layer frozen, A and B beside it; the head trains as well), in the same turns.
bench/run.mjs also passes the optimizer settings and generateTokens of bench/configs.mjs (the defaults
below are the same). Prints one JSON line. LD_LIBRARY_PATH=<dir of OpenBLAS's libblas.so.3> makes PyTorch use OpenBLAS
(Debian's PyTorch calls whatever libblas.so.3 the loader finds).
"""
import copy
import json
import math
import os
import resource
import statistics
import sys
import time

config = json.loads(sys.argv[1])
threads = int(config.get('threads', 1))
# OpenBLAS starts its own thread pool when it loads (with import torch) and ignores
# torch.set_num_threads: tell it before.
os.environ['OPENBLAS_NUM_THREADS'] = str(threads)
os.environ['OMP_NUM_THREADS'] = str(threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(threads)
optimizer_settings = {'learningRate': 1e-3, 'beta1': 0.9, 'beta2': 0.95, 'eps': 1e-8, 'weightDecay': 0.1, 'gradClip': 1.0,
                      **{k: config[k] for k in ('learningRate', 'beta1', 'beta2', 'eps', 'weightDecay', 'gradClip') if k in config}}
generate_tokens = config.get('generateTokens', 64)
# 'cpu' for the benchmark's comparison; 'cuda' to see what the same model does on a GPU
device = torch.device(config.get('device', 'cpu'))


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, residual_std):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        nn.init.normal_(self.c_attn.weight, std=0.02)
        nn.init.normal_(self.c_proj.weight, std=residual_std)
        nn.init.zeros_(self.c_attn.bias)
        nn.init.zeros_(self.c_proj.bias)
        # additive mask, as in nn/attention.ts: 0 where key <= query, -1e9 in the future
        self.register_buffer('mask', torch.triu(torch.full((block_size, block_size), -1e9), 1))

    def forward(self, x):
        return self.forward_cached(x, None)[0]

    def forward_cached(self, x, past):
        """x (B, T, C) after the P positions whose keys and values `past` holds ((B, nh, P, hs) each, or None):
        the output and the keys and values of all P + T positions (the KV cache of generation)."""
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=-1)
        q, k, v = [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]  # (B, nh, T, hs)
        P = 0
        if past is not None:
            P = past[0].shape[2]
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)  # (B, nh, P + T, hs)
        scores = q @ k.transpose(-1, -2) / math.sqrt(C // self.n_head) + self.mask[P:P + T, :P + T]  # (B, nh, T, P + T)
        y = torch.softmax(scores, dim=-1) @ v  # (B, nh, T, hs)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C)), (k, v)


class MLP(nn.Module):
    def __init__(self, n_embd, residual_std):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        nn.init.normal_(self.c_fc.weight, std=0.02)
        nn.init.normal_(self.c_proj.weight, std=residual_std)
        nn.init.zeros_(self.c_fc.bias)
        nn.init.zeros_(self.c_proj.bias)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate='tanh'))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size, residual_std):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size, residual_std)
        self.ln_2 = nn.LayerNorm(n_embd, eps=1e-5)
        self.mlp = MLP(n_embd, residual_std)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def forward_cached(self, x, past):
        a, kv = self.attn.forward_cached(self.ln_1(x), past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), kv


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        residual_std = 0.02 / math.sqrt(2 * n_layer)  # GPT-2's scaled init of residual projections
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.02)
        self.h = nn.ModuleList([Block(n_embd, n_head, block_size, residual_std) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)

    def hidden(self, ids):  # (B, T) -> hidden states (B, T, C)
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        for block in self.h:
            x = block(x)
        return self.ln_f(x)

    def forward(self, ids):  # (B, T) -> logits (B, T, V)
        return self.hidden(ids) @ self.wte.weight.T  # tied LM head

    def forward_cached(self, ids, cache):
        """ids (B, T) after the positions the cache holds (a list of (k, v) per block, or None) -> logits (B, T, V) and the grown cache."""
        P = 0 if cache is None else cache[0][0].shape[2]
        x = self.wte(ids) + self.wpe(torch.arange(P, P + ids.shape[1], device=ids.device))
        grown = []
        for i, block in enumerate(self.h):
            x, kv = block.forward_cached(x, None if cache is None else cache[i])
            grown.append(kv)
        return self.ln_f(x) @ self.wte.weight.T, grown


class Classifier(nn.Module):
    """models/gptClassifier.ts: the GPT's body, then a Linear from the last token's hidden state to the classes."""

    def __init__(self, gpt, n_embd, num_labels):
        super().__init__()
        self.gpt = gpt
        self.score = nn.Linear(n_embd, num_labels, bias=False)
        nn.init.normal_(self.score.weight, std=0.02)

    def forward(self, ids):  # (B, T) -> logits (B, numLabels); every text fills T, so its last real token is the last
        return self.score(self.gpt.hidden(ids)[:, -1])


class LoRALinear(nn.Module):
    """peft/lora.ts by hand: y = x W + b + (alpha / r) x A B, W and b frozen, A (in, r) random and B (r, out) zero, as PEFT starts them."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(base.in_features, r))
        self.lora_B = nn.Parameter(torch.zeros(r, base.out_features))
        nn.init.kaiming_uniform_(self.lora_A.T, a=math.sqrt(5))  # PEFT's init of lora_A (out=r, in) as a Linear weight
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A @ self.lora_B) * self.scaling


def add_lora(model, lora):
    """getPeftModel(model, LORA): every parameter frozen, then each Linear named in targetModules wrapped in a LoRALinear."""
    model.requires_grad_(False)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and name in lora['targetModules']:
                setattr(module, name, LoRALinear(child, lora['r'], lora['loraAlpha']))
    return model


def token_stream(vocab_size, n=50000):
    """The benchmark's synthetic corpus (the same formula as bench/configs.mjs)."""
    return torch.tensor([(i * 7 + (i >> 5)) % vocab_size for i in range(n)])


def blas_in_use():
    """Which BLAS library the process has loaded: Debian's PyTorch reports BLAS_INFO=generic."""
    with open('/proc/self/maps') as maps:
        libs = {line.split()[-1] for line in maps if 'blas' in line}
    if any('openblas' in lib for lib in libs):
        return 'openblas'
    if any('/blas/libblas' in lib for lib in libs):
        return 'reference'
    return ', '.join(sorted(libs)) or 'unknown'


def system_fields():
    """What every result says about the system it ran on."""
    return {
        'system': 'torch',
        'torch': torch.__version__,
        'blas': blas_in_use(),
        'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu',
        'threads': torch.get_num_threads(),
    }


def adamw(params):
    """AdamW as train/adamw.ts: weight decay on matrices only."""
    o = optimizer_settings
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': o['weightDecay']}, {'params': no_decay, 'weight_decay': 0.0}],
                             lr=o['learningRate'], betas=(o['beta1'], o['beta2']), eps=o['eps'])


def optimizer_step(loss, params, optimizer):
    """backward, global grad-norm clip, AdamW: our trainer reads loss and norm back and skips the update when either is not finite."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, optimizer_settings['gradClip'])
    if math.isfinite(loss.item()) and math.isfinite(norm.item()):
        optimizer.step()
    return loss.item()


def time_in_turn(steps):
    """bench/measure.mjs's timeInTurn: warm up for `warmup` rounds and `warmupSec` seconds (at most 100 rounds),
    then time `steps` rounds, each running every step once; each step's median seconds, and the losses."""
    times = {name: [] for name in steps}
    losses = {name: [] for name in steps}
    warm, started = 0, time.perf_counter()
    while warm < config['warmup'] or (warm < 100 and time.perf_counter() - started < config.get('warmupSec', 0)):
        for name, step in steps.items():
            losses[name].append(step())
        warm += 1
    for _ in range(config['steps']):
        for name, step in steps.items():
            t0 = time.perf_counter()
            losses[name].append(step())
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}, warm, losses


def main():
    c = config
    torch.manual_seed(0)
    model = GPT(c['vocabSize'], c['blockSize'], c['nLayer'], c['nHead'], c['nEmbd']).to(device)
    params = list(model.parameters())  # the tied weight appears once
    optimizer = adamw(params)
    tokens = token_stream(c['vocabSize']).to(device)
    B, T = c['batchSize'], c['blockSize']

    def train_step():
        starts = torch.randint(0, len(tokens) - T, (B,))
        x = torch.stack([tokens[s:s + T] for s in starts])
        y = torch.stack([tokens[s + 1:s + T + 1] for s in starts])
        return optimizer_step(F.cross_entropy(model(x).view(-1, c['vocabSize']), y.view(-1)), params, optimizer)

    step_secs, warm, losses = time_in_turn({'train': train_step})
    step_sec, losses = step_secs['train'], losses['train']

    @torch.no_grad()
    def generate(n):
        """As generate.ts: a full forward over the cropped context per new token, no KV cache."""
        ids = [0]
        g = torch.Generator().manual_seed(0)
        for _ in range(n):
            context = torch.tensor([ids[-T:]], device=device)
            probs = torch.softmax(model(context)[0, -1], dim=-1)
            ids.append(int(torch.multinomial(probs.cpu(), 1, generator=g)))
        return ids

    generate(generate_tokens)  # warm-up: every context length once
    t0 = time.perf_counter()
    generate(generate_tokens)
    generate_sec = time.perf_counter() - t0

    print(json.dumps({
        **system_fields(),
        'params': sum(p.numel() for p in params),
        'stepMs': round(step_sec * 1000, 2),
        'warmupSteps': warm,
        'trainTokensPerSec': round(B * T / step_sec, 1),
        'generateTokensPerSec': round(generate_tokens / generate_sec, 1),
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'lossFirst': round(losses[0], 4),
        'lossLast': round(losses[-1], 4),
    }))


def finetune_main():
    """One fine-tuning step of the classifier, in full, with the body frozen and with LoRA, as bench/finetune.mjs."""
    c, f, lora = config, config['finetune'], config.get('lora')
    B, T, vocab = c['batchSize'], f['textTokens'], c['vocabSize']
    tokens = token_stream(vocab, 256 * T).view(256, T).to(device)  # the texts of bench/finetune.mjs
    labels = (torch.arange(256) % f['numLabels']).to(device)
    steps, runs = {}, {}
    for mode in ('full', 'frozen', 'lora') if lora else ('full', 'frozen'):
        torch.manual_seed(0)
        model = Classifier(GPT(vocab, c['blockSize'], c['nLayer'], c['nHead'], c['nEmbd']), c['nEmbd'], f['numLabels']).to(device)
        if mode == 'frozen':
            model.gpt.requires_grad_(False)  # no gradient, no backward, no optimizer state for the body
        if mode == 'lora':
            add_lora(model.gpt, lora).to(device)  # the body frozen but for A and B; the head trains (PEFT's modules_to_save)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = adamw(params)

        def train_step(model=model, params=params, optimizer=optimizer):
            batch = torch.randint(0, len(tokens), (B,))
            return optimizer_step(F.cross_entropy(model(tokens[batch]), labels[batch]), params, optimizer)
        steps[mode] = train_step
        runs[mode] = (model, params, optimizer)
    step_secs, warm, losses = time_in_turn(steps)
    modes = {}
    for mode, (model, params, optimizer) in runs.items():
        # m and v (exp_avg, exp_avg_sq) of every parameter that has state, as optimizerBytes of ours
        moments = [t for state in optimizer.state.values() for k, t in state.items() if k in ('exp_avg', 'exp_avg_sq')]
        modes[mode] = {
            'stepMs': round(step_secs[mode] * 1000, 2),
            'trainableParams': sum(p.numel() for p in params),
            'optimizerParams': len(optimizer.state),
            'optimizerBytes': sum(t.numel() * t.element_size() for t in moments),
            'lossFirst': round(losses[mode][0], 4),
            'lossLast': round(losses[mode][-1], 4),
        }
    print(json.dumps({
        **system_fields(),
        'params': sum(p.numel() for p in runs['full'][0].parameters()),
        **modes,
        'frozenOverFull': round(modes['frozen']['stepMs'] / modes['full']['stepMs'], 3),
        **({'loraOverFull': round(modes['lora']['stepMs'] / modes['full']['stepMs'], 3)} if lora else {}),
        'warmupSteps': warm,
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def stream_rows(vocab_size, n, length, offset=0):
    """bench/configs.mjs's streamRows: rows offset .. offset + n - 1 of `length` tokens of the synthetic stream, (n, length)."""
    return token_stream(vocab_size, (offset + n) * length)[offset * length:].view(n, length).to(device)


def answer_logps(logits, ids, start):
    """log p of every token from position `start` on, read at the position before it: logits (B, L, V) -> (B, L - start).
    Every row here has the same prompt and answer lengths, so no mask is needed."""
    logp = torch.log_softmax(logits[:, start - 1:-1], dim=-1)
    return logp.gather(-1, ids[:, start:, None]).squeeze(-1)


def optimizer_bytes(optimizer):
    """m and v (exp_avg, exp_avg_sq) of every parameter that has state, as optimizerBytes of ours."""
    return sum(t.numel() * t.element_size() for state in optimizer.state.values() for k, t in state.items() if k in ('exp_avg', 'exp_avg_sq'))


def align_main():
    """align/dpo.ts and align/ppoObjective.ts by hand, as bench/align.mjs times them: one DPO step, the
    reference's forward alone, a batched generation with the KV cache alone, and one PPO iteration, taking turns."""
    c, d, p = config, config['align']['dpo'], config['align']['ppo']
    V, C = c['vocabSize'], c['nEmbd']

    def new_gpt():
        return GPT(V, c['blockSize'], c['nLayer'], c['nHead'], C).to(device)

    def frozen_copy(model):  # createReferenceModel
        return copy.deepcopy(model).requires_grad_(False)

    # DPO: rows 0..B-1 prompt + chosen, B..2B-1 prompt + rejected (pairs.ts); loss -log sigmoid(beta (margin))
    torch.manual_seed(0)
    policy = new_gpt()
    reference = frozen_copy(policy)
    dpo_params = list(policy.parameters())
    dpo_optimizer = adamw(dpo_params)
    B, P = d['pairs'], d['promptTokens']
    prompts = stream_rows(V, B, P)
    answers = stream_rows(V, 2 * B, d['answerTokens'], -(-B * P // d['answerTokens']))
    ids = torch.cat([torch.cat([prompts, answers[0::2]], 1), torch.cat([prompts, answers[1::2]], 1)])  # (2B, L)

    def reference_logps():
        with torch.no_grad():
            return answer_logps(reference(ids), ids, P).sum(1)

    def dpo_step():
        ref = reference_logps()
        logps = answer_logps(policy(ids), ids, P).sum(1)
        margins = d['beta'] * ((logps[:B] - ref[:B]) - (logps[B:] - ref[B:]))
        return optimizer_step(F.softplus(-margins).mean(), dpo_params, dpo_optimizer)

    # PPO: the policy with a value head (policyWithValue.ts), a frozen reference, the reward: how often rewardToken is in an answer
    gpt = new_gpt()
    ppo_reference = frozen_copy(gpt)
    v_head = nn.Linear(C, 1).to(device)
    nn.init.normal_(v_head.weight, std=0.02)
    nn.init.zeros_(v_head.bias)
    ppo_params = list(gpt.parameters()) + list(v_head.parameters())
    ppo_optimizer = adamw(ppo_params)
    N, Pp, R = p['batchSize'], p['promptTokens'], p['responseLength']
    ppo_prompts = stream_rows(V, N, Pp)
    sampler = torch.Generator().manual_seed(0)

    @torch.no_grad()
    def generate():
        """R new tokens for every prompt at once: the prompts in one forward, then one token per forward with the KV cache."""
        x, cache, out = ppo_prompts, None, []
        for _ in range(R):
            logits, cache = gpt.forward_cached(x, cache)
            probs = torch.softmax(logits[:, -1] / p['temperature'], dim=-1)
            x = torch.multinomial(probs.cpu(), 1, generator=sampler).to(device)
            out.append(x)
        return torch.cat(out, 1)  # (N, R)

    def logps_and_values(rows):
        h = gpt.hidden(rows)
        return answer_logps(h @ gpt.wte.weight.T, rows, Pp), v_head(h).squeeze(-1)[:, Pp - 1:-1]  # the value where each token was chosen

    @torch.no_grad()
    def rollout():
        """ppo.ts: scores, per-token rewards (-klCoef k1 at every token, the score at the last), GAE, whitened advantages."""
        rows = torch.cat([ppo_prompts, generate()], 1)
        scores = (rows[:, Pp:] == p['rewardToken']).sum(1).float()
        logp, values = logps_and_values(rows)
        rewards = -p['klCoef'] * (logp - answer_logps(ppo_reference(rows), rows, Pp))
        rewards[:, -1] += scores
        advantages = torch.zeros_like(rewards)
        last = torch.zeros(N, device=device)
        for t in reversed(range(R)):
            next_value = values[:, t + 1] if t + 1 < R else torch.zeros(N, device=device)
            last = rewards[:, t] + p['gamma'] * next_value - values[:, t] + p['gamma'] * p['lam'] * last
            advantages[:, t] = last
        returns = advantages + values
        advantages = (advantages - advantages.mean()) * torch.rsqrt(advantages.var() + 1e-8)  # masked_whiten (Bessel's correction)
        return rows, logp, values, advantages, returns

    times = {'rollout': [], 'update': []}

    def ppo_iteration():
        t0 = time.perf_counter()
        rows, old_logp, old_values, advantages, returns = rollout()
        t1 = time.perf_counter()
        size = N // p['numMiniBatches']
        for _ in range(p['numPpoEpochs']):
            order = torch.randperm(N)
            for m in range(p['numMiniBatches']):
                i = order[m * size:(m + 1) * size]
                logp, values = logps_and_values(rows[i])
                ratio = torch.exp(logp - old_logp[i])
                pg = torch.maximum(-advantages[i] * ratio, -advantages[i] * ratio.clamp(1 - p['cliprange'], 1 + p['cliprange'])).mean()
                clipped = old_values[i] + (values - old_values[i]).clamp(-p['cliprangeValue'], p['cliprangeValue'])
                vf = 0.5 * torch.maximum((values - returns[i]) ** 2, (clipped - returns[i]) ** 2).mean()
                loss = optimizer_step(pg + p['vfCoef'] * vf, ppo_params, ppo_optimizer)
        times['rollout'].append(t1 - t0)
        times['update'].append(time.perf_counter() - t1)
        return loss

    step_secs, warm, _ = time_in_turn({'dpo': dpo_step, 'reference': lambda: reference_logps().sum().item(),
                                       'generate': lambda: generate().sum().item(), 'ppo': ppo_iteration})
    def ms(sec):
        return round(sec * 1000, 2)

    def last(secs):  # the timed rounds' median
        return statistics.median(secs[-c['steps']:])
    print(json.dumps({
        **system_fields(),
        'params': sum(t.numel() for t in dpo_params),
        'dpo': {'stepMs': ms(step_secs['dpo']), 'referenceMs': ms(step_secs['reference']), 'rows': 2 * B, 'tokensPerRow': ids.shape[1],
                'trainableParams': sum(t.numel() for t in dpo_params), 'referenceParams': sum(t.numel() for t in reference.parameters()),
                'optimizerParams': len(dpo_optimizer.state), 'optimizerBytes': optimizer_bytes(dpo_optimizer)},
        'ppo': {'iterationMs': ms(step_secs['ppo']), 'rolloutMs': ms(last(times['rollout'])), 'updateMs': ms(last(times['update'])),
                'generateMs': ms(step_secs['generate']), 'updates': p['numPpoEpochs'] * p['numMiniBatches'], 'rolloutTokens': N * R,
                'trainableParams': sum(t.numel() for t in ppo_params), 'referenceParams': sum(t.numel() for t in ppo_reference.parameters()),
                'optimizerParams': len(ppo_optimizer.state), 'optimizerBytes': optimizer_bytes(ppo_optimizer)},
        'warmupRounds': warm,
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if 'align' in config:
    align_main()
elif 'finetune' in config:
    finetune_main()
else:
    main()
