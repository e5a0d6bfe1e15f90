#!/usr/bin/env bash
# Makes the Debian base image every other image starts from, and prints its tag.
#
# No container registry is reachable, so there is no `FROM debian`. Instead: debootstrap a minimal
# Debian root filesystem from Debian's package mirror (cached as a tarball), then `docker import` it.
#
#   scripts/build-base.sh   -> offline-kind.local/debian:bookworm-<key>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=minbase
key="$(key_of "$DEBIAN_SUITE" "$variant" "$DEBIAN_MIRROR")"
tag="offline-kind.local/debian:$DEBIAN_SUITE-$key"
tarball="$OK_CACHE/rootfs/$DEBIAN_SUITE-$variant-$key.tar"

if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap >&2
  }
  dir="$OK_CACHE/rootfs/$DEBIAN_SUITE-$variant-$key.dir"
  rm -rf "$dir" && mkdir -p "$OK_CACHE/rootfs"
  log "debootstrap $DEBIAN_SUITE ($variant) from $DEBIAN_MIRROR"
  timed "debootstrap" nice -n 10 debootstrap --variant="$variant" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" \
    >"$OK_CACHE/logs/debootstrap.log" 2>&1 || { tail -n 20 "$OK_CACHE/logs/debootstrap.log" >&2; die "debootstrap failed"; }
  # Smaller and reproducible-ish: no downloaded .debs, no apt lists (images run apt-get update themselves).
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
fi

log "importing $tarball as $tag"
"$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  "$tarball" "$tag" >/dev/null
echo "$tag"
