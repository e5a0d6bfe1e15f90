#!/usr/bin/env bash
# Creates apps/backend/.venv if missing and installs requirements-dev.txt into it, but only when the
# requirement files changed since the last successful install (a sha256 stamp inside .venv), so a
# no-op run takes a fraction of a second. Safe to run concurrently (flock) and any number of times.
#
# Environment: PYTHON (default: python3.11 if present, else python3), must be Python >= 3.11.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"

say() { echo "backend:setup: $*" >&2; }

if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

want="$(cat "$here/requirements.txt" "$here/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  say "venv up to date ($venv)"
  exit 0
fi

mkdir -p "$venv"
exec 9>"$venv/.setup.lock"
flock 9
# Another run may have finished the work while we waited for the lock.
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "venv up to date ($venv)"
  exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  say "need Python >= 3.11 as \$PYTHON or python3 (found: $("$PYTHON" --version 2>&1 || echo none))"
  exit 1
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  say "creating venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv --clear "$venv"
  exec 9>"$venv/.setup.lock"  # --clear removed the lock file's directory entry; reopen it
  flock 9
fi
rm -f "$stamp"
say "installing requirements-dev.txt"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$here/requirements-dev.txt"
echo "$want" >"$stamp"
say "done"
