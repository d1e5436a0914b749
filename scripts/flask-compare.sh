#!/usr/bin/env bash
# Student Registry side by side with the Flask-SQLAlchemy tutorial app it grew
# from, in one run on this machine, with wrk, all on 127.0.0.1.
#
#   scripts/flask-compare.sh [--duration SECONDS] [--out FILE] [--bin PATH]
#                            [--seed FILE] [--cache-venv] [--bare]
#
#   --duration S   seconds of load per endpoint and app (default 10).
#   --out FILE     also write the table to FILE (markdown).
#   --bin PATH     use this binary instead of `cargo build --release`.
#   --seed FILE    the tutorial's text (default: the one 001_*.txt file in
#                  $FLASK_COMPARE_SEEDS, itself by default ../shared/seeds
#                  from the repository's root).
#   --cache-venv   make (or remake) the Python venv under
#                  ${XDG_CACHE_HOME:-~/.cache}/student-registry/flask-venv
#                  for later runs, instead of a throwaway one.
#   --bare         also measure the 100-row index on bench/bare (built with
#                  `cargo build --release` there): a bare actix-web +
#                  rusqlite server writing the same page, the same rows in
#                  the same markup, with nothing else (no session, sign-in,
#                  CSRF token, pool hand-off or middleware). Its rate is the
#                  ceiling the application's 100-row index works under.
#
# Environment:
#   FLASK_COMPARE_SEEDS  the folder of the seed texts (see --seed).
#   FLASK_COMPARE_PORT   first port (default 18280: Flask; the next: Rust).
#   PYTHON               the Python that makes the venv (default python3).
#
# The Flask app is not in this repository: it is rebuilt at run time from the
# tutorial's text by scripts/flask/extract.py (its final app.py and
# templates, unchanged), installed in a venv with `pip install flask
# flask-sqlalchemy gunicorn` (a usable venv in the cache folder is reused),
# and served by gunicorn with 2 (sync) workers. Both apps get the same 100
# students: the Rust app's `seed` (the tutorial's three students and 97
# generated ones), copied with their ids into the Flask app's database
# through its own model (scripts/flask/setup_db.py). Before any load, each
# app is checked: index, a student's page and the create form answer 200, a
# form create redirects and stores a row (which is then deleted through the
# app's own delete form, leaving 100).
#
# Measured, for each endpoint Flask then Rust back to back, with
# `wrk -t2 -c32 -d${DURATION}s --latency`: the 100-row index (Flask `/`,
# every student; Rust `/?per_page=100`), a student's page, the create form,
# and form creates (POST, a new email each). The Rust app is used as a
# signed-in editor (its pages need one; every request carries the session
# cookie, the creates a CSRF token too); the tutorial app has no sign-in.
# Prints requests/s, p50/p99 latency, non-2xx/3xx counts (and wrk's socket
# errors) and the Rust/Flask ratio of requests/s, as a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

command_line="scripts/flask-compare.sh${*:+ $*}"
duration=10
out=""
bin=""
seed_file=""
cache_venv=""
bare=""
threads=2
connections=32
students=100
port=${FLASK_COMPARE_PORT:-18280}
seeds_dir=${FLASK_COMPARE_SEEDS:-../shared/seeds}
python=${PYTHON:-python3}
venv_cache="${XDG_CACHE_HOME:-$HOME/.cache}/student-registry/flask-venv"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --seed) seed_file=$2; shift 2 ;;
    --cache-venv) cache_venv=1; shift ;;
    --bare) bare=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$duration" in
  '' | *[!0-9]* | 0) echo "--duration must be a whole number of seconds" >&2; exit 2 ;;
esac

if [ -z "$seed_file" ]; then
  shopt -s nullglob
  seeds=("$seeds_dir"/001_*.txt)
  shopt -u nullglob
  if [ ${#seeds[@]} -ne 1 ]; then
    echo "expected one 001_*.txt in $seeds_dir (found ${#seeds[@]}); use --seed FILE or FLASK_COMPARE_SEEDS" >&2
    exit 2
  fi
  seed_file=${seeds[0]}
fi
[ -r "$seed_file" ] || { echo "cannot read the tutorial text $seed_file" >&2; exit 2; }

# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
apt_install "${missing[@]}" >/dev/null

if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/student-registry
fi
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 2; }
if [ -n "$bare" ]; then
  cargo build --release --quiet --locked --manifest-path bench/bare/Cargo.toml
  bare_bin=${CARGO_TARGET_DIR:-bench/bare/target}/release/bare-index
fi

flask_port=$port
rust_port=$((port + 1))
bare_port=$((port + 2))
for p in "$flask_port" "$rust_port" ${bare:+"$bare_port"}; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/"; then
    echo "port $p is in use; set FLASK_COMPARE_PORT" >&2
    exit 2
  fi
done

work=$(mktemp -d -t flask-compare.XXXXXX)
declare -A pid=()
cleanup() {
  local a
  for a in "${!pid[@]}"; do
    # INT: gunicorn's quick shutdown (its master stops the workers); the
    # Rust server stops on it too.
    kill -INT "${pid[$a]}" 2>/dev/null || true
  done
  for a in "${!pid[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "${pid[$a]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pid[$a]}" 2>/dev/null || true
    wait "${pid[$a]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "flask-compare: $*" >&2; }
fetch() { curl -s --max-time 10 "$@"; }
status() { fetch -o /dev/null -w '%{http_code}' "$@"; }
count_rows() { # sqlite-file [email-like]: students in the file (the Rust table is students, Flask's student)
  "$python" - "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
table = "students" if db.execute(
    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='students'").fetchone() else "student"
like = sys.argv[2] if len(sys.argv) > 2 else "%"
print(db.execute(f"SELECT count(*) FROM {table} WHERE email LIKE ?", (like,)).fetchone()[0])
PY
}
fail() { # app message: stops the run, showing the app's server log
  say "$1: $2; its server log:"
  tail -n 30 "$work/$1-server.log" >&2 || true
  exit 1
}

# --- The Flask app: venv, extraction, data, server -------------------------
if [ -z "$cache_venv" ] && [ -x "$venv_cache/bin/python" ] &&
  "$venv_cache/bin/python" -c 'import flask, flask_sqlalchemy, gunicorn' 2>/dev/null; then
  venv=$venv_cache
  say "reusing the venv $venv"
else
  if [ -n "$cache_venv" ]; then
    venv=$venv_cache
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
  else
    venv=$work/venv
  fi
  say "making a venv in $venv: pip install flask flask-sqlalchemy gunicorn"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 60 \
    flask flask-sqlalchemy gunicorn >&2
fi
py=$venv/bin/python

app_dir=$work/flask_app
"$py" scripts/flask/extract.py "$seed_file" "$app_dir"

# --- The Rust app: database, account, server --------------------------------
export HOST=127.0.0.1 RUST_LOG=warn
export SECRET_KEY=flask-compare-secret-key-flask-compare-secret-key
rust_db=$work/rust.db
bench_password=$("$python" -c 'import secrets; print(secrets.token_urlsafe(24))')
say "rust: migrating and seeding (the tutorial's 3 students + $((students - 3)) generated)"
DATABASE_URL=$rust_db "$bin" migrate >&2
DATABASE_URL=$rust_db "$bin" seed --count $((students - 3)) >&2
printf '%s\n' "$bench_password" |
  DATABASE_URL=$rust_db "$bin" users create --email bench@example.com --name Bench \
    --role editor --password-stdin >&2
rust_count=$(count_rows "$rust_db")

flask_count=$("$py" scripts/flask/setup_db.py "$app_dir" "$rust_db")
flask_db=$app_dir/database.db
say "students: rust $rust_count, flask $flask_count"
if [ "$rust_count" != "$students" ] || [ "$flask_count" != "$students" ]; then
  say "expected $students students in each database"
  exit 1
fi

"$venv/bin/gunicorn" --workers 2 --bind "127.0.0.1:$flask_port" --chdir "$app_dir" \
  --graceful-timeout 5 app:app > "$work/flask-server.log" 2>&1 &
pid[flask]=$!
DATABASE_URL=$rust_db PORT=$rust_port "$bin" serve > "$work/rust-server.log" 2>&1 &
pid[rust]=$!
flask_base="http://127.0.0.1:$flask_port"
rust_base="http://127.0.0.1:$rust_port"
wait_up() { # app url
  for _ in $(seq 1 150); do
    fetch -f -o /dev/null "$2" && return 0
    kill -0 "${pid[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  fail "$1" "the server did not come up"
}
wait_up flask "$flask_base/"
wait_up rust "$rust_base/healthz"

# Rust: sign in through the form, then read the create form's CSRF token, as
# a browser would (the approach of scripts/bench.sh).
jar=$work/rust-cookies
csrf=$(fetch -f -c "$jar" "$rust_base/login/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
fetch -f -b "$jar" -c "$jar" -o /dev/null --data-urlencode "email=bench@example.com" \
  --data-urlencode "password=$bench_password" --data-urlencode "csrf_token=$csrf" \
  "$rust_base/login/"
cookie=$(awk '$6 == "registry_session" { print $6 "=" $7 }' "$jar")
csrf=$(fetch -f -H "Cookie: $cookie" "$rust_base/create/" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
if [ -z "$cookie" ] || [ -z "$csrf" ]; then fail rust "could not sign in to the pages"; fi

# --- Checks: each app serves what is measured --------------------------------
some_id=$((students / 2))
flask_index=/
rust_index="/?per_page=$students"
check() { # app url expected-status [curl args...]
  local app=$1 url=$2 want=$3 got
  shift 3
  got=$(status "$@" "$url")
  [ "$got" = "$want" ] || fail "$app" "$url answered $got, not $want"
}
check flask "$flask_base$flask_index" 200
check flask "$flask_base/$some_id/" 200
check flask "$flask_base/create/" 200
check rust "$rust_base$rust_index" 200 -H "Cookie: $cookie"
check rust "$rust_base/$some_id/" 200 -H "Cookie: $cookie"
check rust "$rust_base/create/" 200 -H "Cookie: $cookie"
flask_rows=$(fetch "$flask_base$flask_index" | grep -c 'class="student"' || true)
rust_rows=$(fetch -H "Cookie: $cookie" "$rust_base$rust_index" | grep -c 'class="cell-id"' || true)
say "index rows: flask $flask_rows, rust $rust_rows"
[ "$flask_rows" = "$students" ] || fail flask "the index shows $flask_rows students, not $students"
[ "$rust_rows" = "$students" ] || fail rust "$rust_index shows $rust_rows students, not $students"

# One create through each form (a redirect, and a row stored), then its
# deletion through the app's own delete form, leaving the 100 students.
check flask "$flask_base/create/" 302 --data-urlencode firstname=Check --data-urlencode lastname=Row \
  --data-urlencode email=check-row@example.com --data-urlencode age=30 --data-urlencode bio=Checking
[ "$(count_rows "$flask_db" check-row@example.com)" = 1 ] || fail flask "the create POST stored no row"
flask_new=$("$python" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
  "SELECT id FROM student WHERE email = ?", ("check-row@example.com",)).fetchone()[0])' "$flask_db")
check flask "$flask_base/$flask_new/delete/" 302 -X POST
location=$(fetch -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $cookie" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode firstname=Check --data-urlencode lastname=Row \
  --data-urlencode email=check-row@example.com --data-urlencode age=30 --data-urlencode city=Oslo \
  --data-urlencode bio=Checking "$rust_base/create/")
case "$location" in
  30[0-9]\ *) ;;
  *) fail rust "the create POST answered '$location', not a redirect" ;;
esac
[ "$(count_rows "$rust_db" check-row@example.com)" = 1 ] || fail rust "the create POST stored no row"
rust_new=$(printf '%s' "$location" | sed -n 's|.*/\([0-9][0-9]*\)/$|\1|p')
[ -n "$rust_new" ] || fail rust "the create POST redirected to '$location', not to the new student"
check rust "$rust_base/$rust_new/delete/" 303 -H "Cookie: $cookie" --data-urlencode "csrf_token=$csrf"
rust_count=$(count_rows "$rust_db")
flask_count=$(count_rows "$flask_db")
if [ "$rust_count" != "$students" ] || [ "$flask_count" != "$students" ]; then
  say "after the checks: rust $rust_count, flask $flask_count students, not $students"
  exit 1
fi
say "checks passed: index, student page, create form 200; create POST redirects and stores a row"

# The bare server: the application's own 100-row page is its template (its
# head and tail kept, its rows written anew from the same database).
if [ -n "$bare" ]; then
  fetch -f -H "Cookie: $cookie" "$rust_base$rust_index" > "$work/rust-index.html" ||
    fail rust "could not read $rust_index for the bare server"
  "$bare_bin" "$rust_db" "$bare_port" "$work/rust-index.html" > "$work/bare-server.log" 2>&1 &
  pid[bare]=$!
  bare_base="http://127.0.0.1:$bare_port"
  wait_up bare "$bare_base/healthz"
  check bare "$bare_base$rust_index" 200
  fetch "$bare_base$rust_index" > "$work/bare-index.html"
  bare_rows=$(grep -c 'class="cell-id"' "$work/bare-index.html" || true)
  [ "$bare_rows" = "$students" ] || fail bare "$rust_index shows $bare_rows students, not $students"
  # The same page, byte for byte: else the bare server measures another.
  if ! cmp -s "$work/rust-index.html" "$work/bare-index.html"; then
    diff "$work/rust-index.html" "$work/bare-index.html" | head -n 20 >&2 || true
    fail bare "its 100-row index differs from the application's (above)"
  fi
  say "100-row index: the bare server's is the application's, byte for byte ($(wc -c < "$work/bare-index.html") bytes)"
fi

# --- wrk scripts for the form creates ----------------------------------------
# Each request creates a new student with a unique email. setup() runs in
# the main Lua state and gives each thread its own number (a global there:
# a local here would shadow it).
lua_create() { # body-before-email headers...
  local body=$1 h
  shift
  cat <<LUA
local counter = 0
local next_id = 0
function setup(thread) thread:set("thread_id", next_id); next_id = next_id + 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
  for h in "$@"; do printf 'wrk.headers["%s"] = "%s"\n' "${h%%: *}" "${h#*: }"; done
  cat <<LUA
request = function()
  counter = counter + 1
  local body = "$body&email=wrk" .. thread_id .. "-" .. counter .. "-" .. math.random(1000000000) .. "%40example.com"
  return wrk.format(nil, "/create/", nil, body)
end
LUA
}
lua_create "firstname=Bench&lastname=Mark&age=20&bio=Benchmark" > "$work/flask-create.lua"
lua_create "csrf_token=$csrf&firstname=Bench&lastname=Mark&age=20&city=Oslo&bio=Benchmark" \
  "Cookie: $cookie" > "$work/rust-create.lua"

# --- Measurements --------------------------------------------------------------
: > "$work/results"
run() { # name flask-path rust-path [create|bare]: Flask, then Rust (then bare), back to back
  local name=$1 create="" app apps=(flask rust) path base file rps p50 p99 bad errors requests
  case "${4:-}" in
    create) create=1 ;;
    bare) [ -n "$bare" ] && apps+=(bare) ;;
  esac
  for app in "${apps[@]}"; do
    local args=(-t "$threads" -c "$connections" -d "${duration}s" --latency)
    case "$app" in
      flask) path=$2; base=$flask_base ;;
      rust) path=$3; base=$rust_base; args+=(-H "Cookie: $cookie") ;;
      bare) path=$3; base=$bare_base ;;
    esac
    [ -n "$create" ] && args+=(-s "$work/$app-create.lua")
    file="$work/$name-$app.txt"
    say "$name: $app $path (${duration}s)"
    timeout $((duration + 60)) wrk "${args[@]}" "$base$path" > "$file" 2>&1 || {
      say "wrk failed on $app $path:"; cat "$file" >&2; exit 1; }
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$file")
    p50=$(awk '$1 == "50%" { print $2 }' "$file")
    p99=$(awk '$1 == "99%" { print $2 }' "$file")
    bad=$(awk -F': *' '/Non-2xx or 3xx/ { print $2 }' "$file")
    errors=$(awk '/Socket errors/ { sub(/^ */, ""); print }' "$file")
    requests=$(awk '/ requests in / { print $1 }' "$file")
    echo "$name|$app|$path|$rps|$p50|$p99|${bad:-0}|$errors|$requests" >> "$work/results"
  done
}
run "index, 100 rows" "$flask_index" "$rust_index" bare
run "student page" "/$some_id/" "/$some_id/"
run "create form" /create/ /create/
run "form creates" /create/ /create/ create
# Rows stored, against the responses wrk counted: wrk stops counting at the
# deadline, but the requests still in flight then (up to one per
# connection) are handled too.
flask_created=$(( $(count_rows "$flask_db") - students ))
rust_created=$(( $(count_rows "$rust_db") - students ))
responses() { awk -F'|' -v a="$1" '$1 == "form creates" && $2 == a { print $9 }' "$work/results"; }

# --- Report -----------------------------------------------------------------------
versions=$("$py" -c 'import importlib.metadata as m, platform
print(f"Python {platform.python_version()}, " + ", ".join(
    f"{n} {m.version(n)}" for n in ("Flask", "Flask-SQLAlchemy", "SQLAlchemy", "Werkzeug", "gunicorn")))')
rust_version=$("$bin" --version 2>/dev/null || echo "student-registry")
wrk_version=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }'; }
{
  echo "## Student Registry vs the Flask-SQLAlchemy tutorial app — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores (nproc), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)  "
  echo "Versions: $versions; $rust_version ($bin); wrk ${wrk_version:-?}  "
  echo "Command: \`$command_line\`  "
  echo "Load: \`wrk -t$threads -c$connections -d${duration}s --latency\`, servers and wrk on the same machine (127.0.0.1); each endpoint on Flask then on Rust, back to back  "
  echo "Servers: Flask tutorial app (extracted from $(basename "$seed_file")) under gunicorn, 2 sync workers; Rust release binary, signed in as an editor (session cookie on every request)${bare:+; bench/bare (the same 100-row page from the same database, read on the worker thread, nothing else)}  "
  echo "Data: $students students in each, SQLite both (Rust: \`seed --count $((students - 3))\` after the tutorial's 3; Flask: the same rows, same ids)"
  echo
  echo "| endpoint | app | path | req/s | Rust/Flask | p50 | p99 | non-2xx/3xx |"
  echo "|---|---|---|---:|---:|---:|---:|---:|"
  while IFS='|' read -r name app path rps p50 p99 bad errors _; do
    r=""
    if [ "$app" != flask ]; then
      r=$(ratio "$rps" "$(awk -F'|' -v n="$name" '$1 == n && $2 == "flask" { print $4 }' "$work/results")")
    fi
    case "$app" in
      flask) label=Flask ;;
      rust) label=Rust ;;
      bare) label="bare actix + rusqlite, same page" ;;
    esac
    echo "| $name | $label | \`$path\` | $rps | $r | $p50 | $p99 | $bad${errors:+ ($errors)} |"
  done < "$work/results"
  echo
  echo "Rows stored by the form creates: Flask $flask_created (wrk counted $(responses flask) responses), Rust $rust_created (wrk counted $(responses rust))."
  index_ratio=$(awk -F'|' '$1 == "index, 100 rows" { r[$2] = $4 } END { if (r["flask"] > 0) printf "%.1f", r["rust"] / r["flask"]; else print 0 }' "$work/results")
  verdict=$(awk -v r="$index_ratio" 'BEGIN { print (r >= 30 ? "met" : "not met") }')
  echo "Target, the Rust 100-row index at least 30× the Flask app's: ${index_ratio}× ($verdict)."
  if [ -n "$bare" ]; then
    awk -F'|' '$1 == "index, 100 rows" { r[$2] = $4 } END {
      if (r["flask"] > 0 && r["bare"] > 0)
        printf "The bare server of the same page: %.1f× the Flask app'"'"'s; the application at %.0f%% of the bare server'"'"'s rate.\n", r["bare"] / r["flask"], 100 * r["rust"] / r["bare"] }' "$work/results"
  fi
} | tee "${out:-/dev/null}"
