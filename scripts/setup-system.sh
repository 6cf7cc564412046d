#!/usr/bin/env bash
# System packages the test-suite needs besides WebGPU (see setup-webgpu.sh). Idempotent.
set -euo pipefail
need=(
  # apps/docs: the browser test drives Debian's Chromium through playwright-core.
  chromium
  fonts-dejavu-core
)
# Add Debian package names here as tests come to need them.
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
