#!/usr/bin/env bash
# Benchmark Student Registry at 100,000 students with wrk, all on 127.0.0.1.
#
#   scripts/bench.sh [--students N] [--duration SECONDS] [--connections N] [--out FILE]
#
# Builds in release mode, seeds a fresh database with the `seed` command,
# starts the server, measures each endpoint for a fixed time with the same
# number of connections, and prints requests/s, p50/p99 latency, the ratio to
# /healthz measured in the same run, non-2xx/3xx counts and the server's peak
# memory. With --out, the table is also written to FILE (markdown).
set -euo pipefail
cd "$(dirname "$0")/.."

students=100000
duration=10
connections=32
threads=2
out=""
port=${BENCH_PORT:-18080}
while [ $# -gt 0 ]; do
  case "$1" in
    --students) students=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq wrk curl >/dev/null
fi

cargo build --release --quiet
bin=target/release/student-registry
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="$work/bench.db" PORT=$port HOST=127.0.0.1 RUST_LOG=warn
export SECRET_KEY=benchmark-secret-key-benchmark-secret-key
echo "seeding $students students..." >&2
"$bin" seed --count $((students - 3)) >&2
"$bin" serve &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# A search term a registrar would type: one person's full name (about 150
# matches among the generated students).
term="ada%20rossi"
last_page=$(( (students + 24) / 25 ))
some_id=$(( students / 2 ))

# The create form's CSRF token and session cookie, as a browser would hold them.
jar="$work/cookies"
token=$(curl -fs -c "$jar" "$base/create/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
cookie=$(awk '$6 == "registry_session" { print $6 "=" $7 }' "$jar")
cat > "$work/create.lua" <<LUA
-- Each request creates a new student with a unique email.
-- setup() runs in the main Lua state and gives each thread its own number
-- (a global there: a local here would shadow it).
local counter = 0
local next_id = 0
function setup(thread) thread:set("thread_id", next_id); next_id = next_id + 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$cookie"
request = function()
  counter = counter + 1
  local body = "csrf_token=$token&firstname=Bench&lastname=Mark&age=20&city=Oslo&bio=&email=bench"
    .. thread_id .. "-" .. counter .. "-" .. math.random(1000000000) .. "%40example.com"
  return wrk.format(nil, "/create/", nil, body)
end
LUA

run() { # name path [lua]
  local name=$1 path=$2 script=${3:-}
  local args=(-t "$threads" -c "$connections" -d "${duration}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" "$base$path" > "$work/$name.txt" 2>&1
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/$name.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$work/$name.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$work/$name.txt")
  bad=$(awk -F': *' '/Non-2xx or 3xx/ { print $2 }' "$work/$name.txt")
  errors=$(awk '/Socket errors/ { print $0 }' "$work/$name.txt")
  echo "$name|$path|$rps|$p50|$p99|${bad:-0}|${errors:-}" >> "$work/results"
}

: > "$work/results"
run healthz /healthz
run index_first /
run index_last "/?page=$last_page"
run index_middle "/?page=$(( last_page / 2 ))"
run search "/?q=$term"
run student "/$some_id/"
run create_form /create/
run create_post /create/ "$work/create.lua"

peak_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
healthz_rps=$(awk -F'|' '$1 == "healthz" { print $3 }' "$work/results")
created=$(curl -fs "$base/?q=bench" | sed -n 's/.*<p class="summary"[^>]*>\([0-9,]*\) students match.*/\1/p' | head -n1)

{
  echo "Student Registry benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "Load: wrk, $threads threads, $connections connections, ${duration}s per endpoint, server and wrk on the same machine (127.0.0.1)"
  echo "Data: $students students (SQLite, WAL), release build"
  echo
  echo "| endpoint | path | req/s | vs /healthz | p50 | p99 | non-2xx/3xx |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  while IFS='|' read -r name path rps p50 p99 bad errors; do
    ratio=$(awk -v a="$rps" -v b="$healthz_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    echo "| $name | \`$path\` | $rps | $ratio | $p50 | $p99 | $bad${errors:+ ($errors)} |"
  done < "$work/results"
  echo
  echo "Server peak memory (VmHWM): $(( peak_kb / 1024 )) MiB; students created by create_post: ${created:-unknown}"
} | tee "${out:-/dev/null}"
