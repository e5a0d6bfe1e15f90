# Helpers the offline build scripts share (tools/base-images/scripts/lib.sh and
# tools/offline-kind/scripts/lib.sh source this after setting their own names). Source it; it defines
# the Docker client, the Debian mirrors and small functions only.
#
#   BUILD_LIB_NAME      the prefix of log and error lines (base-images, offline-kind)
#   BUILD_LIB_REPO      the workspace root
#   KEY_PATHS_FROM      optional: key_of also hashes an @file's path relative to this folder
#
# Nothing here is hashed into an image's key (the keys hash the recipes: versions, Dockerfiles, the
# scripts that build, the files that go in), so moving a helper here rebuilds nothing; key_of itself
# gives exactly the keys the two copies gave (see KEY_PATHS_FROM).

# Debian's docker client: the newer /usr/local/bin/docker on PATH has no buildx, and BuildKit is needed.
# Override with DOCKER=...
DOCKER="${DOCKER:-/usr/bin/docker}"
[ -x "$DOCKER" ] || DOCKER="$(command -v docker || echo docker)"
export DOCKER_BUILDKIT=1

log() { echo "$BUILD_LIB_NAME: $*" >&2; }
die() { echo "$BUILD_LIB_NAME: error: $*" >&2; exit 1; }

# DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR: this machine's own apt sources (or TODO_DEBIAN_MIRROR /
# TODO_DEBIAN_SECURITY_MIRROR), never a host written in the repository. The builds key on the values,
# so the same mirror finds the same cached root filesystem.
BUILD_LIB_MIRRORS="$(bash "$BUILD_LIB_REPO/scripts/debian-mirror.sh")" || die "no Debian mirror to build from (see the message above)"
eval "$BUILD_LIB_MIRRORS"

# Short content key of its arguments: strings, or files when prefixed with @. With KEY_PATHS_FROM set
# (base-images), a file is also keyed by its path inside the repository (not where the checkout lives:
# every clone must find the same images); offline-kind keys files by content alone, as it always has
# (adding the path would change every cached key and rebuild the node image, ~20 minutes).
key_of() {
  local a
  for a in "$@"; do
    if [ "${a#@}" != "$a" ]; then
      if [ -n "${KEY_PATHS_FROM:-}" ]; then printf '%s\n' "${a#@"$KEY_PATHS_FROM"/}"; fi
      cat "${a#@}"
    else
      printf '%s\n' "$a"
    fi
  done | sha256sum | cut -c1-12
}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
