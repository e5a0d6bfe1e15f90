#!/usr/bin/env bash
# Figures for the image work, on this machine's local bases (tools/base-images):
#   - sizes as `docker image ls` shows them (bases and app images)
#   - cold build of each app image: no layer cache and empty pip/npm cache mounts (packages downloaded)
#   - warm rebuild after touching one source file (backend: a .py file; frontend: a page)
#   - a no-op `nx run backend-image:docker-build` (inputs unchanged), with and without the Nx daemon
#
# Builds run in a scratch copy of the build inputs, so the checkout is never modified. Cold builds use
# cache-mount ids unique to this run and prune them afterwards, so nothing else's caches are touched.
#
#   npx nx run base-images:bench        (or: bash tools/base-images/scripts/bench.sh [--quick])
#   --quick: skip the cold builds
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quick=false
[ "${1:-}" = --quick ] && quick=true

bash "$BI_ROOT/scripts/build.sh" >/dev/null
images="$BI_REPO/dist/base-images/images.json"
export TODO_BASE_IMAGES="$images"
py_base=$(node -p "require('$images').python.BASE_IMAGE"); py_builder=$(node -p "require('$images').python.BUILDER_IMAGE")
node_base=$(node -p "require('$images').node.BASE_IMAGE"); node_builder=$(node -p "require('$images').node.BUILDER_IMAGE")
ca="${TODO_BUILD_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-}}}"
secret=(); [ -n "$ca" ] && [ -f "$ca" ] && secret=(--secret "id=ca_bundle,src=$ca")

scratch="$(mktemp -d "${TMPDIR:-/tmp}/image-bench.XXXXXX")"
run_id="bench$(date +%s)$$"
cleanup() {
  rm -rf "$scratch"
  "$DOCKER" rmi "todo-bench-backend:$run_id" "todo-bench-frontend:$run_id" >/dev/null 2>&1 || true
  "$DOCKER" builder prune -f --filter "description=$run_id" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The build inputs (what the Dockerfiles' ignore files let through), copied with their ignore files.
copy_inputs() {
  mkdir -p "$scratch/apps"
  cp "$BI_REPO/package.json" "$BI_REPO/package-lock.json" "$scratch/"
  (cd "$BI_REPO/apps" && tar --exclude=node_modules --exclude=.next --exclude=.venv --exclude=__pycache__ --exclude='*.db' \
    -cf - backend/requirements.txt backend/todo_api backend-image frontend frontend-image) | tar -xf - -C "$scratch/apps"
}

secs() { awk "BEGIN { printf \"%.1f\", ($2 - $1) / 1000000000 }"; }

# build <label> <dockerfile> <tag> <base> <builder> [cold] -> seconds
build() {
  local dockerfile="$2" tag="$3" base="$4" builder="$5" mode="${6:-warm}" df="$scratch/$2" t0 t1
  local extra=()
  if [ "$mode" = cold ]; then
    # Same Dockerfile, but its cache mounts get ids no other build uses: package downloads start empty.
    sed "s|--mount=type=cache,target=\([^ ,]*\)|--mount=type=cache,id=$run_id\1,target=\1|" "$scratch/$dockerfile" >"$scratch/$dockerfile.cold"
    cp "$scratch/$dockerfile.dockerignore" "$scratch/$dockerfile.cold.dockerignore"
    df="$scratch/$dockerfile.cold"
    extra=(--no-cache)
  fi
  t0=$(date +%s%N)
  "$DOCKER" build -q "${extra[@]}" -f "$df" --build-arg "BASE_IMAGE=$base" --build-arg "BUILDER_IMAGE=$builder" \
    "${secret[@]}" -t "$tag" "$scratch" >"$scratch/build-$1.log" 2>&1 || { cat "$scratch/build-$1.log" >&2; die "build $1 failed"; }
  t1=$(date +%s%N)
  secs "$t0" "$t1"
}

copy_inputs
echo "== image build benchmarks ($(nproc) CPUs, $(date -u +%FT%TZ))"
echo
echo "-- base images (local, tools/base-images)"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep '^todo-base/' | sort | sed 's/^/   /'

echo
echo "-- cold builds (no layer cache, empty pip/npm caches)"
if $quick; then
  echo "   skipped (--quick)"
else
  echo "   backend:  $(build backend-cold apps/backend-image/Dockerfile "todo-bench-backend:$run_id" "$py_base" "$py_builder" cold) s"
  echo "   frontend: $(build frontend-cold apps/frontend-image/Dockerfile "todo-bench-frontend:$run_id" "$node_base" "$node_builder" cold) s"
fi

echo
echo "-- rebuild after touching one source file (warm caches; target < 20 s for the backend)"
build backend-warm apps/backend-image/Dockerfile "todo-bench-backend:$run_id" "$py_base" "$py_builder" >/dev/null
echo "# bench $run_id" >>"$scratch/apps/backend/todo_api/main.py"
echo "   backend  (todo_api/main.py):   $(build backend-touch apps/backend-image/Dockerfile "todo-bench-backend:$run_id" "$py_base" "$py_builder") s"
build frontend-warm apps/frontend-image/Dockerfile "todo-bench-frontend:$run_id" "$node_base" "$node_builder" >/dev/null
page="$(ls "$scratch"/apps/frontend/app/page.tsx 2>/dev/null || ls "$scratch"/apps/frontend/app/layout.tsx)"
echo "// bench $run_id" >>"$page"
echo "   frontend (app/$(basename "$page")): $(build frontend-touch apps/frontend-image/Dockerfile "todo-bench-frontend:$run_id" "$node_base" "$node_builder") s"

echo
echo "-- app image sizes with the local bases (docker image ls; targets: backend <= 120MB, frontend <= 200MB)"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' "todo-bench-backend:$run_id" | sed "s/:$run_id/ (local bases)/; s/^/   /"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' "todo-bench-frontend:$run_id" | sed "s/:$run_id/ (local bases)/; s/^/   /"

echo
echo "-- no-op docker-build (inputs unchanged; target < 2 s)"
cd "$BI_REPO"
NX_DAEMON=false npx nx run backend-image:docker-build >/dev/null 2>&1 || die "nx run backend-image:docker-build failed"
for daemon in true false; do
  times=()
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    NX_DAEMON=$daemon npx nx run backend-image:docker-build >"$scratch/noop.log" 2>&1 || { cat "$scratch/noop.log" >&2; die "no-op run failed"; }
    t1=$(date +%s%N)
    grep -q 'nothing to build' "$scratch/noop.log" || die "expected a no-op, got a build: $(tail -5 "$scratch/noop.log")"
    times+=("$(secs "$t0" "$t1")")
  done
  executor=$(grep -o 'in [0-9.]*s; record' "$scratch/noop.log" | grep -o '[0-9.]*')
  echo "   nx run backend-image:docker-build, NX_DAEMON=$daemon: ${times[*]} s (the executor itself: ${executor} s)"
done
