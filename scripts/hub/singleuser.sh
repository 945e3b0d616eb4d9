#!/usr/bin/env bash
# One learner's Jupyter server, started by the hub (scripts/hub/jupyterhub_config.py) AS THE
# LEARNER, in their home: Debian's jupyterhub-singleuser (the hub's login) around jupyter_server,
# with the project's JupyterLab 4 (scripts/lab-host/main.py) as a server extension.
set -euo pipefail
repo=${LLM_LAB_REPO:?the hub sets LLM_LAB_REPO}
umask 077                                   # what the learner creates, only the learner reads
course=$HOME/llm-lab
mkdir -p "$course" "$HOME/.llm-lab/settings" "$HOME/.llm-lab/workspaces"
# The learner's own copy of the course: notebooks not there yet are copied, edited ones are kept.
copied=()
for notebook in "$repo"/notebooks/*.ipynb; do
  if [ ! -e "$course/${notebook##*/}" ]; then
    cp "$notebook" "$course/"
    copied+=("$course/${notebook##*/}")
  fi
done
# The committed outputs show their pictures (SVG, HTML) only in trusted notebooks: sign the new
# copies with the learner's own key, as `jupyter trust` would.
[ ${#copied[@]} -eq 0 ] || /usr/bin/python3 -m nbformat.sign --log-level=WARN "${copied[@]}"
# The course order and descriptions for the course panel: not the learner's work, always the repo's.
cp "$repo/notebooks/course.json" "$course/course.json"
# tslab resolves `import ... from '@llm-lab/kernel'` from the notebook's folder upwards.
[ -e "$HOME/node_modules" ] || ln -s "$repo/node_modules" "$HOME/node_modules"

export JUPYTER_PATH=$repo/.local/jupyter/share/jupyter    # the tslab kernelspec and our extension
export PYTHONPATH=$repo/scripts/lab-host                  # main.py, the lab, importable as `main`
export LLM_LAB_SETTINGS_DIR=$HOME/.llm-lab/settings       # the learner's JupyterLab settings
export LLM_LAB_WORKSPACES_DIR=$HOME/.llm-lab/workspaces
export LLM_LAB_PRISTINE_DIR=$repo/notebooks                # what the course panel's Reset restores
# JupyterHub 3.0 starts JupyterLab only from a pip-installed jupyterlab; ours is a server extension
# of a plain jupyter_server, which the hub's login is mixed into.
export JUPYTERHUB_SINGLEUSER_APP=jupyter_server.serverapp.ServerApp
exec /usr/bin/jupyterhub-singleuser --config="$repo/scripts/hub/jupyter_server_config.py" "$@"
