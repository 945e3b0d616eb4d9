#!/usr/bin/env bash
# `npm start`: set everything up, then open JupyterLab on the course notebooks.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
notebook=01-your-first-gpt.ipynb
token=$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
ip=${LLM_LAB_IP:-127.0.0.1}
port=$(node -e '
const net = require("net");
const tryPort = p => { const s = net.createServer(); s.once("error", () => tryPort(p + 1)); s.listen(p, process.argv[2], () => { s.close(() => console.log(p)); }); };
tryPort(Number(process.argv[1]));' "${LLM_LAB_PORT:-8888}" "$ip")
host=$ip
[ "$ip" = 0.0.0.0 ] && host=$(hostname)

if command -v jupyter >/dev/null && jupyter lab --version 2>/dev/null | grep -q '^4'; then
  # Your own JupyterLab 4: it finds the tslab kernel and our prebuilt extension through JUPYTER_PATH.
  export JUPYTER_PATH=$repo/.local/jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}
  echo
  echo "  LLM Lab (your JupyterLab $(jupyter lab --version)):  http://$host:$port/lab/tree/$notebook?token=$token"
  echo
  exec jupyter lab --no-browser --ServerApp.ip="$ip" --ServerApp.port="$port" --ServerApp.token="$token" --ServerApp.root_dir="$repo/notebooks"
fi

echo
echo "  LLM Lab is starting. Open:  http://$host:$port/lab/tree/$notebook?token=$token"
echo "  (Ctrl-C stops it)"
echo
exec bash scripts/lab-server.sh notebooks "$port" "$token" "$ip"
