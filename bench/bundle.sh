#!/usr/bin/env bash
# Bundle throughput: a site of POSTS posts (each with some history) and MEDIA_MB of media
# (incompressible, like photos) is exported to a bundle, verified, and imported into an empty
# site. Prints items/s, MB/s and the peak RSS of each command, beside a reference measured in the
# same run: tar + sha256sum of the same data directory (what any copy-and-checksum must pay).
# Env: POSTS (10000), MEDIA_MB (1024), FILE_MB (4), PORT (18095), QUIRE_HEAP (256m, the launcher's).
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-10000}; MEDIA_MB=${MEDIA_MB:-1024}; FILE_MB=${FILE_MB:-4}; PORT=${PORT:-18095}
command -v curl >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq curl time >/dev/null; }
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d "${TMPDIR:-/tmp}/quire-bundle-bench.XXXX")
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
log() { echo "== $*" >&2; }

log "generating $POSTS posts"
mkdir -p "$work/posts"
for i in $(seq 1 "$POSTS"); do
  printf -- '---\ntitle: Post %d\nslug: post-%d\ndate: 2025-%02d-%02d\ntags: bench, t%d\ndescription: Generated post %d.\n---\n\n## Heading %d\n\nSome *Markdown* body for post %d, with a [link](/posts/post-1/) and `code`.\n\n- one\n- two\n' \
    "$i" "$i" $(( (i % 12) + 1 )) $(( (i % 28) + 1 )) $(( i % 20 )) "$i" "$i" "$i" > "$work/posts/post-$i.md"
done
./quire import markdown "$work/posts" --data "$work/site" >/dev/null 2>&1
# A second pass edits every post: each then has created, published and edited in its history.
sed -i 's/^Some \*Markdown\*/Some edited *Markdown*/' "$work/posts"/*.md
./quire import markdown "$work/posts" --data "$work/site" >/dev/null 2>&1

files=$(( MEDIA_MB / FILE_MB ))
log "uploading $files media files of $FILE_MB MB through the API"
QUIRE_API_TOKEN=bench-token-0123456789 QUIRE_ROLES=gateway,content ./quire serve --port "$PORT" --data "$work/site" > "$work/serve.log" 2>&1 &
server=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
  sleep 0.2; kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
done
for i in $(seq 1 "$files"); do
  head -c $(( FILE_MB * 1024 * 1024 )) /dev/urandom > "$work/blob"
  curl -fs -o /dev/null -H "Authorization: Bearer bench-token-0123456789" -H "Content-Type: image/jpeg" \
    --data-binary @"$work/blob" "http://127.0.0.1:$PORT/api/v1/media?filename=photo-$i.jpg"
done
rm -f "$work/blob"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

data_mb=$(du -sm "$work/site" | cut -f1)
measure() { # label, command...: sets secs and rss_mb
  local out="$work/time.$1"; shift
  /usr/bin/time -v -o "$out" "$@" >"$out.stdout" 2>"$out.stderr" || { cat "$out.stderr" >&2; exit 1; }
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$out")
}

log "reference: tar | sha256sum of the data directory ($data_mb MB)"
measure ref bash -c "tar -C '$work' -cf - site | sha256sum"
ref_s=$secs; ref_rss=$rss_mb
log "quire bundle export"
measure export ./quire bundle export "$work/site.quire" --data "$work/site"
export_s=$secs; export_rss=$rss_mb
cat "$work/time.export.stdout" >&2
bundle_mb=$(( $(stat -c %s "$work/site.quire") / 1024 / 1024 ))
log "quire bundle verify"
measure verify ./quire bundle verify "$work/site.quire"
verify_s=$secs; verify_rss=$rss_mb
log "quire bundle import into an empty site"
measure import ./quire bundle import "$work/site.quire" --data "$work/copy"
import_s=$secs; import_rss=$rss_mb
cat "$work/time.import.stdout" >&2

log "quire bundle import --server into an empty running site"
SERVED_PORT=$(( PORT + 1 ))
QUIRE_API_TOKEN=bench-token-0123456789 QUIRE_ROLES=gateway,content ./quire serve --port "$SERVED_PORT" --data "$work/served" > "$work/served.log" 2>&1 &
server=$!
until curl -fs -o /dev/null "http://127.0.0.1:$SERVED_PORT/healthz"; do
  sleep 0.2; kill -0 "$server" 2>/dev/null || { cat "$work/served.log" >&2; exit 1; }
done
measure served ./quire bundle import "$work/site.quire" --server "http://127.0.0.1:$SERVED_PORT" --token bench-token-0123456789
served_s=$secs; served_cli_rss=$rss_mb
served_rss=$(awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$server/status")
cat "$work/time.served.stdout" >&2
kill "$server"; wait "$server" 2>/dev/null || true; server=""

rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n/s; else print "-" }'; }
printf '\n%d posts (3 events each), %d MB media in %d files; data dir %d MB, bundle %d MB; heap %s\n\n' \
  "$POSTS" "$MEDIA_MB" "$files" "$data_mb" "$bundle_mb" "${QUIRE_HEAP:-256m}"
printf '| step | seconds | items/s | MB/s | peak RSS (MB) |\n|---|---:|---:|---:|---:|\n'
printf '| reference: tar + sha256sum of the data dir | %.1f | | %s | %s |\n' "$ref_s" "$(rate "$data_mb" "$ref_s")" "$ref_rss"
printf '| quire bundle export | %.1f | %s | %s | %s |\n' "$export_s" "$(rate "$POSTS" "$export_s")" "$(rate "$bundle_mb" "$export_s")" "$export_rss"
printf '| quire bundle verify | %.1f | %s | %s | %s |\n' "$verify_s" "$(rate "$POSTS" "$verify_s")" "$(rate "$bundle_mb" "$verify_s")" "$verify_rss"
printf '| quire bundle import (empty site) | %.1f | %s | %s | %s |\n' "$import_s" "$(rate "$POSTS" "$import_s")" "$(rate "$bundle_mb" "$import_s")" "$import_rss"
printf '| quire bundle import --server (empty running site: upload, checks, writes; RSS: the server, the command) | %.1f | %s | %s | %s, %s |\n' "$served_s" "$(rate "$POSTS" "$served_s")" "$(rate "$bundle_mb" "$served_s")" "$served_rss" "$served_cli_rss"
