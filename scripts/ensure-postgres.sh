#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Makes sure the PostgreSQL side of the tests has what it needs: the client
# tools (pg_isready, psql; the build needs no system libpq: it compiles its
# own) and a PostgreSQL server reachable at
# TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), started if it
# is installed but not running. Fails, rather than skipping, when the server
# cannot be reached: CI runs the PostgreSQL suite with REQUIRE_POSTGRES=1.
set -euo pipefail

SERVER_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
. "$(dirname "${BASH_SOURCE[0]}")/lib/postgres-url.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
ADMIN_URL=$(pg_url "$SERVER_URL" postgres)
SHOWN_URL=$(pg_url_shown "$SERVER_URL")

missing=()
command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
apt_install "${missing[@]}"

ready() { pg_isready -q -d "$ADMIN_URL"; }

if ! ready; then
  echo "ensure-postgres: no server answers at $SHOWN_URL; starting the local one"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    # Every local cluster that is down (Debian's layout: version and name).
    pg_lsclusters --no-header 2>/dev/null | while read -r version name _port status _rest; do
      if [ "$status" != online ]; then
        as_root pg_ctlcluster "$version" "$name" start || true
      fi
    done
  else
    as_root service postgresql start || true
  fi
  for _ in $(seq 1 30); do
    ready && break
    sleep 1
  done
fi

if ! ready; then
  echo "ensure-postgres: PostgreSQL is not reachable at $SHOWN_URL" >&2
  exit 1
fi
echo "ensure-postgres: PostgreSQL answers at $SHOWN_URL ($(psql "$ADMIN_URL" -Atc 'SHOW server_version'))"
