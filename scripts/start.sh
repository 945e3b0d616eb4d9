#!/usr/bin/env bash
# `npm start`: set everything up, then open JupyterLab on the course notebooks.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
ip=${LLM_LAB_IP:-127.0.0.1}
# A bad LLM_LAB_PORT or LLM_LAB_IP fails now, naming the value, not after the setup
# (on a fresh machine python3 arrives with the setup; lab-server.sh checks again).
if command -v python3 >/dev/null; then python3 scripts/lab-host/address.py check "$ip" "${LLM_LAB_PORT:-8888}"; fi
bash scripts/setup.sh
notebook=01-your-first-gpt.ipynb
# The token travels in the environment (JUPYTER_TOKEN, read by jupyter_server), never in argv,
# which `ps` shows to every user of the machine.
JUPYTER_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
export JUPYTER_TOKEN
# The first free port from LLM_LAB_PORT on (it says so when it moves).
port=$(python3 scripts/lab-host/address.py next "$ip" "${LLM_LAB_PORT:-8888}")

if command -v jupyter >/dev/null && jupyter lab --version 2>/dev/null | grep -q '^4'; then
  # Your own JupyterLab 4: it finds the tslab kernel and our prebuilt extension through JUPYTER_PATH.
  export JUPYTER_PATH=$repo/.local/jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}
  echo
  echo "  LLM Lab (your JupyterLab $(jupyter lab --version)):  $(python3 scripts/lab-host/address.py url "$ip" "$port" "/lab/tree/$notebook")"
  echo
  python3 scripts/lab-host/address.py warn "$ip"
  as_root=()
  [ "$(id -u)" = 0 ] && as_root=(--allow-root)   # accepted, with the warning above
  exec jupyter lab --no-browser --ServerApp.ip="$ip" --ServerApp.port="$port" --ServerApp.root_dir="$repo/notebooks" "${as_root[@]}"
fi

exec bash scripts/lab-server.sh notebooks "$port" "$ip" "$notebook"
