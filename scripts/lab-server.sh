#!/usr/bin/env bash
# Run the LLM Lab JupyterLab host (scripts/lab-host) on a folder of notebooks, in the foreground.
# usage: JUPYTER_TOKEN=... lab-server.sh ROOT_DIR PORT [IP [NOTEBOOK]]   (it prints the URL to open)
# The token comes through the environment, which only its user can read, never through argv,
# which `ps` shows to every user of the machine. jupyter_server reads JUPYTER_TOKEN itself.
# Everything Jupyter reads or writes lives in .local/: the tslab kernelspec and our prebuilt
# extension (.local/jupyter), runtime files, config, settings and workspaces.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
notebooks=$(cd "$1" && pwd)
port=$2
ip=${3:-127.0.0.1}
open=/lab${4:+/tree/$4}
: "${JUPYTER_TOKEN:?lab-server.sh reads the token from JUPYTER_TOKEN (never from argv, which every user can see)}"
# A bad port or address fails here, naming the value, before Jupyter starts; under the URL to open,
# what running as root or on a network address exposes.
/usr/bin/python3 "$repo/scripts/lab-host/address.py" exact "$ip" "$port"
echo
echo "  LLM Lab is starting. Open:  $(/usr/bin/python3 "$repo/scripts/lab-host/address.py" url "$ip" "$port" "$open")"
echo "  (Ctrl-C stops it)"
echo
/usr/bin/python3 "$repo/scripts/lab-host/address.py" warn "$ip"
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
  --ServerApp.password= --ServerApp.root_dir="$notebooks"
  --KernelSpecManager.ensure_native_kernel=False --MappingKernelManager.default_kernel_name=tslab)
# Accepted, with the warning above.
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec /usr/bin/python3 main.py "${args[@]}"
