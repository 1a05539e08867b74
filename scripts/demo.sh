#!/usr/bin/env bash
# The README's demo command: sets up a fresh machine (pnpm, packages, build),
# then runs the demo. Pass --seconds N to stop on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec node examples/demo/src/main.js "$@"
