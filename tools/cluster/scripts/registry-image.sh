#!/usr/bin/env bash
# The kind clusters' local registry on machines without a container registry (deploy-<env> --offline,
# and the tests): the CNCF Distribution registry that the official registry:3 image runs, built from the
# Go module proxy (scripts/go-tool.sh registry, pinned there) into a FROM-scratch image. Prints the
# image tag. With a container registry, the official image (tools/cluster/versions.json) is pulled.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="$(bash "$root/scripts/go-tool.sh" registry)"
ver="$(basename "$(dirname "$bin")")"   # registry-vX.Y.Z
docker="${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}"
tag="todo-offline.local/registry:${ver#registry-}"
if ! "$docker" image inspect "$tag" >/dev/null 2>&1; then
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  cp "$bin" "$ctx/registry"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\nlog:\n  accesslog:\n    disabled: false\n' >"$ctx/config.yml"
  printf 'FROM scratch\nCOPY registry /bin/registry\nCOPY config.yml /etc/distribution/config.yml\nEXPOSE 5000\nENTRYPOINT ["/bin/registry", "serve", "/etc/distribution/config.yml"]\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$docker" build -q -t "$tag" "$ctx" >&2
fi
echo "$tag"
