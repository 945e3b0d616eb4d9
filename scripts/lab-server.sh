#!/usr/bin/env bash
# Run the LLM Lab JupyterLab host (scripts/lab-host) on a folder of notebooks, in the foreground.
# usage: lab-server.sh ROOT_DIR PORT TOKEN [IP]
# Everything Jupyter reads or writes lives in .local/: the tslab kernelspec and our prebuilt
# extension (.local/jupyter), runtime files, config, settings and workspaces.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
notebooks=$(cd "$1" && pwd)
port=$2
token=$3
ip=${4:-127.0.0.1}
export JUPYTER_PATH=$repo/.local/jupyter/share/jupyter
export JUPYTER_RUNTIME_DIR=$repo/.local/runtime
export JUPYTER_CONFIG_DIR=$repo/.local/config
export JUPYTER_DATA_DIR=$repo/.local/jupyter/share/jupyter
export LLM_LAB_SETTINGS_DIR=${LLM_LAB_SETTINGS_DIR:-$repo/.local/lab/settings}
export LLM_LAB_WORKSPACES_DIR=${LLM_LAB_WORKSPACES_DIR:-$repo/.local/lab/workspaces}
export JUPYTER_NO_CONFIG=1
mkdir -p "$JUPYTER_RUNTIME_DIR" "$JUPYTER_CONFIG_DIR" "$LLM_LAB_SETTINGS_DIR" "$LLM_LAB_WORKSPACES_DIR"
cd "$repo/scripts/lab-host"
args=(--no-browser --ServerApp.ip="$ip" --ServerApp.port="$port" --ServerApp.port_retries=0
  --ServerApp.token="$token" --ServerApp.password= --ServerApp.root_dir="$notebooks"
  --KernelSpecManager.ensure_native_kernel=False --MappingKernelManager.default_kernel_name=tslab)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec /usr/bin/python3 main.py "${args[@]}"
