#!/usr/bin/env bash
# System packages the test-suite needs besides WebGPU (see setup-webgpu.sh). Idempotent.
# Run by `bash scripts/setup.sh --test` (the README's test command, and so CI).
set -euo pipefail
log() { printf '[setup-system] %s\n' "$*"; }
need=(
  # apps/docs: the browser test drives Debian's Chromium through playwright-core.
  chromium
  fonts-dejavu-core
  # apps/cli fuzz suite: GNU time measures each case's peak memory (prlimit, from util-linux,
  # enforces the ceiling).
  time
)
# Add Debian package names here as tests come to need them.
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  log "not a Debian/Ubuntu system: install ${need[*]} yourself (the docs browser test looks for"
  log "/usr/bin/chromium, or TRM_CHROMIUM; without it, it is skipped outside CI)"
  exit 0
fi
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root to install ${missing[*]}; run as root or install sudo"; exit 1; }
    SUDO=sudo
  fi
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
