#!/usr/bin/env bash
# Sets this checkout up on a machine that has nothing but Node.js >= 20 (and apt, as root or
# with sudo, for the system packages). Idempotent: a second run changes nothing and takes a
# few seconds.
#
#   bash scripts/setup.sh          pnpm (the version pinned in package.json), a WebGPU driver,
#                                  the dependencies (pnpm install --frozen-lockfile)
#   bash scripts/setup.sh --test   the same, plus the system packages only the tests need
#                                  (scripts/setup-system.sh: Chromium for the docs site test)
#
# The README's two commands both begin with it; CI (.ci/run) runs the README's test command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*"; }
die() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}

with_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    -h | --help)
      sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done

# 1. Node.js >= 20: the one thing this script cannot install for you.
command -v node >/dev/null || die "Node.js >= 20 is needed and 'node' is not on PATH (https://nodejs.org, or your distribution's nodejs package)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 is needed; this is $(node --version)"
command -v npm >/dev/null || die "npm (which comes with Node.js) is not on PATH"

# Update notices would suggest versions other than the pinned ones.
export npm_config_update_notifier=false pnpm_config_update_notifier=false

# 2. pnpm at the version pinned by package.json's packageManager field. `corepack enable` is not
# used: its registry signature check fails on some machines.
want_pnpm=$(node -p 'require("./package.json").packageManager.replace(/^pnpm@/, "").split("+")[0]')
have_pnpm=$(pnpm --version 2>/dev/null || true)
if [ "$have_pnpm" != "$want_pnpm" ]; then
  log "installing pnpm $want_pnpm (found: ${have_pnpm:-none}) with npm install -g"
  prefix=$(npm prefix -g)
  if [ -w "$prefix" ] || { [ ! -e "$prefix" ] && [ -w "$(dirname "$prefix")" ]; }; then
    npm install -g --no-audit --no-fund --loglevel=error "pnpm@$want_pnpm" >/dev/null
  elif [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
    sudo npm install -g --no-audit --no-fund --loglevel=error "pnpm@$want_pnpm" >/dev/null
  else
    die "cannot write npm's global prefix $prefix: run as root, install sudo, or set npm_config_prefix to a directory of yours whose bin/ is on PATH"
  fi
  hash -r
  have_pnpm=$(pnpm --version 2>/dev/null || true)
  if [ "$have_pnpm" != "$want_pnpm" ]; then
    die "installed pnpm $want_pnpm into $prefix/bin, but 'pnpm' on PATH is $(command -v pnpm || echo missing)${have_pnpm:+ ($have_pnpm)}: put $prefix/bin first on PATH"
  fi
fi

# 3. A WebGPU driver (a Vulkan driver; lavapipe on machines without a GPU), then the system
# packages of the tests when asked.
bash scripts/setup-webgpu.sh
if [ "$with_tests" = 1 ]; then
  bash scripts/setup-system.sh
fi

# 4. The dependencies, exactly as locked.
pnpm install --frozen-lockfile
log "done: pnpm $want_pnpm, node $(node --version)"
