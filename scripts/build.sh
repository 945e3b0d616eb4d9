#!/usr/bin/env bash
# Build what changed: kernel-lib (tsc), the prebuilt extension (tsc + @jupyterlab/builder),
# the JupyterLab host (webpack). A part is rebuilt when a source file is newer than its stamp.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .local/stamps
# bold on a terminal; plain in a log (or with NO_COLOR)
say() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m[llm-lab]\033[0m %s\n' "$*"; else printf '[llm-lab] %s\n' "$*"; fi; }

# build NAME OUTPUT COMMAND SOURCES...: run COMMAND when OUTPUT is missing or a source is newer.
build() {
  local name=$1 output=$2 command=$3
  shift 3
  local stamp=.local/stamps/$name
  if [ -e "$output" ] && [ -f "$stamp" ] && [ -z "$(find "$@" -newer "$stamp" -type f -not -path '*/node_modules/*' 2>/dev/null | head -1)" ]; then
    return
  fi
  say "building $name"
  local t0=$SECONDS
  bash -c "$command"
  touch "$stamp"
  say "built $name in $((SECONDS - t0)) s"
}

build kernel-lib kernel-lib/dist/index.js "npm run build -w kernel-lib" kernel-lib/src kernel-lib/assembly kernel-lib/package.json kernel-lib/tsconfig.json
build extension extension/labext/@llm-lab/jupyterlab/package.json "npm run build -w extension" \
  extension/src extension/package.json extension/webpack.config.js style scripts/build-labextension.mjs kernel-lib/src/contract kernel-lib/contract
build lab-host scripts/lab-host/build/bundle.js "npm run build -w scripts/lab-host" \
  scripts/lab-host/index.js scripts/lab-host/bootstrap.js scripts/lab-host/webpack.config.js scripts/lab-host/package.json package-lock.json
