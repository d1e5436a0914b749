#!/usr/bin/env bash
# Scale-out check for PostgreSQL: two app instances on one database must not
# lose or invent an acknowledged write.
#
#   scripts/scale-out.sh [--bin PATH] [--workers N] [--creates N] [--races N]
#                        [--hot N] [--contended N] [--keep]
#
#   --bin PATH     use this binary instead of `cargo build --release`.
#   --workers N    concurrent clients (default 8).
#   --creates N    students each worker creates (default 100).
#   --races N      emails POSTed to both instances at once (default 40).
#   --hot N        students every worker edits at once in the contended phase
#                  (default 16).
#   --contended N  contended edits per worker (default 60).
#   --keep         keep the database and the logs (and say where they are);
#                  by default both are removed, except the logs on FAIL.
#
# Environment:
#   SCALE_OUT_POSTGRES_URL  the PostgreSQL server (default
#                           postgres://postgres@127.0.0.1:5432); any database
#                           name in it is ignored. The user must be allowed to
#                           create databases. Needs psql and python3 (stdlib).
#
# What it does: builds the release binary, creates a uniquely named database,
# runs `migrate`, makes an editor account and a write token for the API
# (`users create`, `tokens create`), starts two instances (A and B) on free loopback ports with
# the same SECRET_KEY, and runs scripts/scale_out.py, which drives a bounded
# concurrent load through the JSON API — creates alternating between A and B,
# duplicate-email races between A and B, edits of each student on the
# instance that did not create it (PATCH with If-Match, re-reading the ETag
# on 412), and contended conditional PATCH/PUT plus unconditional PATCH of
# the same few students from both instances — logs every acknowledged write,
# and checks the database against that log with psql: the row count, every
# acknowledged create, each student's stored version and values against its
# last acknowledged edit, a replay of each student's acknowledged edits (no
# acknowledged edit lost), and an order-independent md5 of the rows computed
# from the log and by PostgreSQL. It also fails if an instance panicked or
# logged an error. Prints PASS or FAIL; exits 1 on FAIL. Everything stays on
# 127.0.0.1; the instances are stopped and the database is dropped on exit
# whatever happens. Takes well under a minute after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
keep=""
load_args=()
pg_server=${SCALE_OUT_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --workers | --creates | --races | --hot | --contended) load_args+=("$1" "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for tool in psql python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
. scripts/lib/postgres-url.sh
case "$pg_server" in
  postgres://* | postgresql://*) ;;
  *) echo "SCALE_OUT_POSTGRES_URL must be a postgres:// URL" >&2; exit 2 ;;
esac
# -w: never prompt for a password; -X: no ~/.psqlrc.
pg() { psql -w -X -qAt -v ON_ERROR_STOP=1 "$@"; }
if ! pg "$(pg_url "$pg_server" postgres)" -c 'SELECT 1' >/dev/null; then
  echo "cannot reach PostgreSQL at $(pg_url_shown "$pg_server") (set SCALE_OUT_POSTGRES_URL)" >&2
  exit 2
fi

if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/student-registry
fi

work=$(mktemp -d -t scale-out.XXXXXX)
db="scale_out_$(date +%Y%m%d%H%M%S)_$$"
db_url=$(pg_url "$pg_server" "$db")
db_created=""
pid_a=""
pid_b=""
result=1
cleanup() {
  local p
  for p in $pid_a $pid_b; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  if [ -n "$db_created" ]; then
    if [ -n "$keep" ]; then
      echo "kept database: $db_url" >&2
    else
      pg "$(pg_url "$pg_server" postgres)" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null ||
        echo "could not drop database $db; drop it by hand" >&2
    fi
  fi
  if [ -n "$keep" ] || [ "$result" -ne 0 ]; then
    echo "logs kept in $work (writes.jsonl: every write and its answer; a.log, b.log: the instances)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "creating database $db" >&2
pg "$(pg_url "$pg_server" postgres)" -c "CREATE DATABASE \"$db\"" >/dev/null
db_created=1
DATABASE_URL=$db_url "$bin" migrate >&2
# The API needs a token: an editor account (its password random, never
# used) and a write token, made as an operator would. Passed to
# scale_out.py in the environment, not as an argument (`ps` shows those).
python3 -c 'import secrets; print(secrets.token_urlsafe(24))' |
  DATABASE_URL=$db_url "$bin" users create --email scale-out@example.com \
    --name "Scale-out check" --role editor --password-stdin >&2
API_TOKEN=$(DATABASE_URL=$db_url "$bin" tokens create --email scale-out@example.com \
  --name scale-out --scope write)
export API_TOKEN

export HOST=127.0.0.1 RUST_LOG=${RUST_LOG:-warn}
export SECRET_KEY
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
port_a=$(free_port)
port_b=$(free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
DATABASE_URL=$db_url PORT=$port_a "$bin" serve > "$work/a.log" 2>&1 &
pid_a=$!
DATABASE_URL=$db_url PORT=$port_b "$bin" serve > "$work/b.log" 2>&1 &
pid_b=$!

for name in a b; do
  port_var=port_$name
  pid_var=pid_$name
  up=""
  for _ in $(seq 1 150); do
    if curl -fs "http://127.0.0.1:${!port_var}/healthz" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "${!pid_var}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$up" ]; then
    echo "FAIL: instance ${name^^} did not become healthy; its log:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
done
echo "instances: A http://127.0.0.1:$port_a (pid $pid_a), B http://127.0.0.1:$port_b (pid $pid_b), database $db" >&2

status=0
python3 scripts/scale_out.py --a "http://127.0.0.1:$port_a" --b "http://127.0.0.1:$port_b" \
  --database-url "$db_url" --log "$work/writes.jsonl" --run-id "$$" "${load_args[@]}" || status=$?

# Both instances must still be up, without a panic or a logged error.
for name in a b; do
  pid_var=pid_$name
  if ! kill -0 "${!pid_var}" 2>/dev/null; then
    echo "FAIL: instance ${name^^} exited during the run; its log ends:" >&2
    tail -n 20 "$work/$name.log" >&2
    status=1
  fi
  if grep -Eq 'panicked|ERROR' "$work/$name.log"; then
    echo "FAIL: instance ${name^^} logged errors or panics:" >&2
    grep -E 'panicked|ERROR' "$work/$name.log" | head -n 10 >&2
    status=1
  fi
done

if [ "$status" -eq 0 ]; then
  echo "scale-out check: PASS"
  result=0
else
  echo "scale-out check: FAIL"
fi
exit "$status"
