#!/usr/bin/env bash
# The README's test command: sets up a fresh machine, then runs every check CI
# runs: lint, types, the core's dependency rule, package hygiene, and the
# test suites (which start real servers and a real Prometheus on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --with-prometheus

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "lint (biome)"
pnpm run lint
step "types"
pnpm run typecheck
step "dependency rule: the core imports no adapter library"
pnpm run check:deps
step "package hygiene (publint, are-the-types-wrong)"
pnpm run check:packages
step "tests (vitest)"
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || status=$?
# One closing line in the plain 'N passed, N failed' form CI reads.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".test-results/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit $status
