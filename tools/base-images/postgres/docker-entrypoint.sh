#!/bin/bash
# Entrypoint of todo-base/postgres (tools/base-images): the parts of the official postgres image's
# interface that charts/todo uses, written for this stand-in.
#
#   POSTGRES_PASSWORD      superuser password (required unless POSTGRES_HOST_AUTH_METHOD=trust)
#   POSTGRES_USER          superuser name (default postgres)
#   POSTGRES_DB            database created on first start (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS   extra initdb arguments
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for TCP connections (default scram-sha-256)
#   POSTGRES_{PASSWORD,USER,DB,INITDB_ARGS}_FILE  read the value from a file (Docker/Kubernetes secrets)
#   PGDATA                 data directory (default /var/lib/postgresql/<major>/docker, the 18+ layout)
#
# As the official 18+ image does, an empty default PGDATA next to data of another layout or major
# (/var/lib/postgresql/data, /var/lib/postgresql itself, /var/lib/postgresql/<other>/docker) is an
# error, not a fresh initdb over a volume the user meant to keep: that data needs pg_upgrade first.
#
# With an empty PGDATA: initdb (scram-sha-256 passwords), then a temporary server on the unix socket
# only (so TCP readiness stays false) creates POSTGRES_DB and runs /docker-entrypoint-initdb.d/*.sql,
# *.sql.gz and *.sh; then stops. With a PG_VERSION in PGDATA the initialisation is skipped. Finally the
# server is exec'ed: it is PID 1 and gets the stop signal (SIGINT, the image's STOPSIGNAL) directly.
# Started as root, it prepares the directories and re-executes itself as postgres (999:999).
set -Eeuo pipefail

say() { printf '%s entrypoint: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# "docker run IMAGE -c max_connections=50": options go to postgres.
if [ "$#" -eq 0 ] || [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi
# Anything but the server (psql, pg_dump, sh, ...) runs as given.
if [ "$1" != postgres ]; then
  exec "$@"
fi

: "${PG_MAJOR:?the image sets PG_MAJOR}"
: "${PGDATA:=/var/lib/postgresql/$PG_MAJOR/docker}"
export PGDATA

# VAR or VAR_FILE (not both), as the official entrypoint's file_env.
file_env() {
  local var="$1" file="${1}_FILE" def="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then fail "both $var and $file are set (they are exclusive)"; fi
  if [ -n "${!file:-}" ]; then
    [ -r "${!file}" ] || fail "$file=${!file} is not a readable file"
    export "$var"="$(<"${!file}")"
  elif [ -z "${!var:-}" ] && [ -n "$def" ]; then
    export "$var"="$def"
  fi
  unset "$file"
}
socket_dir=/var/run/postgresql

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" "$socket_dir"
  chown postgres:postgres "$PGDATA" "$socket_dir"
  chmod 0700 "$PGDATA"
  chmod 3777 "$socket_dir"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# initdb and postgres refuse a uid without a passwd entry; the image has postgres as 999.
getent passwd "$(id -u)" >/dev/null \
  || fail "uid $(id -u) has no passwd entry; run as 999:999 (the image's postgres user)"

mkdir -p "$PGDATA" 2>/dev/null || fail "cannot create PGDATA $PGDATA as uid $(id -u); the volume must be writable by it"
[ -O "$PGDATA" ] || fail "PGDATA $PGDATA is owned by uid $(stat -c %u "$PGDATA"), not by the running uid $(id -u)"
chmod 0700 "$PGDATA" || true
[ -w "$socket_dir" ] || fail "$socket_dir is not writable by uid $(id -u); mount a writable volume there"

run_sql() { # psql as the superuser over the socket of the temporary server
  psql -X -v ON_ERROR_STOP=1 --no-password --no-psqlrc --host "$socket_dir" --username "$POSTGRES_USER" "$@"
}

initialise() {
  local auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" db="${POSTGRES_DB:-$POSTGRES_USER}" f
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    fail "the database is uninitialised and POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust, never in production)"
  fi
  say "initialising $PGDATA (user $POSTGRES_USER, database $db, host auth $auth)"
  # The password reaches initdb through a pipe, never a file or the command line.
  local pwfile=()
  [ -n "${POSTGRES_PASSWORD:-}" ] && pwfile=(--pwfile=/dev/stdin)
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments
  printf '%s\n' "${POSTGRES_PASSWORD:-}" \
    | initdb --username="$POSTGRES_USER" "${pwfile[@]}" --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >&2
  # Clients from other hosts (pods) too, by password; initdb's own lines cover loopback.
  printf '\n# todo-base/postgres: TCP connections from anywhere\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  say "temporary server (unix socket only)"
  pg_ctl --silent --wait --timeout=60 --pgdata="$PGDATA" \
    --options="-c listen_addresses='' -c unix_socket_directories=$socket_dir" start >&2
  if [ "$db" != postgres ]; then
    run_sql --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";' >&2
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) say "running $f"; . "$f" ;;
      *.sql) say "running $f"; run_sql --dbname "$db" -f "$f" >&2 ;;
      *.sql.gz) say "running $f"; gunzip -c "$f" | run_sql --dbname "$db" >&2 ;;
      *) say "ignoring $f" ;;
    esac
  done
  pg_ctl --silent --wait --timeout=60 --pgdata="$PGDATA" --mode=fast stop >&2
  say "initialisation complete; starting the server"
}

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB
file_env POSTGRES_INITDB_ARGS
if [ -s "$PGDATA/PG_VERSION" ]; then
  say "$PGDATA holds a PostgreSQL $(cat "$PGDATA/PG_VERSION") database; skipping initialisation"
else
  if [ "$PGDATA" = "/var/lib/postgresql/$PG_MAJOR/docker" ]; then
    old=()
    for d in /var/lib/postgresql /var/lib/postgresql/data /var/lib/postgresql/*/docker; do
      [ -s "$d/PG_VERSION" ] && old+=("$d (PostgreSQL $(cat "$d/PG_VERSION"))")
    done
    if [ ${#old[@]} -gt 0 ]; then
      fail "PostgreSQL $PG_MAJOR keeps its data in $PGDATA, but the volume holds data of another layout or major: ${old[*]}. Upgrade it with pg_upgrade (or dump with the old major and restore into this one), or set PGDATA to that directory if it is already $PG_MAJOR; see charts/todo/README.md (PostgreSQL upgrades)"
    fi
  fi
  initialise
fi
unset POSTGRES_PASSWORD
exec "$@"
