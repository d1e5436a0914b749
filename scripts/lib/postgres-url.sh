# shellcheck shell=bash
# Sourced by the scripts that make their own PostgreSQL databases.

# pg_url SERVER_URL DATABASE: SERVER_URL with its database, if it names one,
# replaced by DATABASE, and its parameters (`?sslmode=require`, …) kept.
pg_url() {
  local server=$1 database=$2 query=""
  case "$server" in
    *\?*) query="?${server#*\?}"; server=${server%%\?*} ;;
  esac
  server=$(printf '%s' "$server" | sed -E 's#^([A-Za-z]+://[^/]*).*$#\1#')
  printf '%s/%s%s' "$server" "$database" "$query"
}

# pg_url_shown URL: URL with any password masked, for messages.
pg_url_shown() {
  printf '%s' "$1" | sed -E 's#^([A-Za-z]+://[^:/@]*):[^@]*@#\1:***@#; s#([?&]password=)[^&]*#\1***#g'
}
