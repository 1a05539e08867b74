#!/usr/bin/env bash
# The README's demo command: sets up a fresh machine (pnpm, packages, build),
# then runs the demo (examples/demo). Pass --seconds N to stop on its own;
# --help lists the rest (--rate, --fault billing:latency=800ms, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec node examples/demo/dist/main.js "$@"
