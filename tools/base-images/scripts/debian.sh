#!/usr/bin/env bash
# The Debian root every base image starts from, as a local image; prints its tag.
#
# No container registry is reachable, so there is no `FROM debian`: debootstrap a minbase root
# filesystem from Debian's package mirror (cached as a tarball), then `docker import` it.
#
#   scripts/debian.sh          -> todo-base/debian:<DEBIAN_SUITE>-<key>
#   scripts/debian.sh forky    -> another suite (the PostgreSQL stand-in's)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEBIAN_SUITE="${1:-$DEBIAN_SUITE}"

variant=minbase
key="$(key_of "$DEBIAN_SUITE" "$variant" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" "$DEBIAN_REFRESH" "@$BI_ROOT/scripts/debian.sh")"
tag="todo-base/debian:$DEBIAN_SUITE-$key"
tarball="$BI_CACHE/rootfs/$DEBIAN_SUITE-$variant-$key.tar"

if have_image "$tag"; then
  echo "$tag"
  exit 0
fi

if [ ! -f "$tarball" ]; then
  if ! command -v debootstrap >/dev/null; then
    [ "$(id -u)" = 0 ] || die "debootstrap is missing; install it: sudo apt-get install -y debootstrap"
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap >&2
  fi
  [ "$(id -u)" = 0 ] || die "debootstrap needs root (it creates device nodes and chroots); run as root or use a machine with registry access"
  dir="$BI_CACHE/rootfs/$DEBIAN_SUITE-$variant-$key.dir"
  rm -rf "$dir"
  log "debootstrap $DEBIAN_SUITE ($variant) from $DEBIAN_MIRROR (once; cached in $tarball)"
  # A debootstrap older than the suite has no script for it; testing's is sid's.
  script=()
  [ -e "/usr/share/debootstrap/scripts/$DEBIAN_SUITE" ] || script=(/usr/share/debootstrap/scripts/sid)
  logged "debootstrap-$DEBIAN_SUITE" debootstrap --variant="$variant" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" "${script[@]}"
  # The suite plus its updates and security pockets, in deb822 form (what the images' apt reads).
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_SECURITY_MIRROR
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Small: no docs, man pages or translations now, and none from later installs (dpkg path-exclude);
  # copyright files stay. No downloaded .debs and no apt lists: every image runs apt-get update itself.
  printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*' \
    'path-exclude=/usr/share/lintian/*' >"$dir/etc/dpkg/dpkg.cfg.d/01-todo-nodoc"
  find "$dir/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$dir/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* "$dir"/usr/share/lintian/*
  rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir"/var/cache/debconf/*-old
  tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
  # Tarballs of earlier keys are no longer used.
  find "$BI_CACHE/rootfs" -maxdepth 1 -name "$DEBIAN_SUITE-$variant-*.tar" ! -name "$(basename "$tarball")" -delete
fi

log "importing $tarball as $tag"
"$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  "$tarball" "$tag" >/dev/null
echo "$tag"
