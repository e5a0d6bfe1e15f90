#!/usr/bin/env bash
# Test-only stand-in for `registry:2` (no container registry is reachable on our CI machines): the CNCF
# Distribution registry built from the Go module proxy into a FROM-scratch image. Prints the image tag.
# Users never run this; their `--registry` pulls the official registry:2 image.
set -euo pipefail
ver=v3.0.0
cache="${TODO_CACHE_DIR:-/var/cache/todo-platform}"
dir="$cache/cluster-e2e/registry-$ver"
docker="${DOCKER:-/usr/bin/docker}"
tag="todo-cluster-e2e.local/registry:$ver"
if [ ! -x "$dir/registry" ]; then
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  echo "registry-image: building distribution/registry $ver from the Go module proxy (once; cached in $dir)" >&2
  GOBIN="$dir.tmp" GOFLAGS=-trimpath CGO_ENABLED=0 GOTOOLCHAIN=local GOCACHE="${GOCACHE:-$cache/go-build}" \
    GOMODCACHE="${GOMODCACHE:-$cache/go-mod}" nice -n 10 go install "github.com/distribution/distribution/v3/cmd/registry@$ver" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
if ! "$docker" image inspect "$tag" >/dev/null 2>&1; then
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  cp "$dir/registry" "$ctx/registry"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n' >"$ctx/config.yml"
  printf 'FROM scratch\nCOPY registry /bin/registry\nCOPY config.yml /etc/distribution/config.yml\nEXPOSE 5000\nENTRYPOINT ["/bin/registry", "serve", "/etc/distribution/config.yml"]\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$docker" build -q -t "$tag" "$ctx" >&2
fi
echo "$tag"
