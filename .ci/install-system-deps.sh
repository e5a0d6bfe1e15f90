#!/usr/bin/env bash
# Installs the Debian packages the test suite needs on a fresh Debian 12 machine:
#   postgresql  - a real PostgreSQL server for the backend tests (the tests start their own instance)
#   chromium    - the browser the end-to-end tests drive through playwright-core
#   debootstrap - the root filesystems of the locally made base and kind node images
#   libatomic1  - linked by the Node 26 binary .ci/install-node.sh installs
# Idempotent: packages already present are not reinstalled.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v debootstrap >/dev/null || need+=(debootstrap)
ldconfig -p 2>/dev/null | grep -q 'libatomic\.so\.1 ' || need+=(libatomic1)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-system-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "install-system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Debian starts a default cluster when postgresql is installed; the tests don't use it.
echo "install-system-deps: ok (chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1); postgres: $(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | tr '\n' ' '))"
