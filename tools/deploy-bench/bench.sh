#!/usr/bin/env bash
# The deploy benchmark (issue 7, "Speed"): `nx run todo:deploy-local` against naive anchors, on an
# isolated kind cluster in a temporary copy of the workspace, so the checkout is never modified.
#
#   npx nx run deploy-bench:bench        (or: bash tools/deploy-bench/bench.sh)
#
# Cases, each timed wall-clock around the whole command (Nx start-up included):
#   1. cold      no cluster, service images not in the daemon -> deploy-local; each step's share
#   2. no-op     deploy-local again: Nx daemon off, then on (after one warm-up); Helm revision unchanged
#   3. one file  a backend module changed -> deploy-local; only build/load backend and the release ran,
#                the frontend pods keep their UIDs
#   4. anchors   the naive way for the no-op and the one-file case: docker build both images (layer
#                cache allowed, a new tag per run), kind load both, helm upgrade unconditionally (--wait)
#
# "Cold" builds for real: the copy's package.json version gets a per-run suffix, which is part of the
# images' content keys (VERSION build argument), so no content tag already in the daemon matches and
# nothing shared (the images other clusters and checkouts use) is removed. Docker's layer cache is
# kept, as for any developer: a cold run rebuilds the images, not the package downloads.
#
# Offline stand-ins (no container registry here): every deploy runs with --offline, which finds the
# offline kind node image, its Traefik build and the local Postgres stand-in (a values file it writes).
# Overrides it honours: kind/kubectl/helm built from source (the anchors use them too) and the
# checkout's base images (TODO_BASE_IMAGES, see below). The node image is resolved here for the report.
#
# Settings (environment): BENCH_CLUSTER_NAME (todo-bench), BENCH_HTTP_PORT (18380),
# BENCH_HTTPS_PORT (18743), KEEP_BENCH_WORKSPACE=1 keeps the copy and the logs.
# Exits non-zero when a check fails (revision changed by a no-op, more than the backend rebuilt,
# frontend pods replaced) or a deploy fails. The cluster is deleted at the end in every case.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NAME="${BENCH_CLUSTER_NAME:-todo-bench}"
HTTP_PORT="${BENCH_HTTP_PORT:-18380}"
HTTPS_PORT="${BENCH_HTTPS_PORT:-18743}"
ENV_NAME=local
RELEASE=todo
NAMESPACE=todo-local
CONTEXT="kind-$NAME"
DOCKER="${DOCKER:-/usr/bin/docker}"
[ -x "$DOCKER" ] || DOCKER="$(command -v docker)"

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

case "$NAME" in todo | todo-test | todo-cluster-e2e | todo-deploy-e2e | todo-offline-e2e | todo-both-orders) die "cluster name $NAME belongs to the app or the tests; pick another BENCH_CLUSTER_NAME" ;; esac
for p in "$HTTP_PORT" "$HTTPS_PORT"; do
  case "$p" in 80 | 443 | 18080 | 18180 | 18280 | 18443 | 18543 | 18580 | 18643 | 18943) die "port $p is used by the app or the tests; pick another BENCH_HTTP_PORT/BENCH_HTTPS_PORT" ;; esac
done

bench_started=$(date +%s%N)
work="$(mktemp -d "${TMPDIR:-/tmp}/deploy-bench.XXXXXX")"
ws="$work/ws"
logs="$work/logs"
mkdir -p "$ws" "$logs" "$work/json" "$work/state"
run_id="$(date +%s)"
# Until the cluster exists, cleaning up is removing the scratch directory (replaced below).
trap 'rc=$?; [ -n "${KEEP_BENCH_WORKSPACE:-}" ] || rm -rf "$work"; exit $rc' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------- offline stand-ins
say "resolving the offline stand-ins (cache hits on a warm machine)"
cd "$REPO"
KIND_NODE_IMAGE="$(bash tools/offline-kind/scripts/build-node.sh 2>"$logs/build-node.log" | tail -1)" || { tail -20 "$logs/build-node.log" >&2; die "tools/offline-kind/scripts/build-node.sh failed"; }
TRAEFIK_VERSION="$(sed -n 's/^TRAEFIK_VERSION=\([^ #]*\).*/\1/p' tools/offline-kind/versions.env)" || die "cannot read tools/offline-kind/versions.env"
KIND_BIN="$(bash scripts/go-tool.sh kind | tail -1)" || die "scripts/go-tool.sh kind failed"
KUBECTL_BIN="$(bash tools/offline-kind/scripts/build-go.sh kubernetes 2>"$logs/build-go.log" | tail -1)/kubectl" || { tail -20 "$logs/build-go.log" >&2; die "build-go.sh kubernetes failed"; }
HELM_BIN="$(bash scripts/go-tool.sh helm3 | tail -1)" || die "scripts/go-tool.sh helm3 failed"
[ -n "$KIND_NODE_IMAGE" ] && [ -n "$TRAEFIK_VERSION" ] || die "could not resolve the offline node image (see $logs/build-node.log)"
for b in "$KIND_BIN" "$KUBECTL_BIN" "$HELM_BIN"; do [ -x "$b" ] || die "$b is not an executable"; done

# ---------------------------------------------------------------------------- the workspace copy
# As tools/generators/src/__tests__/e2e.spec.ts copies it (without its generated-output excludes: the
# checked-in chart and image projects are what gets deployed), node_modules symlinked.
say "copying the workspace to $ws"
excludes=()
for e in node_modules .git .venv .next .nx dist tmp reports coverage .pytest_cache __pycache__; do excludes+=(--no-anchored "--exclude=$e"); done
tar -C "$REPO" "${excludes[@]}" -cf - . | tar -C "$ws" -xf -
ln -s "$REPO/node_modules" "$ws/node_modules"
[ -d "$REPO/apps/frontend/node_modules" ] && ln -s "$REPO/apps/frontend/node_modules" "$ws/apps/frontend/node_modules"
version="$(jq -r .version "$ws/package.json")-bench.$run_id"
jq --arg v "$version" '.version = $v' "$ws/package.json" >"$ws/package.json.new" && mv "$ws/package.json.new" "$ws/package.json"

# The local base images come from the checkout (its dist/base-images/images.json, made by
# `nx run base-images:build`): their cache keys include the scripts' absolute paths, so building them
# in the copy would make a second set of bases (minutes) instead of reusing the daemon's.
cd "$REPO"
export NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 NX_DAEMON=false
TODO_BASE_IMAGES="$REPO/dist/base-images/images.json"
bases_present() {
  [ -f "$TODO_BASE_IMAGES" ] || return 1
  local ref
  for ref in $(jq -r '.[][]' "$TODO_BASE_IMAGES"); do "$DOCKER" image inspect "$ref" >/dev/null 2>&1 || return 1; done
}
if ! bases_present; then
  say "local base images missing: npx nx run base-images:build (in the checkout)"
  npx nx run base-images:build --output-style=static >"$logs/base-images.log" 2>&1 || { tail -30 "$logs/base-images.log" >&2; die "base-images:build failed"; }
fi
cd "$ws"
pg_image="$(jq -r .postgres.IMAGE "$TODO_BASE_IMAGES")"
# Written by the first deploy --offline; the anchors pass the same file to helm.
PG_VALUES="$ws/dist/deploy/offline-values.yaml"

export KIND_BIN KUBECTL_BIN HELM_BIN TODO_BASE_IMAGES DOCKER
node_image_report="$KIND_NODE_IMAGE" # what --offline will find (the same script, cached)
unset KIND_NODE_IMAGE TRAEFIK_IMAGE TODO_OFFLINE
export KIND_CLUSTER_NAME="$NAME" KIND_HTTP_PORT="$HTTP_PORT" KIND_HTTPS_PORT="$HTTPS_PORT"
export KUBECONFIG="$work/kubeconfig" CLUSTER_KUBECONFIG="$work/kubeconfig" CLUSTER_STATE_DIR="$work/state"
export TOOLS_DIR="$work/state/tools" # never used: the *_BIN variables win, nothing is downloaded
unset KIND_REGISTRY KUBECTL HELM

kc() { "$KUBECTL_BIN" --context "$CONTEXT" --request-timeout=20s "$@"; }

# ------------------------------------------------------------------------------------------ cleanup
daemon_started=false
cleanup() {
  local rc=$?
  set +e
  if $daemon_started; then (cd "$ws" && NX_DAEMON=true npx nx daemon --stop >/dev/null 2>&1); fi
  say "deleting kind cluster $NAME"
  "$KIND_BIN" delete cluster --name "$NAME" --kubeconfig "$work/kubeconfig" >/dev/null 2>&1
  # Only the images this run made: their tags carry this run's version suffix or the anchor prefix.
  local refs
  refs="$("$DOCKER" images --format '{{.Repository}}:{{.Tag}}' | grep -E "^todo-(backend|frontend):(v[^ ]*-bench\.$run_id-$ENV_NAME|anchor-$run_id-[0-9]+)\$" || true)"
  for f in "$work"/images-*.txt; do [ -f "$f" ] && refs+=$'\n'"$(cat "$f")"; done
  refs="$(printf '%s\n' "$refs" | grep -v '^$' | sort -u || true)"
  [ -n "$refs" ] && "$DOCKER" rmi $refs >/dev/null 2>&1
  if [ -n "${KEEP_BENCH_WORKSPACE:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if "$KIND_BIN" get clusters 2>/dev/null | grep -qx "$NAME"; then
  say "kind cluster $NAME exists (an earlier run?): deleting it so the cold case starts from nothing"
  "$KIND_BIN" delete cluster --name "$NAME" >/dev/null 2>&1 || true
fi

# ------------------------------------------------------------------------------------------ helpers
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

WALL=0
# deploy <label> [env...]: runs deploy-local, keeps its log and steps json; WALL = seconds.
deploy() {
  local label="$1" t0 t1
  shift
  say "deploy-local: $label"
  t0=$(now)
  if ! env "$@" npx nx run "todo:deploy-$ENV_NAME" --offline --output-style=static >"$logs/$label.log" 2>&1; then
    tail -40 "$logs/$label.log" >&2
    die "deploy-local ($label) failed; log: $logs/$label.log"
  fi
  t1=$(now)
  WALL=$(secs "$t0" "$t1")
  cp "$ws/dist/deploy/$ENV_NAME.json" "$work/json/$label.json"
  jq -r '.ref' "$ws"/dist/images/*-image.json >>"$work/images-deploy.txt"
  [ "$(jq -r .success "$work/json/$label.json")" = true ] || die "deploy-local ($label) reported success=false"
}

revision() { "$HELM_BIN" list --kube-context "$CONTEXT" -n "$NAMESPACE" -o json | jq -r --arg r "$RELEASE" '(.[] | select(.name == $r) | .revision) // "none"'; }
frontend_uids() { kc -n "$NAMESPACE" get pods -l app.kubernetes.io/component=frontend,app.kubernetes.io/instance="$RELEASE" -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort | paste -sd, -; }
ran_steps() { jq -r '[.steps[] | select(.outcome == "ran") | .name] | join(", ")' "$work/json/$1.json"; }
changed_steps() { jq -r '[.steps[] | select(.outcome == "ran" and .name != "smoke check") | .name] | sort | join(",")' "$work/json/$1.json"; }

failures=0
CHECKS=()
check() { # check <description> <ok:true|false> <detail>
  if [ "$2" = true ]; then CHECKS+=("PASS  $1  ($3)"); else CHECKS+=("FAIL  $1  ($3)"); failures=$((failures + 1)); fi
}
TARGETS=()
target() { # target <description> <seconds> <limit>
  if awk -v s="$2" -v l="$3" 'BEGIN { exit !(s < l) }'; then TARGETS+=("met     $1: ${2}s < ${3}s"); else TARGETS+=("missed  $1: ${2}s, target < ${3}s"); fi
}

anchor_n=0
# anchor <label>: the naive deploy. Every run: docker build both images under a new tag (same
# Dockerfiles and build arguments as docker-build; layer cache allowed), kind load both, helm upgrade
# with those tags, --wait, rolling back on failure. No skipping anywhere. WALL = seconds.
anchor() {
  local label="$1" t0 t1 svc project rec tag args
  anchor_n=$((anchor_n + 1))
  tag="anchor-$run_id-$anchor_n"
  say "anchor: $label"
  local sets=()
  t0=$(now)
  {
    for svc in backend frontend; do
      project="$svc-image"
      rec="$ws/dist/images/$project.json"
      args=(build -q --file "apps/$project/Dockerfile" --tag "todo-$svc:$tag")
      while IFS= read -r kv; do args+=(--build-arg "$kv"); done < <(jq -r '.buildArgs | to_entries[] | "\(.key)=\(.value)"' "$rec")
      for ca in "${TODO_BUILD_CA_BUNDLE:-}" "${NODE_EXTRA_CA_CERTS:-}" "${SSL_CERT_FILE:-}"; do
        if [ -n "$ca" ] && [ -f "$ca" ]; then args+=(--secret "id=ca_bundle,src=$ca"); break; fi
      done
      DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" .
      echo "todo-$svc:$tag" >>"$work/images-anchor.txt"
    done
    for svc in backend frontend; do "$KIND_BIN" load docker-image "todo-$svc:$tag" --name "$NAME"; done
    for svc in backend frontend; do sets+=(--set "services.$svc.image.repository=todo-$svc" --set "services.$svc.image.tag=$tag"); done
    "$HELM_BIN" upgrade --install "$RELEASE" charts/todo --kube-context "$CONTEXT" --namespace "$NAMESPACE" --create-namespace \
      -f charts/todo/values.yaml -f "charts/todo/values-$ENV_NAME.yaml" -f "$PG_VALUES" "${sets[@]}" --wait --timeout 5m --atomic
  } >"$logs/$label.log" 2>&1 || { tail -40 "$logs/$label.log" >&2; die "anchor ($label) failed; log: $logs/$label.log"; }
  t1=$(now)
  WALL=$(secs "$t0" "$t1")
}

# step table of one run: name, outcome, seconds, share of the wall time; then Nx start-up
step_table() {
  local label="$1" wall="$2"
  jq -r --argjson wall "$wall" '
    (.steps[] | [ .name, .outcome, (.seconds * 10 | round / 10 | tostring), ((.seconds / $wall * 1000 | round / 10 | tostring) + "%") ]),
    [ "(nx start-up, graph, executor load)", "-", (($wall - .seconds) * 10 | round / 10 | tostring), ((($wall - .seconds) / $wall * 1000 | round / 10 | tostring) + "%") ],
    [ "total (wall)", "", ($wall | tostring), "100%" ]
    | @tsv' "$work/json/$label.json" |
    awk -F'\t' 'BEGIN { printf "  %-38s %-8s %8s %7s\n", "step", "outcome", "seconds", "share"; printf "  %s\n", "--------------------------------------------------------------" }
                { printf "  %-38s %-8s %8s %7s\n", $1, $2, $3, $4 }'
}

# ------------------------------------------------------------------------------------------- 1. cold
deploy cold
cold_wall=$WALL
cold_rev=$(revision)
cold_builds="$(jq -r '[.steps[] | select((.name | startswith("build ")) and .outcome == "ran")] | length' "$work/json/cold.json")"
check "cold: both images were built" "$([ "$cold_builds" = 2 ] && echo true || echo false)" "ran: $(ran_steps cold)"

# ------------------------------------------------------------------------------------------ 2. no-op
rev_before=$(revision)
deploy noop NX_DAEMON=false
noop_wall=$WALL
rev_after=$(revision)
check "no-op (daemon off): Helm revision unchanged" "$([ "$rev_before" = "$rev_after" ] && echo true || echo false)" "revision $rev_before -> $rev_after"
check "no-op (daemon off): nothing but the smoke check ran" "$([ -z "$(changed_steps noop)" ] && echo true || echo false)" "ran: $(ran_steps noop)"

daemon_started=true
deploy noop-daemon-warmup NX_DAEMON=true
rev_before_d=$(revision)
deploy noop-daemon NX_DAEMON=true
noop_daemon_wall=$WALL
rev_after_d=$(revision)
check "no-op (daemon on): Helm revision unchanged" "$([ "$rev_before_d" = "$rev_after_d" ] && echo true || echo false)" "revision $rev_before_d -> $rev_after_d"
(NX_DAEMON=true npx nx daemon --stop >/dev/null 2>&1) || true
daemon_started=false

# ------------------------------------------------------------------------------- 3. one backend file
backend_file=apps/backend/todo_api/__init__.py
uids_before=$(frontend_uids)
rev_before_1=$(revision)
printf '# deploy-bench %s: one-file change\n' "$run_id" >>"$backend_file"
deploy onefile NX_DAEMON=false
onefile_wall=$WALL
uids_after=$(frontend_uids)
rev_after_1=$(revision)
expected="build backend,helm release,load backend"
check "one file: only build backend, load backend, helm release changed anything" "$([ "$(changed_steps onefile)" = "$expected" ] && echo true || echo false)" "ran: $(ran_steps onefile)"
check "one file: frontend pods kept their UIDs" "$([ -n "$uids_before" ] && [ "$uids_before" = "$uids_after" ] && echo true || echo false)" "${uids_before:-none} -> ${uids_after:-none}"
check "one file: a new Helm revision" "$([ "$rev_after_1" != "$rev_before_1" ] && echo true || echo false)" "revision $rev_before_1 -> $rev_after_1"

# -------------------------------------------------------------------------------------- 4. anchors
anchor anchor-noop
anchor_noop_wall=$WALL
printf '# deploy-bench %s: one-file change for the anchor\n' "$run_id" >>"$backend_file"
anchor anchor-onefile
anchor_onefile_wall=$WALL

target "no-op deploy-local (daemon off)" "$noop_wall" 5
target "no-op deploy-local (daemon on)" "$noop_daemon_wall" 5
target "one backend file changed" "$onefile_wall" 60

# ------------------------------------------------------------------------------------------- report
total=$(secs "$bench_started" "$(now)")
{
  echo
  echo "Deploy benchmark: nx run todo:deploy-$ENV_NAME on kind cluster $NAME ($(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ))"
  echo "Node image $node_image_report, Helm $("$HELM_BIN" version --template '{{.Version}}'), Postgres stand-in $pg_image"
  echo
  echo "1. Cold: no cluster, service images not in the daemon (Docker layer cache kept)"
  step_table cold "$cold_wall"
  echo
  echo "2-4. Wall time, whole command"
  printf '  %-44s %9s %9s %8s  %s\n' "case" "ours (s)" "anchor(s)" "ratio" "Helm revision"
  printf '  %s\n' "-----------------------------------------------------------------------------------------"
  printf '  %-44s %9s %9s %8s  %s\n' "cold (cluster, images, release, smoke)" "$cold_wall" "-" "-" "$cold_rev"
  printf '  %-44s %9s %9s %8s  %s\n' "no-op, NX_DAEMON=false" "$noop_wall" "$anchor_noop_wall" "$(ratio "$noop_wall" "$anchor_noop_wall")" "$rev_before -> $rev_after"
  printf '  %-44s %9s %9s %8s  %s\n' "no-op, Nx daemon on (after a warm-up)" "$noop_daemon_wall" "$anchor_noop_wall" "$(ratio "$noop_daemon_wall" "$anchor_noop_wall")" "$rev_before_d -> $rev_after_d"
  printf '  %-44s %9s %9s %8s  %s\n' "one backend file changed" "$onefile_wall" "$anchor_onefile_wall" "$(ratio "$onefile_wall" "$anchor_onefile_wall")" "$rev_before_1 -> $rev_after_1"
  echo "  anchor = docker build both images (new tag, layer cache allowed) + kind load both + helm upgrade --wait --atomic, every run"
  echo
  echo "One-file run, per step:"
  step_table onefile "$onefile_wall"
  echo
  echo "No-op run (daemon off), per step:"
  step_table noop "$noop_wall"
  echo
  echo "Checks:"
  printf '  %s\n' "${CHECKS[@]}"
  echo "Issue targets (informational; the machine is shared, figures are noisy):"
  printf '  %s\n' "${TARGETS[@]}"
  echo
  echo "Whole benchmark: ${total}s"
}
if [ "$failures" -gt 0 ]; then
  say "$failures check(s) failed; logs: $logs (set KEEP_BENCH_WORKSPACE=1 to keep them)"
  exit 1
fi
