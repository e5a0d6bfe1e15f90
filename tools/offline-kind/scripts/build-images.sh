#!/usr/bin/env bash
# Builds the component images the node preloads, tagged exactly as kubeadm v1.34 and our manifests
# expect, and saves them into one archive for the node image. Prints the archive's path.
#
# An image is rebuilt only when its key (Dockerfile + the recipe keys of its binaries + build args)
# differs from the offline-kind.key label of the image the daemon has under that tag.
#
#   scripts/build-images.sh            -> $OK_CACHE/images/components-<key>.tar
#   scripts/build-images.sh testkit    -> builds only the test workload image, prints its tag
#   scripts/build-images.sh metrics-server -> builds only the metrics-server image, prints its tag
#                                         (not preloaded by the node: cluster-up loads it, KIND_LOAD_IMAGES)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S="$OK_ROOT/scripts"
mkdir -p "$OK_CACHE/tmp" "$OK_CACHE/images" "$OK_CACHE/logs"

# build_image <tag> <dockerfile dir> <files...> [-- build args...]; files are copied into the context.
build_image() {
  local tag="$1" name="$2" dir="$OK_ROOT/images/$2" files=() args=() key ctx
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift && args=("$@")
  # Binaries live in directories named after their recipe key, so their paths stand for their content.
  key="$(key_of "@$dir/Dockerfile" "${files[@]}" "${args[@]}")"
  if [ "$("$DOCKER" image inspect -f '{{ index .Config.Labels "offline-kind.key" }}' "$tag" 2>/dev/null)" = "$key" ]; then
    return 0
  fi
  log "building image $tag"
  ctx="$(mktemp -d "$OK_CACHE/tmp/ctx.XXXXXX")"
  local f
  for f in "${files[@]}"; do cp -l "$f" "$ctx/" 2>/dev/null || cp "$f" "$ctx/"; done
  local bargs=()
  for f in "${args[@]}"; do bargs+=(--build-arg "$f"); done
  timed "image:$tag" "$DOCKER" build -q -f "$dir/Dockerfile" --label "offline-kind.key=$key" -t "$tag" \
    "${bargs[@]}" "$ctx" >"$OK_CACHE/logs/image-$name.log" 2>&1 \
    || { cat "$OK_CACHE/logs/image-$name.log" >&2; rm -rf "$ctx"; die "docker build of $tag failed"; }
  rm -rf "$ctx"
}

testkit_tag() {
  local bin
  bin="$("$S/build-go.sh" testkit)"
  local tag="offline-kind.local/testkit:$(basename "$bin" | sed 's/^testkit-//')"
  build_image "$tag" testkit "$bin/testkit"
  echo "$tag"
}

metrics_server_tag() {
  local bin tag="offline-kind.local/metrics-server:$METRICS_SERVER_VERSION"
  bin="$("$S/build-go.sh" metrics-server)"
  build_image "$tag" metrics-server "$bin/metrics-server"
  echo "$tag"
}

case "${1:-}" in
  testkit) testkit_tag; exit 0 ;;
  metrics-server) metrics_server_tag; exit 0 ;;
esac

base="$("$S/build-base.sh")"
k8s="$("$S/build-go.sh" kubernetes)"
etcd="$("$S/build-go.sh" etcd)"
coredns="$("$S/build-go.sh" coredns)"
lpp="$("$S/build-go.sh" local-path-provisioner)"
traefik="$("$S/build-go.sh" traefik)"
knl="$("$S/build-go.sh" kindnet-lite)"

# pause: a few lines of C, linked statically (gcc is on CI machines; Debian's build-essential otherwise).
pause_dir="$OK_CACHE/bin/pause-$(key_of "@$OK_ROOT/images/pause/pause.c" "$(gcc --version | head -1)")"
if [ ! -x "$pause_dir/pause" ]; then
  mkdir -p "$pause_dir.tmp"
  gcc -static -Os -Wall -o "$pause_dir.tmp/pause" "$OK_ROOT/images/pause/pause.c"
  strip "$pause_dir.tmp/pause"
  rm -rf "$pause_dir" && mv "$pause_dir.tmp" "$pause_dir"
fi

netbase="offline-kind.local/netbase:${base##*:}"
build_image "$netbase" netbase -- "BASE=$base"

# Tags: what kubeadm v1.34 deploys (kubeadm config images list), and our own names for the rest.
R=registry.k8s.io
tags=(
  "$R/kube-apiserver:$K8S_VERSION" "$R/kube-controller-manager:$K8S_VERSION" "$R/kube-scheduler:$K8S_VERSION"
  "$R/kube-proxy:$K8S_VERSION" "$R/etcd:$ETCD_IMAGE_TAG" "$R/coredns/coredns:$COREDNS_VERSION" "$R/pause:$PAUSE_IMAGE_TAG"
  "offline-kind.local/kindnet-lite:$(basename "$knl" | sed 's/^kindnet-lite-//')"
  "offline-kind.local/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION"
  "offline-kind.local/busybox:$DEBIAN_SUITE"
  "offline-kind.local/traefik:$TRAEFIK_VERSION"
)
for n in kube-apiserver kube-controller-manager kube-scheduler; do
  build_image "$R/$n:$K8S_VERSION" kube-binary "$k8s/$n" -- "NAME=$n"
done
build_image "$R/kube-proxy:$K8S_VERSION" kube-proxy "$k8s/kube-proxy" -- "NETBASE=$netbase"
build_image "$R/etcd:$ETCD_IMAGE_TAG" etcd "$etcd/etcd" "$etcd/etcdctl" "$etcd/etcdutl"
build_image "$R/coredns/coredns:$COREDNS_VERSION" coredns "$coredns/coredns"
build_image "$R/pause:$PAUSE_IMAGE_TAG" pause "$pause_dir/pause"
build_image "${tags[7]}" kindnet-lite "$knl/kindnet-lite" -- "NETBASE=$netbase"
build_image "${tags[8]}" local-path-provisioner "$lpp/local-path-provisioner"
build_image "${tags[9]}" busybox -- "BASE=$base"
build_image "${tags[10]}" traefik "$traefik/traefik"

# One archive for all of them: layers shared between images (netbase) are stored once.
ids=()
for t in "${tags[@]}"; do ids+=("$t=$("$DOCKER" image inspect -f '{{.Id}}' "$t")"); done
archive="$OK_CACHE/images/components-$(key_of "${ids[@]}").tar"
if [ ! -f "$archive" ]; then
  log "saving ${#tags[@]} component images to $archive"
  timed "save-components" "$DOCKER" save -o "$archive.tmp" "${tags[@]}"
  mv "$archive.tmp" "$archive"
  # Older archives (~0.9 GB each) are never used again.
  find "$OK_CACHE/images" -name 'components-*.tar*' ! -name "$(basename "$archive")*" -delete
fi
# The manifests need the names of our own images; the node build reads them from here.
printf '%s\n' "${tags[@]}" >"$archive.tags"
echo "$archive"
