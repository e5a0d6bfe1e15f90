#!/usr/bin/env bash
# Wall time of `nx affected -t lint test build` for a one-file frontend change versus
# `nx run-many -t lint test build` on the whole workspace, both with a cold (empty) Nx cache.
# Not a test: prints figures. Usage: bash tools/workspace-tests/bench/affected-vs-all.sh
#
# Method: one throwaway git copy of the workspace (tracked + untracked-not-ignored files,
# node_modules hard-linked and the backend virtualenv symlinked so neither run pays for installs), a base
# commit and a commit that appends a comment to one frontend component. Each run gets its own empty
# NX_CACHE_DIRECTORY, no daemon, and runs with the tree at the change commit.
# EXCLUDE (default: offline-kind, whose test starts a real kind cluster for minutes and is never
# cached) is left out of both runs; set EXCLUDE= to include everything.
set -euo pipefail
ws="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
EXCLUDE="${EXCLUDE-offline-kind}"
copy="$(mktemp -d /tmp/ws-bench-XXXXXX)"
trap '[ -n "${KEEP_WS_COPY:-}" ] || rm -rf "$copy"' EXIT

cd "$ws"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] && { mkdir -p "$copy/$(dirname "$f")"; cp -P "$f" "$copy/$f"; }
done
cp -al "$ws/node_modules" "$copy/node_modules" # hard links: Turbopack refuses a symlinked node_modules
[ -d "$ws/apps/frontend/node_modules" ] && cp -al "$ws/apps/frontend/node_modules" "$copy/apps/frontend/node_modules"
[ -d "$ws/apps/backend/.venv" ] && ln -s "$ws/apps/backend/.venv" "$copy/apps/backend/.venv"

cd "$copy"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NEXT_TELEMETRY_DISABLED=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
git init -q -b main && git add -A && git commit -q --no-verify -m base
base="$(git rev-parse HEAD)"
echo '// bench: one-file change' >> apps/frontend/components/TaskItem.tsx
git commit -q --no-verify -am 'one frontend file'
head="$(git rev-parse HEAD)"

exclude=()
[ -n "$EXCLUDE" ] && exclude=(--exclude="$EXCLUDE")

run() { # label, nx args...
  local label="$1"; shift
  export NX_CACHE_DIRECTORY="$copy/.nx/cache-$label" NX_WORKSPACE_DATA_DIRECTORY="$copy/.nx/data-$label"
  rm -rf "$NX_CACHE_DIRECTORY" "$NX_WORKSPACE_DATA_DIRECTORY" "$copy/apps/frontend/.next" "$copy/reports"
  local start end status=0
  start=$(date +%s.%N)
  npx nx "$@" "${exclude[@]}" --output-style=static >"$copy/$label.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  local tasks
  tasks=$(grep -Eo 'Successfully ran targets? .*|Ran targets? .*' "$copy/$label.log" | tail -1 || true)
  printf '%-9s %7.1f s  exit %s  %s\n' "$label" "$(echo "$end - $start" | bc)" "$status" "$tasks" >&2
  echo "$end - $start" | bc
}

echo "affected projects: $(npx nx show projects --affected --base="$base" --head="$head" "${exclude[@]}" | sort | tr '\n' ' ')" >&2
t_aff=$(run affected affected -t lint test build --base="$base" --head="$head")
t_all=$(run all run-many -t lint test build)
printf 'affected (one frontend file): %.1f s\nrun-many (whole workspace):   %.1f s\nratio affected/all: %.2f  (speed-up %.1fx)\n' \
  "$t_aff" "$t_all" "$(echo "$t_aff / $t_all" | bc -l)" "$(echo "$t_all / $t_aff" | bc -l)"
