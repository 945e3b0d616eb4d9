#!/usr/bin/env bash
# `npm test`: the same setup as `npm start` plus what the tests need, then every suite.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh --test
# Without a GPU the WebGPU suite runs on the software Vulkan adapter fetched by setup.
if ! nvidia-smi -L >/dev/null 2>&1 && [ -z "${LLM_LAB_NO_LAVAPIPE:-}" ]; then
  # shellcheck disable=SC1091
  source .local/mesa25/env.sh
fi
export JUPYTER_PATH=$repo/.local/jupyter/share/jupyter
# Besides vitest's own report, a JSON report whose counts end the run as one plain line
# ("tests: N passed, N failed"), a summary that any CI log reader understands.
results=.local/test-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
node scripts/test-summary.mjs "$results"
exit "$status"
