#!/usr/bin/env bash
# Benchmark Student Registry at 100,000 students with wrk, all on 127.0.0.1,
# on SQLite, PostgreSQL, or both side by side in one run.
#
#   scripts/bench.sh [--backend sqlite|postgres|both] [--students N]
#                    [--courses M] [--duration SECONDS] [--connections N]
#                    [--out FILE] [--bin PATH]
#
#   --backend      sqlite (default), postgres, or both. With both, each endpoint
#                  is measured on SQLite and then on PostgreSQL before the next
#                  endpoint, so the two rows of an endpoint see the same machine.
#   --students N   students in each database (default 100000).
#   --courses M    courses in each database (default 1000), each student
#                  enrolled in one to five (`seed --courses`).
#   --duration S   seconds of load per endpoint and backend (default 10).
#   --connections  wrk connections (default 32; 2 wrk threads).
#   --out FILE     also write the table to FILE (markdown).
#   --bin PATH     use this binary instead of `cargo build --release`.
#
# Environment:
#   BENCH_POSTGRES_URL  the PostgreSQL server (default
#                       postgres://postgres@127.0.0.1:5432?sslmode=disable);
#                       any database name in it is ignored, its parameters
#                       are kept. The user must be allowed to create
#                       databases. The server is on this machine, so TLS
#                       would protect nothing (libpq's default, `prefer`,
#                       uses it wherever the server offers it, as Debian's
#                       does): it cost the PostgreSQL pages about a fifth
#                       of their throughput.
#   BENCH_PORT          first port for the app (default 18080; PostgreSQL's
#                       instance uses the next one).
#
# Builds in release mode, makes a fresh database per backend (SQLite: a file in
# a temporary folder; PostgreSQL: a uniquely named database, dropped on exit
# whatever happens), runs `migrate` and `seed`, starts one server per backend,
# measures each endpoint for a fixed time with the same number of
# connections, and prints, per backend, requests/s, p50/p99 latency, the
# ratio to that backend's /healthz measured in the same run (to its first
# /healthz row, and to one measured for half the duration just before each
# endpoint, which adds that half to each endpoint's time), non-2xx/3xx
# counts and the server's peak memory (the app's process only: PostgreSQL's
# own processes are not counted). The 100-row index page is measured too,
# and it and the first page also compressed (zstd, br, gzip); each kind of
# response's size is given as sent, uncompressed and in each encoding. Last, the stall scenarios: 16 connections
# loop on a search while one more reads a student's page; the reader's row is
# the one to watch (non-2xx in a flood row are searches stopped at the query
# budget, 503).
set -euo pipefail
cd "$(dirname "$0")/.."

students=100000
courses=1000
duration=10
connections=32
threads=2
out=""
bin=""
backend=sqlite
port=${BENCH_PORT:-18080}
pg_server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432?sslmode=disable}
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --students) students=$2; shift 2 ;;
    --courses) courses=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$backend" in
  sqlite) backends=(sqlite) ;;
  postgres | postgresql | pg) backends=(postgres) ;;
  both) backends=(sqlite postgres) ;;
  *) echo "--backend must be sqlite, postgres or both, not $backend" >&2; exit 2 ;;
esac

. scripts/lib/apt.sh
command -v wrk >/dev/null || apt_install wrk curl >/dev/null

. scripts/lib/postgres-url.sh
pg_db="bench_$(date +%Y%m%d%H%M%S)_$$"
pg_created=""
# -w: never prompt for a password (a script must not hang on one); -X: no ~/.psqlrc.
pg() { psql -w -X -qAt -v ON_ERROR_STOP=1 "$@"; }
if [[ " ${backends[*]} " == *" postgres "* ]]; then
  case "$pg_server" in
    postgres://* | postgresql://*) ;;
    *) echo "BENCH_POSTGRES_URL must be a postgres:// URL" >&2; exit 2 ;;
  esac
  if ! command -v psql >/dev/null; then
    echo "psql is needed for --backend postgres (Debian: apt-get install postgresql-client)" >&2
    exit 2
  fi
  if ! pg "$(pg_url "$pg_server" postgres)" -c 'SELECT 1' >/dev/null; then
    echo "cannot reach PostgreSQL at $(pg_url_shown "$pg_server") (set BENCH_POSTGRES_URL)" >&2
    exit 2
  fi
fi

if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/student-registry
fi
work=$(mktemp -d)
declare -A base pid lua enrol_lua bench_course token cookie
cleanup() {
  local b
  for b in "${!pid[@]}"; do
    kill "${pid[$b]}" 2>/dev/null && wait "${pid[$b]}" 2>/dev/null || true
  done
  if [ -n "$pg_created" ]; then
    pg "$(pg_url "$pg_server" postgres)" -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null ||
      echo "could not drop PostgreSQL database $pg_db; drop it by hand" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOST=127.0.0.1 RUST_LOG=warn
export SECRET_KEY=benchmark-secret-key-benchmark-secret-key
bench_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')

# Makes backend $1's database, seeds it and starts its server on port $2.
start() {
  local b=$1 p=$2 url
  case "$b" in
    sqlite) url="$work/bench.db" ;;
    postgres)
      pg "$(pg_url "$pg_server" postgres)" -c "CREATE DATABASE \"$pg_db\"" >/dev/null
      pg_created=1
      url=$(pg_url "$pg_server" "$pg_db")
      ;;
  esac
  echo "$b: migrating and seeding $students students..." >&2
  DATABASE_URL=$url "$bin" migrate >&2
  DATABASE_URL=$url "$bin" seed --count $((students - 3)) --courses "$courses" >&2
  # An editor, signed in for the pages (each request carries its session
  # cookie, as a browser's would), and a read token of theirs for the one API
  # call below (its count of created rows).
  printf '%s\n' "$bench_password" |
    DATABASE_URL=$url "$bin" users create --email bench@example.com --name Bench \
      --role editor --password-stdin >&2
  token[$b]=$(DATABASE_URL=$url "$bin" tokens create --email bench@example.com \
    --name bench --scope read)
  DATABASE_URL=$url PORT=$p "$bin" serve > "$work/$b-server.log" 2>&1 &
  pid[$b]=$!
  base[$b]="http://127.0.0.1:$p"
  local up=""
  for _ in $(seq 1 100); do
    if curl -fs "${base[$b]}/healthz" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  if [ -z "$up" ]; then
    echo "$b: the server did not become healthy; its log:" >&2
    cat "$work/$b-server.log" >&2
    exit 1
  fi

  # Signs in through the form, then reads the create form's CSRF token, as a
  # browser would.
  local jar="$work/$b-cookies" csrf
  csrf=$(curl -fs -c "$jar" "${base[$b]}/login/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "email=bench@example.com" \
    --data-urlencode "password=$bench_password" --data-urlencode "csrf_token=$csrf" \
    "${base[$b]}/login/"
  cookie[$b]=$(awk '$6 == "registry_session" { print $6 "=" $7 }' "$jar")
  csrf=$(curl -fs -H "Cookie: ${cookie[$b]}" "${base[$b]}/create/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  if [ -z "$csrf" ]; then
    echo "$b: could not sign in to the pages" >&2
    exit 1
  fi
  lua[$b]="$work/$b-create.lua"
  cat > "${lua[$b]}" <<LUA
-- Each request creates a new student with a unique email.
-- setup() runs in the main Lua state and gives each thread its own number
-- (a global there: a local here would shadow it).
local counter = 0
local next_id = 0
function setup(thread) thread:set("thread_id", next_id); next_id = next_id + 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "${cookie[$b]}"
request = function()
  counter = counter + 1
  local body = "csrf_token=$csrf&firstname=Bench&lastname=Mark&age=20&city=Oslo&bio=&email=bench"
    .. thread_id .. "-" .. counter .. "-" .. math.random(1000000000) .. "%40example.com"
  return wrk.format(nil, "/create/", nil, body)
end
LUA

  # A course with no seat limit, made through its form, for the enrolment
  # POSTs: each request enrols another student (each wrk thread walks its
  # own half of the ids), so every one is a real enrolment.
  local location
  location=$(curl -fs -o /dev/null -w '%{redirect_url}' -H "Cookie: ${cookie[$b]}" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "code=BENCH-1" \
    --data-urlencode "title=Benchmark enrolments" "${base[$b]}/courses/create/")
  bench_course[$b]=$(printf '%s' "$location" | sed -n 's|.*/courses/\([0-9]*\)/$|\1|p')
  if [ -z "${bench_course[$b]}" ]; then
    echo "$b: could not create the benchmark course (got '$location')" >&2
    exit 1
  fi
  enrol_lua[$b]="$work/$b-enrol.lua"
  cat > "${enrol_lua[$b]}" <<LUA
local counter = 0
local next_id = 0
function setup(thread) thread:set("thread_id", next_id); next_id = next_id + 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "${cookie[$b]}"
request = function()
  counter = counter + 1
  local student = 1 + thread_id * math.floor($students / 2) + counter % math.floor($students / 2)
  local body = "csrf_token=$csrf&course_id=${bench_course[$b]}&return_to=course&student_id=" .. student
  return wrk.format(nil, "/enrolments/", nil, body)
end
LUA
}

i=0
for b in "${backends[@]}"; do
  start "$b" $((port + i))
  i=$((i + 1))
done

# A search term a registrar would type: one person's full name (about 150
# matches among the generated students).
term="ada%20rossi"
last_page=$(( (students + 24) / 25 ))
some_id=$(( students / 2 ))

# Each endpoint's ratio is also taken against a /healthz measured just
# before it on the same backend: on a shared machine the speed drifts within
# a run (the same page moved from 28% to 20% of the run's first /healthz
# between two runs of one build), and a reference seconds away drifts less.
near_duration=$(( duration > 4 ? duration / 2 : 2 ))
run() { # name path [create|enrol|zstd|br|gzip]: measures the endpoint on every backend in turn
  # (a path of @middle_by_link is each backend's own, read from its pages;
  # zstd, br or gzip: asked for compressed, as a browser asks)
  local name=$1 path=$2 script=${3:-} b
  for b in "${backends[@]}"; do
    [ "$2" = @middle_by_link ] && path=${middle_by_link[$b]}
    local near
    near=$(wrk -t "$threads" -c "$connections" -d "${near_duration}s" "${base[$b]}/healthz" 2>&1 |
      awk '/^Requests\/sec/ { print $2 }')
    local args=(-t "$threads" -c "$connections" -d "${duration}s" --latency -H "Cookie: ${cookie[$b]}")
    [ "$script" = create ] && args+=(-s "${lua[$b]}")
    [ "$script" = enrol ] && args+=(-s "${enrol_lua[$b]}")
    case "$script" in zstd | br | gzip) args+=(-H "Accept-Encoding: $script") ;; esac
    wrk "${args[@]}" "${base[$b]}$path" > "$work/$name-$b.txt" 2>&1
    local rps p50 p99 bad errors
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/$name-$b.txt")
    p50=$(awk '$1 == "50%" { print $2 }' "$work/$name-$b.txt")
    p99=$(awk '$1 == "99%" { print $2 }' "$work/$name-$b.txt")
    bad=$(awk -F': *' '/Non-2xx or 3xx/ { print $2 }' "$work/$name-$b.txt")
    errors=$(awk '/Socket errors/ { print $0 }' "$work/$name-$b.txt")
    echo "$name|$b|$path|$rps|$p50|$p99|${bad:-0}|${errors:-}|$near" >> "$work/results"
  done
}

: > "$work/results"
run healthz /healthz
run index_first /
# Compressed as a browser gets it: zstd (Chrome, Firefox), br (Safari), gzip
# (any other); the rows above and below are uncompressed, as wrk asks.
run index_first_zstd / zstd
run index_first_br / br
run index_first_gzip / gzip
run index_100 "/?per_page=100"
run index_100_zstd "/?per_page=100" zstd
run index_100_br "/?per_page=100" br
run index_100_gzip "/?per_page=100" gzip
run index_last "/?page=$last_page"
# The middle page as a reader reaches it: by the "Next page" link of the
# page before, which says where its page starts (a cursor, so the database
# seeks to it); then the same page asked for by number alone (OFFSET).
declare -A middle_by_link
for b in "${backends[@]}"; do
  middle_by_link[$b]=$(curl -fs -H "Cookie: ${cookie[$b]}" "${base[$b]}/?page=$(( last_page / 2 - 1 ))" |
    sed -n 's/.*<a href="\([^"]*\)" aria-label="Next page".*/\1/p' | head -n1 | sed 's/&#38;/\&/g; s/&amp;/\&/g')
  case "${middle_by_link[$b]}" in
    "/?page=$(( last_page / 2 ))&after="*) ;;
    *) echo "$b: no cursor link to the middle page (got '${middle_by_link[$b]}')" >&2; exit 1 ;;
  esac
done
run index_middle @middle_by_link
run index_middle_offset "/?page=$(( last_page / 2 ))"
run search "/?q=$term"
run student "/$some_id/"
run create_form /create/
run create_post /create/ create

# Courses (issue 14). Course 1 has a few hundred enrolments, so its class
# list has pages; its last page is read off its first (the "Last page, N"
# link), from the first backend: both seed the same data.
course=1
class_last=$(curl -fs -H "Cookie: ${cookie[${backends[0]}]}" "${base[${backends[0]}]}/courses/$course/" |
  sed -n 's/.*aria-label="Last page, \([0-9]*\)".*/\1/p' | head -n1)
run courses_list /courses/
run course_first "/courses/$course/"
run course_last "/courses/$course/?page=${class_last:-1}"
run index_course "/?course=$course"
run enrol_post /enrolments/ enrol

# One client must not stall everyone: 16 connections loop on the most
# expensive search found (50 one-letter words that each match every student,
# a page deep in the result; about 1 s of work alone, stopped at the query
# budget under load) while one more connection reads a student's page. The
# reader's latency is the figure that matters (target: p99 < 100 ms).
heavy_term=$(printf 'e%%20%.0s' $(seq 1 49))e
stall() { # name search-path [shown-path]: the flood and the reader, on every backend in turn
  local name=$1 path=$2 shown=${3:-$2} b
  for b in "${backends[@]}"; do
    # --timeout: a search may take its whole budget; wrk's default (2 s)
    # would count those as socket errors rather than latencies.
    wrk -t "$threads" -c 16 -d "${duration}s" --timeout 10s --latency -H "Cookie: ${cookie[$b]}" "${base[$b]}$path" \
      > "$work/$name-flood-$b.txt" 2>&1 &
    local flood=$!
    sleep 1 # the flood is under way before the reader starts
    wrk -t 1 -c 1 -d "$(( duration > 2 ? duration - 2 : 1 ))s" --latency -H "Cookie: ${cookie[$b]}" "${base[$b]}/$some_id/" \
      > "$work/$name-reader-$b.txt" 2>&1
    wait "$flood"
    local part file rps p50 p99 bad errors
    for part in flood reader; do
      file="$work/$name-$part-$b.txt"
      rps=$(awk '/^Requests\/sec/ { print $2 }' "$file")
      p50=$(awk '$1 == "50%" { print $2 }' "$file")
      p99=$(awk '$1 == "99%" { print $2 }' "$file")
      bad=$(awk -F': *' '/Non-2xx or 3xx/ { print $2 }' "$file")
      errors=$(awk '/Socket errors/ { print $0 }' "$file")
      if [ "$part" = flood ]; then
        echo "$name (16 searching)|$b|$shown|$rps|$p50|$p99|${bad:-0}|${errors:-}" >> "$work/results"
      else
        echo "$name (1 reading meanwhile)|$b|/$some_id/|$rps|$p50|$p99|${bad:-0}|${errors:-}" >> "$work/results"
      fi
    done
  done
}
stall stall_heavy "/?q=$heavy_term&page=2000" "/?q=e%20e%20…(50 e's)&page=2000"
stall stall_punctuation "/?q=-"

declare -A peak_kb created healthz_rps
for b in "${backends[@]}"; do
  peak_kb[$b]=$(awk '/VmHWM/ { print $2 }' "/proc/${pid[$b]}/status")
  created[$b]=$(curl -fs -H "Authorization: Bearer ${token[$b]}" \
    "${base[$b]}/api/students?q=bench&per_page=1" |
    sed -n 's/.*"total":\([0-9]*\).*/\1/p' | head -n1)
  healthz_rps[$b]=$(awk -F'|' -v b="$b" '$1 == "healthz" && $2 == b { print $4 }' "$work/results")
done
# Each response's size as sent, plain and compressed (curl without
# --compressed counts the bytes on the wire), on the first backend: the
# pages are the same on both.
# A path that fails (a course the seed did not make, say) is left out rather
# than ending the run before its tables are printed.
b=${backends[0]}
front_page=$(curl -fs -H "Cookie: ${cookie[$b]}" "${base[$b]}/" || true)
static_css=$(sed -n 's|.*\(/static/style\.[0-9a-f]*\.css\).*|\1|p' <<< "$front_page" | head -n1)
static_js=$(sed -n 's|.*\(/static/app\.[0-9a-f]*\.js\).*|\1|p' <<< "$front_page" | head -n1)
: > "$work/sizes"
for path in / "/?per_page=100" "/$some_id/" /courses/ "/courses/$course/" \
  "/api/students?per_page=100" "$static_css" "$static_js"; do
  [ -n "$path" ] || continue
  auth=(-H "Cookie: ${cookie[$b]}")
  case "$path" in /api/*) auth=(-H "Authorization: Bearer ${token[$b]}") ;; esac
  row="$path"
  for encoding in identity br gzip zstd; do
    size=$(curl -fs -o /dev/null -w '%{size_download}' "${auth[@]}" \
      -H "Accept-Encoding: $encoding" "${base[$b]}$path" || true)
    row+="|${size:-}"
  done
  case "$row" in *"||"* | *"|") continue ;; esac
  echo "$row" >> "$work/sizes"
done

describe() { # backend: what its data lives in
  case "$1" in
    sqlite) echo "SQLite, WAL" ;;
    postgres) echo "PostgreSQL $(pg "$(pg_url "$pg_server" "$pg_db")" -c 'SHOW server_version' | cut -d' ' -f1) at $(pg_url_shown "$pg_server"), same machine" ;;
  esac
}

{
  echo "Student Registry benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "Load: wrk, $threads threads, $connections connections, ${duration}s per endpoint and backend, server and wrk on the same machine (127.0.0.1)"
  for b in "${backends[@]}"; do
    echo "Data ($b): $students students ($(describe "$b")), release build, DATABASE_POOL_SIZE ${DATABASE_POOL_SIZE:-default}"
  done
  [ ${#backends[@]} -gt 1 ] && echo "Backends side by side: each endpoint is measured on ${backends[*]} in turn before the next endpoint; vs /healthz is against the same backend's /healthz"
  echo
  echo "vs /healthz: against the run's first /healthz row; beside it: against a /healthz measured (${near_duration}s) on the same backend just before the endpoint"
  echo
  echo "| endpoint | backend | path | req/s | vs /healthz | vs /healthz beside it | p50 | p99 | non-2xx/3xx |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
  while IFS='|' read -r name b path rps p50 p99 bad errors near; do
    ratio=$(awk -v a="$rps" -v b="${healthz_rps[$b]}" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }')
    beside=$(awk -v a="$rps" -v b="${near:-0}" 'BEGIN { if (b > 0) printf "%.0f%% (of %.0f)", 100 * a / b, b; else print "–" }')
    echo "| $name | $b | \`$path\` | $rps | $ratio | $beside | $p50 | $p99 | $bad${errors:+ ($errors)} |"
  done < "$work/results"
  echo
  for b in "${backends[@]}"; do
    echo "Server peak memory ($b, VmHWM of the app process): $(( ${peak_kb[$b]:-0} / 1024 )) MiB; students created by create_post: ${created[$b]:-unknown}"
  done
  echo
  echo "Response sizes as sent, in bytes (${backends[0]}; in brackets, of the uncompressed size):"
  echo
  echo "| path | uncompressed | br | gzip | zstd |"
  echo "|---|---:|---:|---:|---:|"
  share() { # size uncompressed: "size (share%)"
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%d (%.1f%%)", a, 100 * a / b; else print a }'
  }
  while IFS='|' read -r path plain br gzip zstd; do
    echo "| \`$path\` | $plain | $(share "$br" "$plain") | $(share "$gzip" "$plain") | $(share "$zstd" "$plain") |"
  done < "$work/sizes"
  echo
  awk -F'|' '$1 == "/?per_page=100" && $2 > 0 {
    worst = $3 > $4 ? $3 : $4
    printf "Target, the 100-row index compressed at most 15%% of its uncompressed size: br %.1f%%, gzip %.1f%% (%s)\n",
      100 * $3 / $2, 100 * $4 / $2, (100 * worst / $2 <= 15 ? "met" : "not met")
  }' "$work/sizes"
} | tee "${out:-/dev/null}"
