"""Interrupt a training cell in the real tslab kernel, the way the lab's stop button does.

Starts the tslab kernel (from JUPYTER_PATH) in the notebooks folder, runs a long training cell,
sends a kernel interrupt once a few live updates have arrived, then runs a cell that uses the
model. Prints one JSON object with what was observed; test/kernel/interrupt.test.ts asserts on it.
Run with Debian's python3 (jupyter_client).
"""
import json, os, sys, time

from tslab_session import run, tslab_kernel

MIME = "application/vnd.llm-lab.training.v2+json"
root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "notebooks")

SETUP = """
import * as lab from '@llm-lab/kernel';
await lab.useDevice('wasm');
const text = 'the whale and the sea and the ship. '.repeat(200);
const tok = lab.CharTokenizer.fromText(text);
const ids = Int32Array.from(tok.encode(text));
const model = new lab.GPT({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
const trainer = new lab.Trainer(lab.causalLM(model, { train: ids, val: ids }, { batchSize: 4, tokenizer: tok }), { steps: 100000, learningRate: 1e-2, evalEvery: 1000, liveIntervalMs: 100, title: 'interrupt me' });
"""
TRAIN = "await trainer.train();"
AFTER = """
const sample = await lab.generateText(model, tok, 'the ', { maxNewTokens: 20, seed: 1 });
console.log(JSON.stringify({ step: trainer.step, status: trainer.status, sampleLength: sample.length }));
"""


def main():
    result = {}
    with tslab_kernel(root) as (km, kc):
        status, _, outs = run(kc, SETUP)
        result["setup"] = status
        updates = []
        interrupted = {"sent": False}

        def watch(msg):
            if msg["msg_type"] in ("display_data", "update_display_data") and MIME in msg["content"]["data"]:
                spec = json.loads(msg["content"]["data"][MIME])
                updates.append({"type": msg["msg_type"], "step": spec["step"], "status": spec["status"]})
                if spec["step"] >= 5 and not interrupted["sent"]:
                    interrupted["sent"] = True
                    km.interrupt_kernel()

        status, _, outs = run(kc, TRAIN, watch, timeout=300)
        result["train"] = status
        # The loop stops at the next step boundary and sends its last update; collect it.
        end = time.time() + 10
        while time.time() < end:
            try:
                watch(kc.get_iopub_msg(timeout=1))
            except Exception:
                pass
            if updates and updates[-1]["status"] != "running":
                break
        result["updates"] = updates[:3] + updates[-3:]
        result["last"] = updates[-1] if updates else None
        time.sleep(0.5)  # tslab refuses requests for 200 ms after an error
        status, _, outs = run(kc, AFTER)
        result["after"] = status
        texts = [o["content"].get("text", "") for o in outs if o["msg_type"] == "stream"]
        result["afterOutput"] = "".join(texts)
    print(json.dumps(result))


main()
