#!/usr/bin/env bash
# The project's one test command (README: `npm test`).
# Runs every project's lint and unit tests through Nx, then the end-to-end tests,
# and ends with one line that totals every test case: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON="${NX_DAEMON:-false}" NEXT_TELEMETRY_DISABLED=1
# Node 26 strips TypeScript natively, and Nx 23 then first tries the local plugin's .ts as an ES module and
# prints a warning into command output that tests parse: keep Nx and Jest on their own transpilers
# (swc-node, ts-node), as on Node 20-24. Only where this Node knows the flag, and only once.
case " ${NODE_OPTIONS:-} " in
  *" --no-experimental-strip-types "*) ;;
  *) node --no-experimental-strip-types -e 0 2>/dev/null \
       && export NODE_OPTIONS="--no-experimental-strip-types${NODE_OPTIONS:+ $NODE_OPTIONS}" ;;
esac

reports=reports/junit
rm -rf "$reports" && mkdir -p "$reports"
status=0
step() {
  echo
  echo "==> $*"
  "$@" || { echo "!! failed: $*"; status=1; }
}

# Two at a time (nx.json keeps 1 for the users' own runs): on 2 CPUs the lint and unit tasks wait on
# processes, Docker and PostgreSQL as much as they compute, and one at a time took over 7 of CI's minutes.
step npx nx run-many -t lint test --parallel=2 --output-style=stream
# Browser journeys against processes on loopback and against the two containers.
step npx nx run e2e:e2e --output-style=stream
# A real kind cluster (the offline node image on machines without a registry): encryption at rest, Traefik.
step npx nx run cluster:e2e --output-style=stream
# The main job on a real cluster: nx run todo:deploy-local and everything around it (docs/deploy.md).
step npx nx run e2e:cluster --output-style=stream
# The inner loop on its own cluster: nx run todo:dev-local, logs-local, port-forward-local (docs/dev-loop.md).
step npx nx run e2e:dev-loop --output-style=stream
# Scaling on its own cluster with a worker: autoscaling, balance, a rolling upgrade and a node drain
# under load with no failed request, status-local's load, loadtest-local (docs/scaling.md).
step npx nx run e2e:scale --output-style=stream

echo
node scripts/test-summary.mjs "$reports" || status=1
exit $status
