#!/usr/bin/env bash
# Builds one component's binaries from the Go module proxy, once, and prints their directory.
#
#   scripts/build-go.sh kubernetes   -> $OK_CACHE/bin/kubernetes-<key>/{kubeadm,kubelet,...}
#
# The key hashes the recipe (versions, packages, flags), the Go version and, for wrapper modules,
# their go.mod/go.sum/sources; a directory that exists is complete (it is renamed into place last).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

component="${1:?usage: build-go.sh <component>}"
cgo=0 tags="" ldflags="-s -w" module="" install="" pkgs=() names=()

# Version variables every Kubernetes component reads; kubeadm compares gitVersion with the cluster's.
k8s_ldflags() {
  local v="$K8S_VERSION" minor kv
  minor="$(cut -d. -f2 <<<"$v")"
  for kv in "gitVersion=$v" "gitMajor=1" "gitMinor=$minor" "gitTreeState=clean" \
            "gitCommit=0000000000000000000000000000000000000000" "buildDate=$K8S_BUILD_DATE"; do
    printf ' -X k8s.io/component-base/version.%s -X k8s.io/client-go/pkg/version.%s' "$kv" "$kv"
  done
}

case "$component" in
  kubernetes)
    module=kubernetes tags="selinux,notest,grpcnotrace" ldflags="-s -w$(k8s_ldflags)"
    names=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
    for n in "${names[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done ;;
  etcd)
    module=etcd ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}"
    pkgs=(go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3)
    names=(etcd etcdctl etcdutl) ;;
  traefik)
    module=traefik
    ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v} -X github.com/traefik/traefik/v3/pkg/version.Codename=offline"
    pkgs=(github.com/traefik/traefik/v3/cmd/traefik) names=(traefik) ;;
  coredns)
    install="$COREDNS_VERSION" pkgs=(github.com/coredns/coredns) names=(coredns)
    ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_VERSION}" ;;
  containerd)
    module=containerd tags="no_btrfs"
    ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_VERSION} -X github.com/containerd/containerd/v2/version.Revision=${CONTAINERD_VERSION}"
    names=(containerd containerd-shim-runc-v2 ctr)
    for n in "${names[@]}"; do pkgs+=("github.com/containerd/containerd/v2/cmd/$n"); done ;;
  runc)
    # runc needs cgo and libseccomp for seccomp profiles (RuntimeDefault, required by PSS restricted).
    # Linked statically so the node image does not depend on a libseccomp version.
    install="$RUNC_VERSION" cgo=1 tags="seccomp urfave_cli_no_docs netgo osusergo"
    ldflags="-s -w -X main.version=${RUNC_VERSION#v} -X main.gitCommit=${RUNC_VERSION} -extldflags=-static"
    pkgs=(github.com/opencontainers/runc) names=(runc)
    [ -f /usr/include/seccomp.h ] || {
      log "installing libseccomp-dev (needed to build runc)"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q libseccomp-dev >&2
    } ;;
  crictl)
    install="$CRICTL_VERSION" ldflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION#v}"
    pkgs=(sigs.k8s.io/cri-tools/cmd/crictl) names=(crictl) ;;
  cni-plugins)
    install="$CNI_PLUGINS_VERSION"
    ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${CNI_PLUGINS_VERSION}"
    names=(ptp loopback host-local portmap)
    pkgs=(github.com/containernetworking/plugins/plugins/main/ptp github.com/containernetworking/plugins/plugins/main/loopback
          github.com/containernetworking/plugins/plugins/ipam/host-local github.com/containernetworking/plugins/plugins/meta/portmap) ;;
  local-path-provisioner)
    install="$LOCAL_PATH_PROVISIONER_VERSION" pkgs=(github.com/rancher/local-path-provisioner) names=(local-path-provisioner)
    ldflags="-s -w -X main.VERSION=${LOCAL_PATH_PROVISIONER_VERSION}" ;;
  metrics-server)
    # Its go.mod has no replace directives, so `go install` builds it; the version variables are its Makefile's
    # (client-go's, which `metrics-server --version` prints).
    install="$METRICS_SERVER_VERSION" pkgs=(sigs.k8s.io/metrics-server/cmd/metrics-server) names=(metrics-server)
    ldflags="-s -w -X k8s.io/client-go/pkg/version.gitVersion=${METRICS_SERVER_VERSION} -X k8s.io/client-go/pkg/version.gitCommit=${METRICS_SERVER_VERSION} -X k8s.io/client-go/pkg/version.buildDate=1970-01-01T00:00:00Z" ;;
  kindnet-lite|testkit)
    # Our own small programs (go/kindnet-lite, go/testkit).
    module="$component" pkgs=(.) names=("$component") ;;
  *) die "build-go.sh: unknown component '$component'" ;;
esac

recipe=("$component" "$install" "$cgo" "$tags" "$ldflags" "${pkgs[@]}" "$(go version)")
if [ -n "$module" ]; then
  for f in $(cd "$OK_ROOT/go/$module" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort); do
    recipe+=("$f" "@$OK_ROOT/go/$module/$f")
  done
fi
out="$OK_CACHE/bin/$component-$(key_of "${recipe[@]}")"

# One build per recipe at a time (parallel Nx targets, or a CI run beside a developer's build).
mkdir -p "$OK_CACHE/bin"
exec 9>"$out.lock"
flock 9
if [ ! -d "$out" ]; then
  log "building $component ${install:-(wrapper module go/$module)} -> $out"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp" "$OK_CACHE/logs"
  export CGO_ENABLED="$cgo" GOFLAGS="-trimpath"
  start=$(date +%s)
  build_one() { # <package> <binary name>
    if [ -n "$install" ]; then
      # `go install pkg@version` builds outside any module; GOBIN collects the binary.
      GOBIN="$out.tmp/gobin" nice -n 10 go install -tags "$tags" -ldflags "$ldflags" "$1@$install"
      mv "$out.tmp/gobin/"* "$out.tmp/$2" && rmdir "$out.tmp/gobin"
    else
      (cd "$OK_ROOT/go/$module" && nice -n 10 go build -mod=readonly -tags "$tags" -ldflags "$ldflags" -o "$out.tmp/$2" "$1")
    fi
  }
  for i in "${!pkgs[@]}"; do
    build_one "${pkgs[$i]}" "${names[$i]}" >>"$OK_CACHE/logs/build-$component.log" 2>&1 \
      || { tail -n 40 "$OK_CACHE/logs/build-$component.log" >&2; die "building $component failed (log: $OK_CACHE/logs/build-$component.log)"; }
  done
  echo "$(date -u +%FT%TZ) go:$component $(( $(date +%s) - start ))s" >>"$OK_CACHE/logs/timings"
  mv "$out.tmp" "$out"
fi
echo "$out"
