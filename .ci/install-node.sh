#!/usr/bin/env bash
# Installs the workspace's Node.js (the exact version in .nvmrc) and the npm it bundles, from the npm
# registry, into a cache directory keyed by version outside the checkout; prints its bin directory.
#
#   export PATH="$(bash .ci/install-node.sh):$PATH"      # what .ci/run does
#
# CI machines come with an older Node preinstalled and reach no download site, only package registries:
# the official Linux build is on the npm registry as node-linux-<arch> (bin/node only), npm as npm.
# `npm pack` (the preinstalled npm) fetches both and checks the registry's integrity hash. The npm version
# is the one tools/base-images pins for the same Node (NPM_VERSION, the npm that Node release bundles).
# Second run: nothing is fetched (about 0.1 s).
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(tr -d ' \nv' <.nvmrc)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "install-node: .nvmrc must hold an exact version like 26.12.1 (found '$version')" >&2; exit 1; }
npm_version="$(sed -n 's/^NPM_VERSION=//p' tools/base-images/versions.env)"
[ -n "$npm_version" ] || { echo "install-node: no NPM_VERSION in tools/base-images/versions.env" >&2; exit 1; }
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "install-node: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac

dir="${TODO_CACHE_DIR:-/var/cache/todo-platform}/node/v$version-npm$npm_version-linux-$arch"
if [ ! -x "$dir/bin/node" ] || [ ! -e "$dir/bin/npm" ]; then
  command -v npm >/dev/null || { echo "install-node: an npm is needed once to fetch node-linux-$arch@$version from the npm registry" >&2; exit 1; }
  mkdir -p "${dir%/*}"
  tmp="$(mktemp -d "${dir%/*}/.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "install-node: node-linux-$arch@$version and npm@$npm_version from the npm registry (once; cached in $dir)" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" "npm@$npm_version" >/dev/null)
  mkdir -p "$tmp/root/bin" "$tmp/root/lib/node_modules/npm"
  tar -xzf "$tmp/node-linux-$arch-$version.tgz" -C "$tmp" package/bin/node
  mv "$tmp/package/bin/node" "$tmp/root/bin/node"
  tar -xzf "$tmp/npm-$npm_version.tgz" --strip-components=1 -C "$tmp/root/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/root/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/root/bin/npx"
  [ "$("$tmp/root/bin/node" --version)" = "v$version" ] || { echo "install-node: the unpacked node is not v$version" >&2; exit 1; }
  rm -rf "$dir" && mv "$tmp/root" "$dir"
fi
echo "$dir/bin"
