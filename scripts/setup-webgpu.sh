#!/usr/bin/env bash
# Makes sure this machine can open a WebGPU adapter through Dawn (the `webgpu` npm package).
# Idempotent: when a usable adapter (or a recent-enough Vulkan driver) is already present it
# does nothing. On Debian/Ubuntu without one it installs the Vulkan loader and Mesa's
# lavapipe CPU driver; Debian 12's own Mesa (22.x) is too old for Dawn, so there the
# drivers come from bookworm-backports. Elsewhere it prints what to install.
set -euo pipefail

log() { printf '[setup-webgpu] %s\n' "$*"; }
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Dawn needs Vulkan 1.1+ features that lavapipe gained around Mesa 23; we ask for >= 24
# because that is the oldest we have run the test-suite on.
MIN_MESA_MAJOR=24

probe_node() {
  # Only meaningful once `pnpm install` has fetched the webgpu package.
  [ -d "$root_dir/packages/tensor/node_modules/webgpu" ] || return 1
  (cd "$root_dir/packages/tensor" && timeout 60 node --input-type=module -e '
    import { create, globals } from "webgpu";
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const a = await gpu.requestAdapter();
    if (!a) process.exit(1);
    process.exit(0);
  ') >/dev/null 2>&1
}

have_vulkan_driver() {
  # Capture first: `ldconfig -p | grep -q` can die of SIGPIPE under pipefail.
  local libs icds
  libs=$(ldconfig -p 2>/dev/null || true)
  [[ "$libs" == *libvulkan.so.1* ]] || return 1
  icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null || true)
  [ -n "$icds" ] || return 1
  # A proprietary vendor driver is fine; Mesa's drivers (lavapipe among them) must be recent.
  if grep -qiE 'nvidia|amdvlk|amd_icd' <<<"$icds"; then return 0; fi
  if command -v dpkg-query >/dev/null; then
    local v
    v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
    v=${v#*:}
    [ -n "$v" ] && [ "${v%%.*}" -ge "$MIN_MESA_MAJOR" ] && return 0
    return 1
  fi
  return 0
}

if probe_node; then
  log "a WebGPU adapter is available; nothing to do"
  exit 0
fi
if have_vulkan_driver; then
  log "a Vulkan driver is installed; nothing to do"
  exit 0
fi

if [ ! -r /etc/os-release ]; then
  log "unknown OS: install a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) support"
  exit 0
fi
. /etc/os-release
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    log "need root to install packages; run as root or install sudo"; exit 1; fi
fi

case "${ID:-}:${VERSION_CODENAME:-}" in
  debian:bookworm)
    list=/etc/apt/sources.list.d/bookworm-backports.list
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding the bookworm-backports suite ($list)"
      echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$list" >/dev/null
    fi
    $SUDO apt-get update -qq
    log "installing libvulkan1 and mesa-vulkan-drivers from bookworm-backports"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports \
      libvulkan1 mesa-vulkan-drivers >/dev/null
    ;;
  debian:*|ubuntu:*)
    $SUDO apt-get update -qq
    log "installing libvulkan1 and mesa-vulkan-drivers"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null
    ;;
  *)
    log "no automatic install for ${PRETTY_NAME:-this OS}."
    log "Install the Vulkan loader and a Vulkan driver (Mesa's lavapipe >= ${MIN_MESA_MAJOR} works without a GPU)."
    exit 0
    ;;
esac

if have_vulkan_driver; then
  log "done: $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
else
  log "installed packages, but no recent Vulkan driver was found; WebGPU tests will fail"
  exit 1
fi
