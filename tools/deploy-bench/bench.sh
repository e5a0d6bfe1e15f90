#!/usr/bin/env bash
# The deploy benchmark (issues 7 and 12, "Speed"): `nx run todo:deploy-local` against naive anchors, on an
# isolated kind cluster in a temporary copy of the workspace, so the checkout is never modified.
#
#   npx nx run deploy-bench:bench        (or: bash tools/deploy-bench/bench.sh; BENCH_SAMPLES=3 by default)
#
# Cases, each timed wall-clock around the whole command (Nx start-up included):
#   1. cold      no cluster, service images not in the daemon -> deploy-local; each step's share
#   2. no-op     deploy-local again (Nx daemon off, and on after one warm-up); Helm revision unchanged;
#                against the anchor's no-op
#   3. one file  a backend module changed -> deploy-local (daemon off, and on); only build/load backend
#                and the release ran, the frontend pods keep their UIDs; against the anchor's one-file run
#   anchor       the naive way: docker build both images (layer cache allowed, a new tag per run),
#                kind load both, helm upgrade unconditionally (--wait --atomic)
# Cases 2 and 3 take BENCH_SAMPLES samples of each variant, interleaved in rounds whose order rotates
# (ours, ours with the daemon, the anchor, ...). An anchor run leaves the release on its own tags, so
# before the next of our runs an untimed "reset" deploy-local puts ours back. Printed: median and
# min-max of each, the ratio of the medians, each of our steps' seconds (Nx start-up and exit
# included), and the rollout of the new backend pod phase by phase (from a pod watch during each run).
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
# Settings (environment): BENCH_SAMPLES (3; the issue asks for at least 3), BENCH_REF (a commit to
# measure instead of the working tree: its tracked files are copied, node_modules is the checkout's), BENCH_CLUSTER_NAME
# (todo-bench), BENCH_HTTP_PORT (18380), BENCH_HTTPS_PORT (18743), KEEP_BENCH_WORKSPACE=1 keeps the
# copy and the logs.
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

case "$NAME" in todo | todo-test | todo-cluster-e2e | todo-deploy-e2e | todo-offline-e2e | todo-both-orders | todo-scale-e2e) die "cluster name $NAME belongs to the app or the tests; pick another BENCH_CLUSTER_NAME" ;; esac
for p in "$HTTP_PORT" "$HTTPS_PORT"; do
  case "$p" in 80 | 443 | 18080 | 18180 | 18280 | 18443 | 18543 | 18580 | 18643 | 18680 | 18780 | 18943 | 19043 | 19143) die "port $p is used by the app or the tests; pick another BENCH_HTTP_PORT/BENCH_HTTPS_PORT" ;; esac
done

bench_started=$(date +%s%N)
# The machine's load average (1, 5 and 15 min) at the start, after the cold deploy and at the end: these
# machines are shared, and a figure is only comparable with one taken at a similar load.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
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
# BENCH_HELM=helm4 measures both ours and the anchor with Helm 4 (its --wait watches instead of polling every 2 s).
BENCH_HELM="${BENCH_HELM:-helm3}"
case "$BENCH_HELM" in helm3) ROLLBACK_FLAG=--atomic ;; helm4) ROLLBACK_FLAG=--rollback-on-failure ;; *) die "BENCH_HELM must be helm3 or helm4 (got '$BENCH_HELM')" ;; esac
HELM_BIN="$(bash scripts/go-tool.sh "$BENCH_HELM" | tail -1)" || die "scripts/go-tool.sh $BENCH_HELM failed"
[ -n "$KIND_NODE_IMAGE" ] && [ -n "$TRAEFIK_VERSION" ] || die "could not resolve the offline node image (see $logs/build-node.log)"
for b in "$KIND_BIN" "$KUBECTL_BIN" "$HELM_BIN"; do [ -x "$b" ] || die "$b is not an executable"; done

# ---------------------------------------------------------------------------- the workspace copy
# As tools/generators/src/__tests__/e2e.spec.ts copies it (without its generated-output excludes: the
# checked-in chart and image projects are what gets deployed), node_modules symlinked.
if [ -n "${BENCH_REF:-}" ]; then
  # A commit's tracked files instead (e.g. to measure the state before a change side by side).
  say "copying commit $BENCH_REF of the workspace to $ws"
  git -C "$REPO" archive --format=tar "$BENCH_REF" | tar -C "$ws" -xf - || die "git archive $BENCH_REF failed (BENCH_REF must name a commit of $REPO)"
else
  say "copying the workspace to $ws"
  excludes=()
  for e in node_modules .git .venv .next .nx dist tmp reports coverage .pytest_cache __pycache__; do excludes+=(--no-anchored "--exclude=$e"); done
  tar -C "$REPO" "${excludes[@]}" -cf - . | tar -C "$ws" -xf -
fi
ln -s "$REPO/node_modules" "$ws/node_modules"
[ -d "$REPO/apps/frontend/node_modules" ] && ln -s "$REPO/apps/frontend/node_modules" "$ws/apps/frontend/node_modules"
version="$(jq -r .version "$ws/package.json")-bench.$run_id"
jq --arg v "$version" '.version = $v' "$ws/package.json" >"$ws/package.json.new" && mv "$ws/package.json.new" "$ws/package.json"

# The local base images come from the checkout (its dist/base-images/images.json, made by
# `nx run base-images:build`): their cache keys include the scripts' absolute paths, so building them
# in the copy would make a second set of bases (minutes) instead of reusing the daemon's. An exported
# TODO_BASE_IMAGES wins (e.g. another checkout's images.json whose bases are already in the daemon).
cd "$REPO"
export NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 NX_DAEMON=false
TODO_BASE_IMAGES="${TODO_BASE_IMAGES:-$REPO/dist/base-images/images.json}"
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
unset KIND_REGISTRY KUBECTL HELM TODO_LOCAL_REGISTRY
# The deploy's local registry (the default for kind): this bench's own, removed by cleanup.
export KIND_REGISTRY_NAME="$NAME-registry" KIND_REGISTRY_PORT="$((HTTP_PORT + 1))"
REG="localhost:$KIND_REGISTRY_PORT" # the image prefix the chart gets from deploy-local (global.imageRegistry)

kc() { "$KUBECTL_BIN" --context "$CONTEXT" --request-timeout=20s "$@"; }

# ------------------------------------------------------------------------------------------ cleanup
daemon_started=false
cleanup() {
  local rc=$?
  set +e
  [ -n "${WATCH_PID:-}" ] && kill -- "-$WATCH_PID" 2>/dev/null
  if $daemon_started; then (cd "$ws" && NX_DAEMON=true npx nx daemon --stop >/dev/null 2>&1); fi
  say "deleting kind cluster $NAME"
  "$KIND_BIN" delete cluster --name "$NAME" --kubeconfig "$work/kubeconfig" >/dev/null 2>&1
  "$DOCKER" rm -f "$KIND_REGISTRY_NAME" >/dev/null 2>&1
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
HERE="$ws/tools/deploy-bench" # the copy's: the checkout may change while the bench runs
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# stats <values...>: "median min max" (median of an even count: the mean of the middle two)
stats() {
  [ "$#" -gt 0 ] || { echo "- - -"; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
# spread <values...>: "median (min-max)"
spread() { stats "$@" | awk '$1 == "-" { print "-"; next } { printf "%s (%s-%s)\n", $1, $2, $3 }'; }
median() { stats "$@" | cut -d' ' -f1; }

# Wall seconds of every timed sample, by variant: SAMPLES_<variant>="<s> <s> ..."
declare -A WALLS=()
add_wall() { WALLS[$1]="${WALLS[$1]:-} $2"; }

# ------------------------------------------------------------------------------------ the pod watch
# watch_pods <file>: every pod event of the namespace, one line each, stamped with its arrival time;
# runs until watch_stop. Its own session, so stopping it ends kubectl, jq and perl together.
WATCH_PID=""
watch_pods() {
  local out="$1"
  setsid bash -c '
    "$0" --kubeconfig "$1" --context "$2" --request-timeout=0 -n "$3" get pods --watch-only --output-watch-events -o json |
      jq -c --unbuffered "{type, uid: .object.metadata.uid, comp: .object.metadata.labels[\"app.kubernetes.io/component\"],
          deleting: (.object.metadata.deletionTimestamp != null),
          scheduled: ([(.object.status.conditions // [])[] | select(.type == \"PodScheduled\") | .status][0] // \"False\"),
          initNames: [(.object.status.initContainerStatuses // [])[] | .name],
          init: [(.object.status.initContainerStatuses // [])[] | (.state | keys[0])],
          main: [(.object.status.containerStatuses // [])[] | {s: (.state | keys[0]), started: (.started // false)}],
          ready: ([(.object.status.conditions // [])[] | select(.type == \"Ready\") | .status][0] // \"False\")}" |
      perl -MTime::HiRes=time -ne "BEGIN { \$| = 1 } chomp; printf qq({\"t\":%.3f,\"e\":%s}\n), time, \$_"
  ' "$KUBECTL_BIN" "$KUBECONFIG" "$CONTEXT" "$NAMESPACE" >"$out" 2>"$out.err" &
  WATCH_PID=$!
  sleep 1 # the watch is established before the timed command starts (not part of its time)
}
watch_stop() {
  sleep 1 # the last status updates (an old pod's deletion) arrive
  [ -n "$WATCH_PID" ] && kill -- "-$WATCH_PID" 2>/dev/null
  wait "$WATCH_PID" 2>/dev/null || true
  WATCH_PID=""
}
# rollout <watch file> <helm start s> <helm end s> <component>: "phase<TAB>seconds" lines (rollout.jq)
rollout() { jq -r -s --arg component "$4" --argjson hstart "$2" --argjson hend "$3" -f "$HERE/rollout.jq" "$1"; }

# ----------------------------------------------------------------------------------- deploy runs
WALL=0
# deploy <label> [env...]: runs deploy-local, keeps its log and steps json (+ t0/t1 in ns); WALL = seconds.
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
  jq --argjson t0 "$t0" --argjson t1 "$t1" '. + {benchStart: ($t0 / 1e6), benchEnd: ($t1 / 1e6)}' "$ws/dist/deploy/$ENV_NAME.json" >"$work/json/$label.json"
  jq -r '.ref' "$ws"/dist/images/*-image.json >>"$work/images-deploy.txt"
  [ "$(jq -r .success "$work/json/$label.json")" = true ] || die "deploy-local ($label) reported success=false"
}

revision() { "$HELM_BIN" list --kube-context "$CONTEXT" -n "$NAMESPACE" -o json | jq -r --arg r "$RELEASE" '(.[] | select(.name == $r) | .revision) // "none"'; }
# The serving frontend pods' UIDs: a pod still draining after the previous (reset) deploy's rollout has a
# deletionTimestamp and is left out, or its exit during the measured run would look like a restart.
frontend_uids() { kc -n "$NAMESPACE" get pods -l app.kubernetes.io/component=frontend,app.kubernetes.io/instance="$RELEASE" -o jsonpath='{range .items[*]}{.metadata.uid} {.metadata.deletionTimestamp}{"\n"}{end}' | awk 'NF == 1 { print $1 }' | sort | paste -sd, -; }
ran_steps() { jq -r '[.steps[] | select(.outcome == "ran") | .name] | join(", ")' "$work/json/$1.json"; }
changed_steps() { jq -r '[.steps[] | select(.outcome == "ran" and .name != "smoke check") | .name] | sort | join(",")' "$work/json/$1.json"; }

failures=0
CHECKS=()
check() { # check <description> <ok:true|false> <detail>
  if [ "$2" = true ]; then CHECKS+=("PASS  $1  ($3)"); else CHECKS+=("FAIL  $1  ($3)"); failures=$((failures + 1)); fi
}
TARGETS=()
target() { # target <description> <seconds> <limit> [<|<=]
  local op="${4:-<}"
  if awk -v s="$2" -v l="$3" -v op="$op" 'BEGIN { exit !(op == "<" ? s < l : s <= l) }'; then TARGETS+=("met     $1: ${2}s $op ${3}s"); else TARGETS+=("missed  $1: ${2}s, target $op ${3}s"); fi
}

anchor_n=0
# anchor <label>: the naive deploy. Every run: docker build both images under a new tag (same
# Dockerfiles and build arguments as docker-build; layer cache allowed), kind load both, helm upgrade
# with those tags, --wait, rolling back on failure. No skipping anywhere. WALL = seconds; the phase
# boundaries (ns) go to $work/json/<label>.times.
anchor() {
  local label="$1" t0 tb tl th t1 svc project rec tag args
  anchor_n=$((anchor_n + 1))
  tag="anchor-$run_id-$anchor_n"
  say "anchor: $label"
  local sets=()
  t0=$(now)
  {
    for svc in backend frontend; do
      project="$svc-image"
      rec="$ws/dist/images/$project.json"
      args=(build -q --file "apps/$project/Dockerfile" --tag "todo-$svc:$tag" --tag "$REG/todo-$svc:$tag")
      while IFS= read -r kv; do args+=(--build-arg "$kv"); done < <(jq -r '.buildArgs | to_entries[] | "\(.key)=\(.value)"' "$rec")
      for ca in "${TODO_BUILD_CA_BUNDLE:-}" "${NODE_EXTRA_CA_CERTS:-}" "${SSL_CERT_FILE:-}"; do
        if [ -n "$ca" ] && [ -f "$ca" ]; then args+=(--secret "id=ca_bundle,src=$ca"); break; fi
      done
      DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" .
      printf '%s\n' "todo-$svc:$tag" "$REG/todo-$svc:$tag" >>"$work/images-anchor.txt"
    done
    tb=$(now)
    # Under the name the pods use (the chart prefixes the cluster's registry; IfNotPresent: no pull).
    for svc in backend frontend; do "$KIND_BIN" load docker-image "$REG/todo-$svc:$tag" --name "$NAME"; done
    tl=$(now)
    for svc in backend frontend; do sets+=(--set "services.$svc.image.repository=todo-$svc" --set "services.$svc.image.tag=$tag"); done
    "$HELM_BIN" upgrade --install "$RELEASE" charts/todo --kube-context "$CONTEXT" --namespace "$NAMESPACE" --create-namespace \
      -f charts/todo/values.yaml -f "charts/todo/values-$ENV_NAME.yaml" -f "$PG_VALUES" --set "global.imageRegistry=$REG" "${sets[@]}" --wait --timeout 5m "$ROLLBACK_FLAG"
    th=$(now)
  } >"$logs/$label.log" 2>&1 || { tail -40 "$logs/$label.log" >&2; die "anchor ($label) failed; log: $logs/$label.log"; }
  t1=$(now)
  WALL=$(secs "$t0" "$t1")
  echo "$t0 $tb $tl $th $t1" >"$work/json/$label.times"
}

# ------------------------------------------------------------------------------------ breakdowns
# Our steps of every sample of one variant: "name<TAB>seconds" lines, with Nx start-up (command start
# to the first step: npx, the project graph, loading the executor), the executor's own time before its
# first step (the options with --offline's stand-ins, and the read-ahead's wait), apart, and exit (the
# last step to the end).
steps_of() {
  jq -r '
    (.steps[0].startedAt // null) as $first
    | (.readAheadSeconds // 0) as $ahead
    | (.optionsSeconds // 0) as $opts
    | (if $first then ($first - .benchStart) / 1000 - $ahead - $opts else (.benchEnd - .benchStart) / 1000 - .seconds end) as $nx
    | (.steps[-1]) as $last
    | (if $first then (.benchEnd - $last.startedAt) / 1000 - $last.seconds else 0 end) as $exit
    | ["Nx start-up (npx, graph, executor load)", $nx],
      ["options and --offline stand-ins", $opts],
      ["read-ahead wait (the checks'"'"' reads, together)", $ahead],
      (.steps[] | [.name + (if .outcome == "skipped" then " (skipped)" else "" end), .seconds]),
      ["exit (after the last step)", $exit],
      ["total (wall)", ((.benchEnd - .benchStart) / 1000)]
    | "\(.[0])\t\(.[1])"' "$work/json/$1.json"
}
# step_table <variant> <labels...>: each step's median (min-max) over the samples
step_table() {
  local variant="$1" label name
  shift
  : >"$work/steps-$variant.tsv"
  for label in "$@"; do steps_of "$label" >>"$work/steps-$variant.tsv"; done
  printf '  %-46s %s\n' "step" "seconds: median (min-max) over $# samples"
  printf '  %s\n' "------------------------------------------------------------------------------"
  cut -f1 "$work/steps-$variant.tsv" | awk '!seen[$0]++' | while IFS= read -r name; do
    # shellcheck disable=SC2046
    printf '  %-46s %s\n' "$name" "$(spread $(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$work/steps-$variant.tsv"))"
  done
}
# rollout_table <labels...>: the backend rollout of our samples (helm step boundaries from the steps json)
rollout_table() {
  local label start end
  : >"$work/rollout.tsv"
  for label in "$@"; do
    read -r start end < <(jq -r '.steps[] | select(.name == "helm release") | "\(.startedAt / 1000) \(.startedAt / 1000 + .seconds)"' "$work/json/$label.json")
    rollout "$logs/$label.watch" "$start" "$end" backend >>"$work/rollout.tsv"
  done
  rollout_print "$#"
}
# anchor_rollout_table <labels...>: the anchor's phases, then the backend rollout inside its helm upgrade
anchor_rollout_table() {
  local label t0 tb tl th t1
  : >"$work/rollout.tsv"
  for label in "$@"; do
    read -r t0 tb tl th t1 <"$work/json/$label.times"
    { printf 'docker build both\t%s\n' "$(secs "$t0" "$tb")"
      printf 'kind load both\t%s\n' "$(secs "$tb" "$tl")"
      printf 'helm upgrade --wait\t%s\n' "$(secs "$tl" "$th")"
      rollout "$logs/$label.watch" "$(awk -v t="$tl" 'BEGIN { printf "%.3f", t / 1e9 }')" "$(awk -v t="$th" 'BEGIN { printf "%.3f", t / 1e9 }')" backend | sed 's/^/  /'
    } >>"$work/rollout.tsv"
  done
  rollout_print "$#"
}
rollout_print() {
  printf '  %-56s %s\n' "phase" "seconds: median (min-max) over $1 samples"
  printf '  %s\n' "------------------------------------------------------------------------------------------"
  cut -f1 "$work/rollout.tsv" | awk '!seen[$0]++' | while IFS= read -r name; do
    # shellcheck disable=SC2046
    printf '  %-56s %s\n' "$name" "$(spread $(awk -F'\t' -v n="$name" '$1 == n && $2 != "-" { print $2 }' "$work/rollout.tsv"))"
  done
}

# --------------------------------------------------------------------------------------- sampling
# State of the release: "ours" (made by deploy-local) or "anchor" (the anchor's tags). Our runs need
# ours: after an anchor run an untimed reset deploy-local restores it.
STATE=ours
resets=0
reset_to_ours() {
  [ "$STATE" = ours ] && return
  resets=$((resets + 1))
  deploy "reset-$resets" NX_DAEMON=false
  STATE=ours
}
# timed <label> <ours|anchor> [env...]: one sample, with the pod watch around it
timed() {
  local label="$1" who="$2"
  shift 2
  if [ "$who" = ours ]; then reset_to_ours; fi
  watch_pods "$logs/$label.watch"
  if [ "$who" = ours ]; then deploy "$label" "$@"; else anchor "$label"; STATE=anchor; fi
  watch_stop
}

SAMPLES="${BENCH_SAMPLES:-3}"
case "$SAMPLES" in '' | *[!0-9]* | 0) die "BENCH_SAMPLES must be a whole number of at least 1 (the issue asks for 3 or more), not \"$SAMPLES\"" ;; esac
[ "$SAMPLES" -ge 3 ] || say "note: BENCH_SAMPLES=$SAMPLES; the issue asks for at least 3 samples of each case"

# ------------------------------------------------------------------------------------------- 1. cold
deploy cold
cold_wall=$WALL
load_cold=$(cut -d' ' -f1-3 /proc/loadavg)
cold_rev=$(revision)
cold_builds="$(jq -r '[.steps[] | select((.name | startswith("build ")) and .outcome == "ran")] | length' "$work/json/cold.json")"
check "cold: both images were built" "$([ "$cold_builds" = 2 ] && echo true || echo false)" "ran: $(ran_steps cold)"

# The Nx daemon runs from here on (it only serves the NX_DAEMON=true runs); one warm-up run starts it.
daemon_started=true
deploy noop-daemon-warmup NX_DAEMON=true

# ------------------------------------------------------------------------------------------ 2. no-op
# One round per sample; the order of ours (daemon off), ours (daemon on) and the anchor rotates.
noop_variants=(noop noop-daemon anchor-noop)
for ((i = 1; i <= SAMPLES; i++)); do
  for ((j = 0; j < 3; j++)); do
    v="${noop_variants[$(((i - 1 + j) % 3))]}"
    label="$v-$i"
    case "$v" in
      anchor-noop) timed "$label" anchor ;;
      *)
        daemon=false; [ "$v" = noop-daemon ] && daemon=true
        reset_to_ours
        rb=$(revision)
        timed "$label" ours NX_DAEMON=$daemon
        ra=$(revision)
        check "$label: Helm revision unchanged" "$([ "$rb" = "$ra" ] && echo true || echo false)" "revision $rb -> $ra"
        check "$label: nothing but the smoke check ran" "$([ -z "$(changed_steps "$label")" ] && echo true || echo false)" "ran: $(ran_steps "$label")"
        ;;
    esac
    add_wall "$v" "$WALL"
  done
done

# ------------------------------------------------------------------------------- 3. one backend file
backend_file=apps/backend/todo_api/__init__.py
onefile_variants=(onefile onefile-daemon anchor-onefile)
expected="build backend,helm release,load backend"
for ((i = 1; i <= SAMPLES; i++)); do
  for ((j = 0; j < 3; j++)); do
    v="${onefile_variants[$(((i - 1 + j) % 3))]}"
    label="$v-$i"
    case "$v" in
      anchor-onefile)
        printf '# deploy-bench %s: one-file change (%s)\n' "$run_id" "$label" >>"$backend_file"
        timed "$label" anchor
        ;;
      *)
        daemon=false; [ "$v" = onefile-daemon ] && daemon=true
        reset_to_ours
        uids_before=$(frontend_uids)
        rb=$(revision)
        printf '# deploy-bench %s: one-file change (%s)\n' "$run_id" "$label" >>"$backend_file"
        timed "$label" ours NX_DAEMON=$daemon
        uids_after=$(frontend_uids)
        ra=$(revision)
        check "$label: only build backend, load backend, helm release changed anything" "$([ "$(changed_steps "$label")" = "$expected" ] && echo true || echo false)" "ran: $(ran_steps "$label")"
        check "$label: frontend pods kept their UIDs" "$([ -n "$uids_before" ] && [ "$uids_before" = "$uids_after" ] && echo true || echo false)" "${uids_before:-none} -> ${uids_after:-none}"
        check "$label: a new Helm revision" "$([ "$ra" != "$rb" ] && echo true || echo false)" "revision $rb -> $ra"
        ;;
    esac
    add_wall "$v" "$WALL"
  done
done
(NX_DAEMON=true npx nx daemon --stop >/dev/null 2>&1) || true
daemon_started=false

labels_of() { local v="$1" i; for ((i = 1; i <= SAMPLES; i++)); do printf '%s ' "$v-$i"; done; }
# shellcheck disable=SC2086
{
  m_noop=$(median ${WALLS[noop]}); m_noop_d=$(median ${WALLS[noop-daemon]}); m_anoop=$(median ${WALLS[anchor-noop]})
  m_one=$(median ${WALLS[onefile]}); m_one_d=$(median ${WALLS[onefile-daemon]}); m_aone=$(median ${WALLS[anchor-onefile]})
}
# Issue 23's targets: no-op <= 2 s, one backend file <= half the anchor, cold <= 90 s, its load step <= 1 s.
half_aone=$(awk -v a="$m_aone" 'BEGIN { printf "%.1f", a / 2 }')
# shellcheck disable=SC2046
m_load=$(median $(for l in $(labels_of onefile) $(labels_of onefile-daemon); do jq -r '.steps[] | select(.name == "load backend") | .seconds' "$work/json/$l.json"; done))
target "no-op deploy-local, daemon off (median)" "$m_noop" 2 "<="
target "no-op deploy-local, daemon on (median)" "$m_noop_d" 2 "<="
target "one backend file, daemon off (median) vs half the anchor's median" "$m_one" "$half_aone" "<="
target "one backend file, daemon on (median) vs half the anchor's median" "$m_one_d" "$half_aone" "<="
target "load backend step, one backend file (median of both)" "$m_load" 1 "<="
target "cold, from no cluster (1 sample)" "$cold_wall" 90 "<="

# ------------------------------------------------------------------------------------------- report
total=$(secs "$bench_started" "$(now)")
# shellcheck disable=SC2046,SC2086
{
  echo
  echo "Deploy benchmark: nx run todo:deploy-$ENV_NAME on kind cluster $NAME ($(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); $SAMPLES samples per case)"
  echo "Node image $node_image_report, Helm $("$HELM_BIN" version --template '{{.Version}}'), Postgres stand-in $pg_image"
  echo "Load average (1, 5, 15 min): $load_start at the start, $load_cold after the cold deploy, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo
  echo "1. Cold: no cluster, service images not in the daemon (Docker layer cache kept), ${cold_wall}s, revision $cold_rev"
  step_table cold cold
  echo
  echo "2-3. Wall time of the whole command, seconds: median (min-max) over $SAMPLES samples, interleaved"
  printf '  %-40s %-20s %-20s %s\n' "case" "ours" "anchor" "ours/anchor (medians)"
  printf '  %s\n' "-------------------------------------------------------------------------------------------------"
  printf '  %-40s %-20s %-20s %s\n' "no-op, NX_DAEMON=false" "$(spread ${WALLS[noop]})" "$(spread ${WALLS[anchor-noop]})" "$(ratio "$m_noop" "$m_anoop")"
  printf '  %-40s %-20s %-20s %s\n' "no-op, Nx daemon on" "$(spread ${WALLS[noop-daemon]})" "$(spread ${WALLS[anchor-noop]})" "$(ratio "$m_noop_d" "$m_anoop")"
  printf '  %-40s %-20s %-20s %s\n' "one backend file, NX_DAEMON=false" "$(spread ${WALLS[onefile]})" "$(spread ${WALLS[anchor-onefile]})" "$(ratio "$m_one" "$m_aone")"
  printf '  %-40s %-20s %-20s %s\n' "one backend file, Nx daemon on" "$(spread ${WALLS[onefile-daemon]})" "$(spread ${WALLS[anchor-onefile]})" "$(ratio "$m_one_d" "$m_aone")"
  echo "  anchor = docker build both images (new tag, layer cache allowed) + kind load both + helm upgrade --wait --atomic, every run"
  echo "  ($resets untimed reset deploys put our release back after anchor runs)"
  echo
  echo "One backend file, NX_DAEMON=false, per step:"
  step_table onefile $(labels_of onefile)
  echo
  echo "One backend file, Nx daemon on, per step:"
  step_table onefile-daemon $(labels_of onefile-daemon)
  echo
  echo "No-op, NX_DAEMON=false, per step:"
  step_table noop $(labels_of noop)
  echo
  echo "Inside our 'helm release' step (one backend file, both daemon settings): the new backend pod, from a pod watch"
  rollout_table $(labels_of onefile) $(labels_of onefile-daemon)
  echo
  echo "The anchor's one-file run: its phases, and the new backend pod inside its helm upgrade"
  anchor_rollout_table $(labels_of anchor-onefile)
  echo
  echo "Checks:"
  printf '  %s\n' "${CHECKS[@]}"
  echo "Issue targets (informational; the machine is shared, figures are noisy):"
  printf '  %s\n' "${TARGETS[@]}"
  echo
  echo "Whole benchmark: ${total}s"
} | tee "$work/report.txt"
if [ "$failures" -gt 0 ]; then
  say "$failures check(s) failed; logs: $logs (set KEEP_BENCH_WORKSPACE=1 to keep them)"
  exit 1
fi
