#!/usr/bin/env bash
# Prints the path of a pinned CLI tool built from the Go module proxy, building it first if missing.
#
# Why: no binary download site is reachable on our CI machines, but the Go module proxy is.
# Each tool is built once into a cache directory keyed by its version, outside the checkout,
# so CI runs and later sessions reuse it.
#
#   scripts/go-tool.sh helm3        -> /var/cache/todo-platform/go-tools/helm-v3.x.y/helm
#   TODO_CACHE_DIR=/somewhere scripts/go-tool.sh kind
set -euo pipefail

tool="${1:?usage: go-tool.sh <kind|helm3|helm4|kubeconform|registry>}"
cache="${TODO_CACHE_DIR:-/var/cache/todo-platform}"

ldflags=""
case "$tool" in
  kind)        pkg=sigs.k8s.io/kind;                          ver=v0.33.0; bin=kind ;;
  # Helm's release Makefile stamps its version and the Kubernetes version it assumes
  # offline (lint, template); a plain `go install` would report v3.22 and Kubernetes 1.20.
  helm3)       pkg=helm.sh/helm/v3/cmd/helm;                  ver=v3.22.0; bin=helm
               k8s="-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
               k8s+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
               ldflags="-X helm.sh/helm/v3/internal/version.version=$ver $k8s" ;;
  helm4)       pkg=helm.sh/helm/v4/cmd/helm;                  ver=v4.3.1;  bin=helm
               ldflags="-X helm.sh/helm/v4/internal/version.version=$ver" ;;
  kubeconform) pkg=github.com/yannh/kubeconform/cmd/kubeconform; ver=v0.7.0; bin=kubeconform ;;
  # The CNCF Distribution registry the official registry:3 image runs (the kind clusters' local
  # registry on machines without a container registry: tools/cluster/scripts/registry-image.sh).
  registry)    pkg=github.com/distribution/distribution/v3/cmd/registry; ver=v3.1.2; bin=registry ;;
  *) echo "go-tool.sh: unknown tool '$tool' (known: kind helm3 helm4 kubeconform registry)" >&2; exit 2 ;;
esac

dir="$cache/go-tools/$tool-$ver"
# Build flags are part of the cache key: changing them builds a new binary beside the old one.
[ -z "$ldflags" ] || dir="$dir-$(printf '%s' "$ldflags" | sha256sum | cut -c1-8)"
# Two callers may ask at once (parallel Nx tasks, a test beside a deploy): one builds, the other waits
# for it, so neither sees the half-moved directory of the other.
mkdir -p "$cache/go-tools"
exec 9>"$dir.lock"
flock 9
if [ ! -x "$dir/$bin" ]; then
  command -v go >/dev/null || { echo "go-tool.sh: Go is needed to build $tool $ver; install Go 1.24+ first" >&2; exit 1; }
  mkdir -p "$dir.tmp"
  echo "go-tool.sh: building $tool $ver from the Go module proxy (once; cached in $dir)" >&2
  GOBIN="$dir.tmp" GOFLAGS=-trimpath GOCACHE="${GOCACHE:-$cache/go-build}" GOMODCACHE="${GOMODCACHE:-$cache/go-mod}" \
    CGO_ENABLED=0 nice -n 10 go install -ldflags "$ldflags" "$pkg@$ver" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/$bin"
