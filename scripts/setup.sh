#!/usr/bin/env bash
# Installs what Periscope's build, demo and tests need on a fresh machine with
# Node 20+ and npm: pnpm (pinned), the workspace's packages, and, for the
# tests, Prometheus/promtool and docker-compose (validation only) from Debian.
# Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
want_system=${1:-}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Periscope needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION (npm i -g; corepack cannot verify signatures here)"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

if [ "$want_system" = "--with-prometheus" ]; then
  # prometheus + promtool for the integration tests; docker-compose 1.29 only
  # validates the compose files (tests/stack): no Docker engine is needed.
  missing=""
  command -v prometheus >/dev/null 2>&1 || missing="$missing prometheus"
  command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
  if [ -n "$missing" ]; then
    log "installing from Debian:$missing"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    # Debian's package starts a system service on some hosts; the tests start their own.
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

log "installing workspace packages"
pnpm install --frozen-lockfile --reporter=silent
log "building packages"
pnpm run build >/dev/null
