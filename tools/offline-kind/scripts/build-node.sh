#!/usr/bin/env bash
# Builds everything that is missing and the kind node image itself; prints the node image tag.
# This is `nx run offline-kind:image`. On a warm machine every step is a cache hit (a few seconds).
#
#   scripts/build-node.sh   -> offline-kind.local/node:v1.34.4-<key>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S="$OK_ROOT/scripts"
"$DOCKER" info >/dev/null 2>&1 || die "docker is not running: run .ci/start-docker.sh first"

# Checks that the fixed files agree with versions.env (they are not templated).
grep -q "\"registry.k8s.io/pause:$PAUSE_IMAGE_TAG\"" "$OK_ROOT/node/files/etc/containerd/config.toml" \
  || die "node/files/etc/containerd/config.toml: sandbox image is not registry.k8s.io/pause:$PAUSE_IMAGE_TAG"
grep -q "k8s.io/kubernetes $K8S_VERSION" "$OK_ROOT/go/kubernetes/go.mod" || die "go/kubernetes/go.mod does not require k8s.io/kubernetes $K8S_VERSION"
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$OK_ROOT/go/etcd/go.mod" || die "go/etcd/go.mod is not at etcd $ETCD_VERSION"
grep -q "containerd/v2 $CONTAINERD_VERSION" "$OK_ROOT/go/containerd/go.mod" || die "go/containerd/go.mod is not at containerd $CONTAINERD_VERSION"
grep -q "traefik/v3 $TRAEFIK_VERSION" "$OK_ROOT/go/traefik/go.mod" || die "go/traefik/go.mod is not at traefik $TRAEFIK_VERSION"

base="$("$S/build-base.sh")"
k8s="$("$S/build-go.sh" kubernetes)"
containerd="$("$S/build-go.sh" containerd)"
runc="$("$S/build-go.sh" runc)"
crictl="$("$S/build-go.sh" crictl)"
cni="$("$S/build-go.sh" cni-plugins)"
components="$("$S/build-images.sh")"
mapfile -t tags <"$components.tags"
image_named() { printf '%s\n' "${tags[@]}" | grep -m1 "/$1:"; }

key="$(key_of "$base" "$k8s" "$containerd" "$runc" "$crictl" "$cni" "$components" \
  $(cd "$OK_ROOT" && find node manifests -type f | LC_ALL=C sort | sed "s|^|@$OK_ROOT/|"))"
tag="offline-kind.local/node:$K8S_VERSION-$key"

if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

log "building node image $tag"
ctx="$(mktemp -d "$OK_CACHE/tmp/node.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/bin" "$ctx/cni" "$ctx/images" "$ctx/manifests"
cp -a "$OK_ROOT/node/files" "$ctx/files"
link() { cp -l "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
for b in kubeadm kubelet kubectl; do link "$k8s/$b" "$ctx/bin/"; done
for b in containerd containerd-shim-runc-v2 ctr; do link "$containerd/$b" "$ctx/bin/"; done
link "$runc/runc" "$ctx/bin/"
link "$crictl/crictl" "$ctx/bin/"
for b in ptp loopback host-local portmap; do link "$cni/$b" "$ctx/cni/"; done
link "$components" "$ctx/images/components.tar"
sed -e "s|@KINDNET_IMAGE@|$(image_named kindnet-lite)|" "$OK_ROOT/manifests/default-cni.yaml" >"$ctx/manifests/default-cni.yaml"
sed -e "s|@LPP_IMAGE@|$(image_named local-path-provisioner)|" -e "s|@HELPER_IMAGE@|$(image_named busybox)|g" \
  "$OK_ROOT/manifests/default-storage.yaml" >"$ctx/manifests/default-storage.yaml"

timed "image:node" "$DOCKER" build -f "$OK_ROOT/node/Dockerfile" \
  --build-arg "BASE=$base" --build-arg "K8S_VERSION=$K8S_VERSION" \
  --label "offline-kind.key=$key" -t "$tag" "$ctx" >"$OK_CACHE/logs/image-node.log" 2>&1 \
  || { tail -n 40 "$OK_CACHE/logs/image-node.log" >&2; die "docker build of the node image failed (log: $OK_CACHE/logs/image-node.log)"; }

# Older node images are ~1 GB each: drop them (one still used by a cluster's node is kept by docker).
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' offline-kind.local/node | grep -vxF "$tag" \
  | xargs -r "$DOCKER" rmi >/dev/null 2>&1 || true
echo "$tag"
