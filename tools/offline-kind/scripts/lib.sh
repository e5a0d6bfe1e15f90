# Shared settings for the offline-kind scripts. Source it; it defines paths and small helpers only.
#
# Cache layout (outside the checkout, survives between CI runs on the same machine):
#   ${TODO_CACHE_DIR:-/var/cache/todo-platform}/
#     go-build/, go-mod/            Go build and module caches (shared with scripts/go-tool.sh)
#     offline-kind/bin/<component>-<key>/     binaries, one directory per recipe key
#     offline-kind/rootfs/<suite>-minbase-<key>.tar   debootstrap root filesystem
#     offline-kind/images/<name>-<key>.tar            `docker save` archives preloaded into the node
#     offline-kind/logs/            build logs (the last one per component)

OK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # tools/offline-kind
OK_REPO="$(cd "$OK_ROOT/../.." && pwd)"
OK_CACHE_ROOT="${TODO_CACHE_DIR:-/var/cache/todo-platform}"
OK_CACHE="$OK_CACHE_ROOT/offline-kind"
# shellcheck source=../versions.env
. "$OK_ROOT/versions.env"

export GOCACHE="${GOCACHE:-$OK_CACHE_ROOT/go-build}"
export GOMODCACHE="${GOMODCACHE:-$OK_CACHE_ROOT/go-mod}"
export GOTOOLCHAIN=local            # never download a Go toolchain; Go 1.26 builds every pinned component
export PATH="$PATH:/usr/local/go/bin"

# The test cluster has a name and ports of its own, so it never meets the app's cluster ("todo", on
# 127.0.0.1:80/443, made by `nx run todo:deploy-local`): the two README commands run in either order.
# Its own variable, not KIND_CLUSTER_NAME, which a user may have exported for the app's cluster.
CLUSTER_NAME="${OFFLINE_KIND_CLUSTER_NAME:-todo-test}"
HTTP_PORT="${OFFLINE_KIND_HTTP_PORT:-18180}"
HTTPS_PORT="${OFFLINE_KIND_HTTPS_PORT:-18543}"
mkdir -p "$OK_CACHE/logs" "$OK_CACHE/tmp"

# The Docker client, log/die, the Debian mirror, key_of and have_image (scripts/build-lib.sh). Files
# are keyed by content alone (no KEY_PATHS_FROM), as the cached binaries and node images were.
BUILD_LIB_NAME=offline-kind BUILD_LIB_REPO="$OK_REPO"
# shellcheck source=../../../scripts/build-lib.sh
. "$OK_REPO/scripts/build-lib.sh"

# Measures a step: `timed <label> <command...>` appends "<label> <seconds>" to $OK_CACHE/logs/timings.
timed() {
  local label="$1" start rc=0
  shift
  start=$(date +%s)
  "$@" || rc=$?
  mkdir -p "$OK_CACHE/logs"
  echo "$(date -u +%FT%TZ) $label $(( $(date +%s) - start ))s rc=$rc" >>"$OK_CACHE/logs/timings"
  return $rc
}

# Refuses the app's cluster name and ports: a test must never touch the user's cluster or bind its ports.
guard_test_cluster() {
  case "$CLUSTER_NAME" in todo) die "OFFLINE_KIND_CLUSTER_NAME=todo is the app's cluster (nx run todo:deploy-local); pick another name" ;; esac
  local p
  for p in "$HTTP_PORT" "$HTTPS_PORT"; do
    case "$p" in 80 | 443) die "port $p belongs to the app's cluster (nx run todo:deploy-local); pick another OFFLINE_KIND_HTTP_PORT/OFFLINE_KIND_HTTPS_PORT" ;; esac
  done
}

kind_bin() { "$OK_REPO/scripts/go-tool.sh" kind; }
