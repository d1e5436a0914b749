#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with schemathesis,
# every check on, and fails on any finding.
#
#   scripts/schemathesis.sh [--backend sqlite|postgres] [--max-examples N] [--seed N]
#
# Installs schemathesis (pinned, from PyPI) into a venv under target/, builds
# the debug binary (`cargo test` has usually built it already), starts it on
# a free port with a fresh database (a temporary SQLite file, or a database of
# its own on the PostgreSQL server at TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432, dropped afterwards), waits for /healthz,
# makes an account and a write token for it (`users create`, `tokens create`),
# runs every phase
# (examples, coverage, fuzzing, stateful) with every check, and stops the
# server. The seed is fixed so a CI run is reproducible; pass --seed to
# explore other cases. Also fails if the server panicked. The few expected
# departures from schemathesis' defaults are in scripts/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
max_examples=300
seed=20261122
backend=sqlite
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --max-examples) max_examples=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# Wherever cargo builds (CARGO_TARGET_DIR, or target/ by default).
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
venv="$target_dir/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --locked --quiet --bin student-registry
bin="$target_dir/debug/student-registry"

work=$(mktemp -d)
server_pid=""
pg_server=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
. scripts/lib/postgres-url.sh
pg_database=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_database" ]; then
    psql -q "$(pg_url "$pg_server" postgres)" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$backend" in
  sqlite) database_url="$work/schemathesis.db" ;;
  postgres)
    pg_database="schemathesis_$$"
    psql -q "$(pg_url "$pg_server" postgres)" -c "CREATE DATABASE $pg_database"
    database_url=$(pg_url "$pg_server" "$pg_database")
    ;;
  *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
esac
echo "schemathesis: the API on $backend" >&2

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
DATABASE_URL="$database_url" HOST=127.0.0.1 PORT=$port RUST_LOG=warn \
  SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') \
  "$bin" serve > "$work/server.log" 2>&1 &
server_pid=$!

healthy() {
  python3 - "$base/healthz" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except Exception:
    sys.exit(1)
PY
}
for _ in $(seq 1 100); do
  healthy && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server exited" >&2; exit 1; }
  sleep 0.2
done
healthy || { cat "$work/server.log" >&2; echo "the server did not become healthy" >&2; exit 1; }

# The API needs a token: an editor account (its password random, never
# used) and a write token, made as an operator would.
python3 -c 'import secrets; print(secrets.token_urlsafe(24))' |
  DATABASE_URL="$database_url" RUST_LOG=warn "$bin" users create --email schemathesis@example.com \
    --name Schemathesis --role editor --password-stdin >&2
token=$(DATABASE_URL="$database_url" RUST_LOG=warn "$bin" tokens create \
  --email schemathesis@example.com --name schemathesis --scope write)

# One worker: schemathesis' hypothesis backend is not thread-safe on every
# Python (lambda source inspection races), and one is fast enough here.
# Run from the temporary folder: schemathesis keeps a crash cache in the
# working directory, which must not land in the source tree.
status=0
config="$PWD/scripts/schemathesis.toml"
(cd "$work" && "$venv/bin/schemathesis" --no-color --config-file "$config" \
  run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers 1 \
  --generation-database none \
  --request-timeout 10) || status=$?

# actix logs unparseable requests (a probe's NUL byte in a header) at ERROR
# level itself, so only a panic counts; 5xx answers are schemathesis' own check.
if grep -F "panicked" "$work/server.log" >&2; then
  echo "the server panicked during the run (above)" >&2
  status=1
fi
exit "$status"
