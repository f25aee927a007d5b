#!/usr/bin/env bash
# Start a throw-away PostgreSQL for the history tests and print the URL to use.
# Idempotent: installs Debian's postgresql package only if missing, reuses a running cluster.
# Writes REGWARDEN_TEST_PG_URL=... to $REGWARDEN_PG_ENV_FILE (default /tmp/regwarden-pg/env);
# `set -a; . /tmp/regwarden-pg/env; set +a` before pytest (tests also read that file themselves).
set -euo pipefail

BASE="${REGWARDEN_PG_DIR:-/tmp/regwarden-pg}"
PORT="${REGWARDEN_PG_PORT:-54329}"
ENV_FILE="${REGWARDEN_PG_ENV_FILE:-$BASE/env}"
DB=regwarden_test
ROLE=regwarden
URL="postgresql://${ROLE}@127.0.0.1:${PORT}/${DB}"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(bindir)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-postgres: postgresql is not installed and this is not root; cannot install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
BIN="$(bindir)"

# PostgreSQL refuses to run as root: run it as the postgres user the package created.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$BASE" postgres
  RUN_AS=(runuser -u postgres --)
fi

mkdir -p "$BASE"
[ "$(id -u)" -eq 0 ] && chown postgres "$BASE"

if [ ! -f "$BASE/data/PG_VERSION" ]; then
  "${RUN_AS[@]}" "$BIN/initdb" -D "$BASE/data" -U postgres --auth=trust --encoding=UTF8 >/dev/null
fi

if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
  # A server killed with the session leaves its pid and socket lock files behind: clear them.
  rm -f "$BASE/data/postmaster.pid" "$BASE/.s.PGSQL.$PORT" "$BASE/.s.PGSQL.$PORT.lock"
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE -c fsync=off" start >/dev/null
fi

psql() { "${RUN_AS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

# Wait until it answers; a server whose predecessor was just killed may need a second start.
for _ in $(seq 1 30); do
  psql -c "SELECT 1" >/dev/null 2>&1 && break
  if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
    rm -f "$BASE/data/postmaster.pid" "$BASE/.s.PGSQL.$PORT" "$BASE/.s.PGSQL.$PORT.lock"
    "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE -c fsync=off" start >/dev/null || true
  fi
  sleep 1
done
if [ "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" != "1" ]; then
  psql -c "CREATE ROLE $ROLE LOGIN"
fi
if [ "$(psql -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
  psql -c "CREATE DATABASE $DB OWNER $ROLE"
fi

mkdir -p "$(dirname "$ENV_FILE")"
echo "REGWARDEN_TEST_PG_URL=$URL" > "$ENV_FILE"
echo "REGWARDEN_TEST_PG_URL=$URL"
