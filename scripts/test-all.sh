#!/usr/bin/env bash
# The project's one test command (README: `npm test`).
# Runs every project's lint and unit tests through Nx, then the end-to-end tests,
# and ends with one line that totals every test case: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON="${NX_DAEMON:-false}" NEXT_TELEMETRY_DISABLED=1

reports=reports/junit
rm -rf "$reports" && mkdir -p "$reports"
status=0
step() {
  echo
  echo "==> $*"
  "$@" || { echo "!! failed: $*"; status=1; }
}

step npx nx run-many -t lint test --output-style=stream
# Browser journeys against processes on loopback and against the two containers.
step npx nx run e2e:e2e --output-style=stream
# A real kind cluster (the offline node image on machines without a registry): encryption at rest, Traefik.
step npx nx run cluster:e2e --output-style=stream
# The main job on a real cluster: nx run todo:deploy-local and everything around it (docs/deploy.md).
step npx nx run e2e:cluster --output-style=stream
# The inner loop on its own cluster: nx run todo:dev-local, logs-local, port-forward-local (docs/dev-loop.md).
step npx nx run e2e:dev-loop --output-style=stream

echo
node scripts/test-summary.mjs "$reports" || status=1
exit $status
