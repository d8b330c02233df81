#!/usr/bin/env bash
# API benchmark: what a user's own API token costs per request against the site's token, in the
# same run. The site's token is compared in memory by the gateway; a user's token is checked by the
# user directory (one sharded entity) at every request, with no cache, so that a revocation counts
# at once on every gateway. wrk (50 connections, 2 threads, loopback) on GET /api/v1/me (the
# authorisation and little else) and GET /api/v1/content/<id> (an item read from its entity), each
# with either token, on the demo site with the embedding role off.
# Env: PORT (18090), DURATION seconds per row (10).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}; DURATION=${DURATION:-10}
log() { echo "api.sh: $*" >&2; }
. bench/lib.sh
need wrk curl
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
SITE=bench-api-token-0123456789
base="http://127.0.0.1:$PORT"

log "starting quire --demo on :$PORT"
QUIRE_API_TOKEN=$SITE QUIRE_EMBEDDING_ENABLED=false ./quire serve --demo --port "$PORT" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
until curl -fs -o /dev/null "$base/healthz"; do
  sleep 0.1
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
done
api() { curl -fsS -X "$1" -H "Authorization: Bearer $SITE" -H "Content-Type: application/json" ${3:+--data "$3"} "$base/api/v1$2"; }
api POST /users '{"username":"bench","role":"editor","password":"bench-password-1"}' >/dev/null
USER=$(api POST /users/bench/tokens '{"name":"bench/api.sh"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
case "$USER" in quire_*) ;; *) log "no token made: $USER"; exit 1 ;; esac
id=""
for _ in $(seq 1 100); do
  id=$(api GET "/content?size=1" | sed -nE 's/.*"items":\[\{"id":"([^"]+)".*/\1/p')
  [ -n "$id" ] && break
  sleep 0.2
done
[ -n "$id" ] || { log "no item to read"; exit 1; }

# req/s and p99 (ms) of one wrk run; every answer must be a 200, or the row measures refusals.
measure() {
  local out
  out=$(wrk -t2 -c50 -d"${DURATION}s" --latency -H "Authorization: Bearer $2" "$base$1")
  if grep -q "Non-2xx" <<<"$out"; then log "non-2xx answers on $1: $(grep Non-2xx <<<"$out")"; exit 1; fi
  awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {printf "%.0f %.2f", rps, p99}' <<<"$out"
}

log "warming up"
for t in "$SITE" "$USER"; do
  wrk -t2 -c50 -d5s -H "Authorization: Bearer $t" "$base/api/v1/me" >/dev/null
  wrk -t2 -c50 -d5s -H "Authorization: Bearer $t" "$base/api/v1/content/$id" >/dev/null
done

printf '\n%-26s %14s %10s %14s %10s %8s\n' "GET" "site token/s" "p99 ms" "user token/s" "p99 ms" "user/site"
for path in /api/v1/me "/api/v1/content/$id"; do
  read -r srps sp99 <<<"$(measure "$path" "$SITE")"
  read -r urps up99 <<<"$(measure "$path" "$USER")"
  label=$path; [ "$path" = /api/v1/me ] || label="/api/v1/content/<id>"
  printf '%-26s %14s %10s %14s %10s %7s%%\n' "$label" "$srps" "$sp99" "$urps" "$up99" "$(( urps * 100 / srps ))"
done
