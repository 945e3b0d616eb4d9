#!/usr/bin/env bash
# What `npm run bench` compares against, fetched idempotently:
#   - PyTorch for Debian's Python (/usr/bin/python3): the apt package python3-torch.
#   - OpenBLAS, unpacked into .local/openblas and NOT installed: the system's BLAS alternative
#     (usually the slow reference BLAS) stays as it is, and the benchmark runs PyTorch twice,
#     once as is and once with LD_LIBRARY_PATH pointing at the unpacked OpenBLAS.
#   - The peer library @genai-fi/nanogpt, npm-installed into .local/peer.
# Where something cannot be fetched (not root, not Debian), this prints what to install and
# goes on: the benchmark measures what is available and records what is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[bench-setup]\033[0m %s\n' "$*"; }
is_root=0
[ "$(id -u)" = 0 ] && is_root=1
has_apt=0
command -v apt-get >/dev/null && command -v dpkg >/dev/null && has_apt=1

# --- PyTorch
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  say "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') is installed"
elif [ $is_root = 1 ] && [ $has_apt = 1 ]; then
  say "installing python3-torch (apt)"
  # Try the package lists as they are first; refresh them only when the package is not found.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch; } ||
    say "could not install python3-torch: the benchmark will skip PyTorch"
else
  say "PyTorch is missing. On Debian/Ubuntu run as root:  apt-get install python3-torch"
  say "  (elsewhere: a PyTorch for /usr/bin/python3, e.g. pip install torch). Continuing without it."
fi

# --- OpenBLAS, unpacked next to the project
dest=.local/openblas
if ls "$dest"/usr/lib/*/openblas-pthread/libblas.so.3 >/dev/null 2>&1; then
  say "OpenBLAS is unpacked in $dest"
elif [ $has_apt = 1 ]; then
  # apt-get download and dpkg -x need no root, only package lists that know the package.
  mkdir -p "$dest/debs"
  if ! (cd "$dest/debs" && apt-get download -q libopenblas0-pthread); then
    if [ $is_root = 1 ]; then
      apt-get update -q && (cd "$dest/debs" && apt-get download -q libopenblas0-pthread)
    fi
  fi
  for deb in "$dest"/debs/libopenblas0-pthread_*.deb; do
    [ -f "$deb" ] && dpkg -x "$deb" "$dest"
  done
  if ls "$dest"/usr/lib/*/openblas-pthread/libblas.so.3 >/dev/null 2>&1; then
    say "OpenBLAS unpacked in $(ls -d "$dest"/usr/lib/*/openblas-pthread)"
  else
    say "could not fetch libopenblas0-pthread: the benchmark will run PyTorch with the system's BLAS only"
  fi
else
  say "OpenBLAS is missing. On Debian/Ubuntu:  (mkdir -p $dest/debs && cd $dest/debs && apt-get download libopenblas0-pthread) && dpkg -x $dest/debs/libopenblas0-pthread_*.deb $dest"
  say "  Continuing: PyTorch runs with the system's BLAS only."
fi

# The peer library, in its own folder: not a dependency of the project (it would slow every
# install down, and it brings packages that want Node 22).
if [ -f .local/peer/node_modules/@genai-fi/nanogpt/package.json ]; then
  say "@genai-fi/nanogpt is in .local/peer"
else
  say "installing @genai-fi/nanogpt@1.3.0 into .local/peer"
  mkdir -p .local/peer
  [ -f .local/peer/package.json ] || echo '{ "private": true }' > .local/peer/package.json
  npm install --prefix .local/peer --no-audit --no-fund --ignore-scripts @genai-fi/nanogpt@1.3.0 || say "could not install @genai-fi/nanogpt: the benchmark will leave the peer out"
fi

# OpenBLAS links libgfortran; PyTorch's dependencies usually bring it along.
lib=$(ls -d "$dest"/usr/lib/*/openblas-pthread 2>/dev/null | head -1)
if [ -n "$lib" ] && ldd "$lib/libblas.so.3" | grep -q 'not found'; then
  say "OpenBLAS needs libraries that are missing: $(ldd "$lib/libblas.so.3" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"
  say "  On Debian/Ubuntu run as root:  apt-get install libgfortran5"
fi
exit 0
