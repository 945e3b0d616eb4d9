#!/usr/bin/env bash
# Bootstrap what LLM Lab needs, idempotently: system packages (Debian/Ubuntu as root), npm
# packages, the builds, the tslab kernel and our prebuilt JupyterLab extension registered in a
# project-local Jupyter folder (.local/jupyter). `setup.sh --test` adds what the tests need,
# `setup.sh --hub` what JupyterHub needs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1
# bold on a terminal; plain in a log (or with NO_COLOR)
say() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m[llm-lab]\033[0m %s\n' "$*"; else printf '[llm-lab] %s\n' "$*"; fi; }

# --- Node
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "LLM Lab needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org or your package manager." >&2
  exit 1
fi

# --- System packages: Jupyter's server side (Debian's), and Chromium + Vulkan for the tests
packages=(python3-jupyter-server python3-jupyterlab-server python3-nbclient python3-nbformat)
[ $for_tests = 1 ] && packages+=(chromium libvulkan1 mesa-vulkan-drivers python3-nltk)
# Debian's nbconvert, to check that saved views read in the HTML it makes
[ $for_tests = 1 ] && packages+=(jupyter-nbconvert)
# --- JupyterHub for a class (`npm run hub`, scripts/hub.sh): `setup.sh --hub`, and for the hub test
if [ "${1:-}" = "--hub" ] || [ $for_tests = 1 ]; then packages+=(jupyterhub node-configurable-http-proxy); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (apt)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  elif [ $for_tests = 0 ] && command -v jupyter >/dev/null && jupyter lab --version 2>/dev/null | grep -q '^4'; then
    say "using your own JupyterLab $(jupyter lab --version)"
  else
    echo "LLM Lab needs these packages: ${missing[*]}" >&2
    echo "On Debian/Ubuntu run as root:  apt-get install ${missing[*]}" >&2
    echo "Elsewhere: pip install jupyterlab nbclient  (JupyterLab >= 4), then npm start again." >&2
    exit 1
  fi
fi

# --- npm packages, only when package-lock.json changed since the last install
mkdir -p .local
stamp=.local/npm-install.stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing npm packages"
  if [ "${CI:-}" = true ] && [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  touch "$stamp"
fi

bash scripts/build.sh

# --- The tslab kernel and our prebuilt extension, in a project-local Jupyter folder.
# (tslab's own `tslab install` needs IPython; a kernelspec is one JSON file. The kernel starts
# through scripts/tslab-kernel.js, which keeps tslab's messages to Jupyter from colliding.)
share=.local/jupyter/share/jupyter
mkdir -p "$share/kernels/tslab" "$share/labextensions/@llm-lab"
cat > "$share/kernels/tslab/kernel.json" <<JSON
{"argv": ["node", "$root/scripts/tslab-kernel.js", "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}
JSON
rm -rf "$share/labextensions/@llm-lab/jupyterlab"
cp -r extension/labext/@llm-lab/jupyterlab "$share/labextensions/@llm-lab/jupyterlab"

if [ $for_tests = 1 ]; then
  bash scripts/lavapipe.sh   # a software WebGPU adapter for the WebGPU tests
fi
say "setup done"
