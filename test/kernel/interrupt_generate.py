"""Interrupt a long generation cell in the real tslab kernel, the way the lab's stop button does.

Starts the tslab kernel (from JUPYTER_PATH) in the notebooks folder, runs a cell that would
generate for hours, sends a kernel interrupt 2 s after its first token, then runs a cell that checks the loop
stopped and uses the model. Prints one JSON object with what was observed;
test/kernel/interrupt-generate.test.ts asserts on it. Run with Debian's python3 (jupyter_client).
"""
import json, os, sys, time

from tslab_session import run, tslab_kernel

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "notebooks")

SETUP = """
import * as lab from '@llm-lab/kernel';
await lab.useDevice('wasm');
const tok = lab.CharTokenizer.fromText('the whale and the sea and the ship. ');
const model = new lab.GPT({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
let chosen = 0;
"""
GENERATE = "await lab.generate(model, [1], { maxNewTokens: 100000000, onToken: () => chosen++ === 0 && console.log('generating') });"
AFTER = """
const chosenAtInterrupt = chosen;
await new Promise(resolve => setTimeout(resolve, 500));
const sample = await lab.generateText(model, tok, 'the ', { maxNewTokens: 20, seed: 1 });
console.log(JSON.stringify({ chosenAtInterrupt, chosenLater: chosen, sampleLength: sample.length }));
"""


def main():
    result = {}
    with tslab_kernel(root) as (km, kc):
        status, _, _ = run(kc, SETUP)
        result["setup"] = status
        msg_id = kc.execute(GENERATE)
        # An interrupt before the cell runs (tslab compiles it first) would be lost: wait for the first token.
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                break
        started = time.time()
        time.sleep(2)
        interrupted = time.time()
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        ended = time.time()
        result["generate"] = reply["content"]["status"]
        # what the cell printed: tslab writes the error to stderr
        streams = []
        while True:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                streams.append(msg["content"]["text"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        result["printed"] = "".join(streams)
        result["ranSec"] = round(interrupted - started, 2)
        result["stoppedSec"] = round(ended - interrupted, 2)
        time.sleep(0.5)  # tslab refuses requests for 200 ms after an error
        status, content, outs = run(kc, AFTER)
        result["after"] = status
        result["afterError"] = content.get("evalue", "")
        result["afterOutput"] = "".join(o["content"].get("text", "") for o in outs if o["msg_type"] == "stream")
    print(json.dumps(result))


main()
