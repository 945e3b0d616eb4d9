#!/usr/bin/env bash
# `npm run hub`: the course for a class, on one machine, through JupyterHub (docs/jupyterhub.md).
#
#   npm run hub                          start the hub in the foreground (Ctrl-C stops it, and
#                                        every learner's server and kernel with it)
#   npm run hub -- --add-learners N      make N learner accounts, print their passwords
#   npm run hub -- --remove-learners     delete every learner account and its home
#
# As root. Settings: LLM_LAB_HUB_STATE (the hub's root-only folder, /var/lib/llm-lab-hub),
# LLM_LAB_HUB_PORT (8000; the hub itself uses the next two), LLM_LAB_HUB_IP (127.0.0.1),
# LLM_LAB_HUB_PREFIX (account names: learner1, learner2, ...), LLM_LAB_HUB_CPUS (cores per learner,
# 1), LLM_LAB_HUB_MEMORY (memory per learner, 3G), LLM_LAB_CULL_SERVER_AFTER (seconds before an idle
# server stops, 7200), LLM_LAB_CULL_KERNEL_AFTER (an idle kernel, 3600), LLM_LAB_PROFILE.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${LLM_LAB_HUB_STATE:-/var/lib/llm-lab-hub}
prefix=${LLM_LAB_HUB_PREFIX:-learner}
say() { printf '[llm-lab hub] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "npm run hub runs as root: it makes learner accounts and starts servers as those users." >&2
  exit 1
fi
install -d -m 700 "$state"
touch "$state/learners" && chmod 600 "$state/learners"

# New accounts <prefix>1, <prefix>2, ... (the next free numbers), each with a random password,
# printed once, and a home only its owner can enter.
add_learners() {
  local n=$1 i=1 made=0 name password
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "--add-learners takes a number of learners, not '$n'" >&2; exit 2; }
  while [ $made -lt "$n" ]; do
    name=$prefix$i
    i=$((i + 1))
    id "$name" >/dev/null 2>&1 && continue
    useradd --create-home -K HOME_MODE=0700 --shell /bin/bash "$name"
    password=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(9))')
    echo "$name:$password" | chpasswd
    echo "$name" >> "$state/learners"
    echo "$name $password"
    made=$((made + 1))
  done
}

remove_learners() {
  local name
  while read -r name; do
    [ -n "$name" ] || continue
    if id "$name" >/dev/null 2>&1; then userdel --remove "$name" 2>/dev/null || true; fi
    say "removed $name"
  done < "$state/learners"
  : > "$state/learners"
}

# The learners' processes still running (none after a clean stop), ended if any are left.
end_learner_processes() {
  local name pids
  while read -r name; do
    [ -n "$name" ] && id "$name" >/dev/null 2>&1 || continue
    pids=$(pgrep -u "$name" || true)
    if [ -n "$pids" ]; then
      say "$name still had processes after the hub stopped ($(echo $pids)): ending them"
      kill -TERM $pids 2>/dev/null || true
      sleep 2
      kill -KILL $pids 2>/dev/null || true
    fi
  done < "$state/learners"
}

case "${1:-}" in
  --add-learners) add_learners "${2:-}"; exit 0 ;;
  --remove-learners) remove_learners; exit 0 ;;
  "") ;;
  *) echo "usage: npm run hub [-- --add-learners N | --remove-learners]" >&2; exit 2 ;;
esac

bash "$repo/scripts/setup.sh" --hub
if [ ! -s "$state/learners" ]; then
  say "no learners yet: make accounts with  npm run hub -- --add-learners N"
fi
# Learners' servers run as the learners and read the checkout: the lab, the kernel library and its
# npm packages, the kernelspec. Readable by all, writable by root only (every parent folder too).
chmod -R a+rX "$repo/scripts" "$repo/notebooks" "$repo/node_modules" "$repo/kernel-lib" "$repo/.local/jupyter"
chmod a+rX "$repo" "$repo/.local"
dir=$repo
while [ "$dir" != / ]; do dir=$(dirname "$dir"); chmod a+x "$dir"; done

say "JupyterHub for LLM Lab: http://${LLM_LAB_HUB_IP:-127.0.0.1}:${LLM_LAB_HUB_PORT:-8000}/  (Ctrl-C stops it)"
cd "$state"
LLM_LAB_REPO=$repo /usr/bin/jupyterhub -f "$repo/scripts/hub/jupyterhub_config.py" &
hub=$!
# Ctrl-C or a TERM stops the hub with SIGTERM: it stops every learner's server, and their kernels.
trap 'kill -TERM $hub 2>/dev/null || true' INT TERM
status=0
wait $hub || status=$?
# (wait returns early when a signal arrives: wait again for the hub's own end)
while kill -0 $hub 2>/dev/null; do wait $hub || status=$?; done
end_learner_processes
for d in /sys/fs/cgroup/llm-lab /sys/fs/cgroup/cpu/llm-lab /sys/fs/cgroup/memory/llm-lab; do
  [ -d "$d" ] && find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
done
say "stopped"
exit "$status"
