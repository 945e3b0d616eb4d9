#!/usr/bin/env bash
# A software Vulkan adapter for WebGPU on machines without a GPU (CI, laptops without drivers),
# so the WebGPU tests run everywhere. Debian 12's own lavapipe (Mesa 22) is rejected by Dawn;
# Mesa 25's lavapipe from bookworm-backports works. The .debs are unpacked into .local/mesa25,
# nothing is installed system-wide. Afterwards `source .local/mesa25/env.sh` selects the adapter.
# Needs: Debian 12 as root (apt-get download), libvulkan1 + mesa-vulkan-drivers (for the libraries lavapipe links).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/.local/mesa25
if [ -f "$dest/env.sh" ] && [ -f "$dest/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" ]; then
  exit 0
fi
if ! grep -q 'bookworm' /etc/os-release 2>/dev/null || [ "$(id -u)" != 0 ] || [ "$(uname -m)" != x86_64 ]; then
  echo "lavapipe.sh: the software WebGPU adapter is fetched on Debian 12 (x86_64) as root only; WebGPU tests need a GPU or that adapter." >&2
  exit 1
fi
missing=$(for p in libvulkan1 mesa-vulkan-drivers; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi
work=$root/.local/apt-backports
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$dest"
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm-backports main\n' "$mirror" > "$work/sources.list"
o=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
apt-get "${o[@]}" -q update
(cd "$work/debs" && apt-get "${o[@]}" -q download mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports)
for f in "$work"/debs/*.deb; do dpkg -x "$f" "$dest"; done
cat > "$dest/lvp_icd.json" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "api_version": "1.4.305", "library_path": "$dest/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" } }
JSON
mkdir -p "$dest/xdg" "$dest/shader-cache"
chmod 700 "$dest/xdg"
cat > "$dest/env.sh" <<ENV
# source me: use the Mesa 25 lavapipe software Vulkan adapter unpacked here (see scripts/lavapipe.sh)
export VK_ICD_FILENAMES=$dest/lvp_icd.json
export VK_DRIVER_FILES=$dest/lvp_icd.json
export LD_LIBRARY_PATH=$dest/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-$dest/xdg}
export MESA_SHADER_CACHE_DIR=$dest/shader-cache
ENV
echo "lavapipe.sh: software Vulkan adapter ready in $dest (source $dest/env.sh)"
