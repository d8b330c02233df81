#!/usr/bin/env bash
# Read benchmark: 1,000 generated posts imported into a fresh site, then wrk (50 connections,
# 2 threads, loopback) on /, /blog/ and a post page, against Quire and against nginx serving
# the very same bytes as static files, measured in the same run, once the embedding role has
# embedded the imported posts (it does so in the background after the start). The post page is
# measured once more as browsers ask for it (Accept-Encoding: gzip), against nginx serving a
# precompressed copy (gzip_static). Idle RSS is taken twice: just after the embedding (the model
# loaded) and once the role has unloaded the unused model (quire.embedding.unload-idle-model-after,
# 2 minutes by default, so the run takes that much longer). Last, the site search page against the
# embedding role's query alone (4 connections), and the Open Graph cards. A third server answers
# the same bytes per route: Pekko HTTP alone (dev.quire.cli.BenchPekkoHttp: Quire's version,
# configuration and heap, a map lookup per request and nothing else), so the table tells Quire's
# own cost (Quire against it) from the framework's (it against nginx).
# Env: PORT (18080), NGINX_PORT (18081), PEKKO_PORT (18082), DURATION seconds per route (15),
# POSTS (1000), CARDS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18080}; NGINX_PORT=${NGINX_PORT:-18081}; PEKKO_PORT=${PEKKO_PORT:-18082}; DURATION=${DURATION:-15}; POSTS=${POSTS:-1000}
log() { echo "site.sh: $*" >&2; }
. bench/lib.sh
need wrk nginx curl
# A jar from before the Pekko HTTP reference was added would fail only after minutes of set-up.
[ deploy/target/quire.jar -nt deploy/src/main/java/dev/quire/cli/BenchPekkoHttp.java ] \
  || mvn -q -DskipTests package
work=$(mktemp -d)
# nginx's workers run as an unprivileged user: mktemp's 0700 directory answered them 403 Forbidden
# (a 153-byte error page) for every file, and the reference rows measured that until 2026-12-03.
chmod 755 "$work"
server=""; pekko=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; [ -n "$pekko" ] && kill "$pekko" 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

log "generating $POSTS posts"
mkdir -p "$work/posts"
for i in $(seq 1 "$POSTS"); do
  y=$(( 2023 + i % 4 )); m=$(( 1 + i % 12 )); d=$(( 1 + i % 28 ))
  {
    printf -- '---\ntitle: Benchmark post %d\nslug: benchmark-post-%d\ndate: %d-%02d-%02d\ntags: bench, tag-%d\ndescription: A generated post for benchmarking, number %d.\n---\n\n' "$i" "$i" "$y" "$m" "$d" $(( i % 10 )) "$i"
    for s in 1 2 3; do
      printf '## Section %d of post %d\n\n' "$s" "$i"
      printf 'This paragraph of post %d talks about caching, event sourcing and why a site should answer fast. It links to [another post](/posts/benchmark-post-%d/) and uses `inline code` and *emphasis* the way real posts do. ' "$i" $(( (i % POSTS) + 1 ))
      printf 'Readers skim, so the second sentence restates the point: measure, then change one thing, then measure again, and keep the numbers. %.0s' 1 2 3 4 5 6
      printf '\n\n- first point for section %d\n- second point, a little longer than the first\n- third point\n\n```java\nrecord Post(String slug, String title) {}\nvar p = new Post("benchmark-post-%d", "Post %d");\n```\n\n' "$s" "$i" "$i"
    done
  } > "$work/posts/post-$i.md"
done

log "importing into a stopped site"
t0=$(date +%s%N)
./quire import markdown "$work/posts" --data "$work/data" >/dev/null 2>&1
import_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

log "starting quire on :$PORT"
t0=$(date +%s%N)
QUIRE_API_TOKEN=bench-token-0123456789 ./quire serve --port "$PORT" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; do
  sleep 0.01
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
done
first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# The AppCDS archive is written when the first run exits; measure start-up again with it.
kill "$server"; wait "$server" 2>/dev/null || true
t0=$(date +%s%N)
QUIRE_API_TOKEN=bench-token-0123456789 ./quire serve --port "$PORT" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; do sleep 0.01; done
first_cds_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# The embedding role (on by default) embeds the imported posts in the background after the start,
# on both cores, for a minute or more: wait until its index has caught up with the read model, so
# that what follows measures serving pages, not pages and inference together.
embed_s="-"
t0=$(date +%s%N)
status=""
for _ in $(seq 1 600); do
  status=$(curl -s -H "Authorization: Bearer bench-token-0123456789" "http://127.0.0.1:$PORT/api/v1/embeddings/status" || true)
  case "$status" in
    *'"indexedSeq"'*)
      indexed=$(sed -E 's/.*"indexedSeq":([0-9]+).*/\1/' <<<"$status")
      content=$(sed -E 's/.*"contentSeq":([0-9]+).*/\1/' <<<"$status")
      # contentSeq is how far the service has read the read model: caught up when the index has
      # it all and reports no lag.
      if [ "$indexed" -ge "$content" ] && [ "$content" -gt 0 ] && grep -q '"lagMillis":0,' <<<"$status"; then
        embed_s=$(( ($(date +%s%N) - t0) / 1000000000 )); break
      fi ;;
    *'"unavailable"'*'not running'*) ;;  # still loading the model, or the role is off
  esac
  sleep 1
done
log "embedding index caught up after ${embed_s} s: $status"
sleep 3
jpid=$(pgrep -P "$server" java || echo "$server")
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$jpid/status"; }
idle_start=$(rss)

routes=("/" "/blog/" "/posts/benchmark-post-$(( POSTS / 2 ))/")
mkdir -p "$work/www"
for r in "${routes[@]}"; do
  mkdir -p "$work/www$r"; curl -fs "http://127.0.0.1:$PORT$r" > "$work/www${r}index.html"
  # nginx's best case for compressed pages: gzip_static serves this precompressed copy.
  gzip -6 -k -n "$work/www${r}index.html"
done
cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  # Production settings for static files: keep descriptors and metadata of open files cached.
  open_file_cache max=1000 inactive=60s;
  gzip_static on;
  gzip_vary on;
  default_type text/html;
  server { listen 127.0.0.1:$NGINX_PORT; root $work/www; index index.html; }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
# Both servers must answer every route with the same page before anything is measured.
for r in "${routes[@]}"; do
  curl -fs "http://127.0.0.1:$NGINX_PORT$r" | cmp -s - "$work/www${r}index.html" \
    || { log "nginx does not serve $r as Quire does"; exit 1; }
done
# Pekko HTTP alone, with the server's JVM settings (memory, collector; `./quire jvm-opts serve`).
if curl -fs -o /dev/null "http://127.0.0.1:$PEKKO_PORT/"; then
  log "something already answers on PEKKO_PORT $PEKKO_PORT"; exit 1
fi
# (Taken in two steps so that a launcher that refuses, e.g. QUIRE_GC=foo, stops the bench.)
jvm_opts=$(./quire jvm-opts serve)
mapfile -t jvm <<<"$jvm_opts"
java "${jvm[@]}" -cp deploy/target/quire.jar \
  dev.quire.cli.BenchPekkoHttp "$PEKKO_PORT" "$work/www" > "$work/pekko.log" 2>&1 &
pekko=$!
for _ in $(seq 1 600); do
  curl -fs -o /dev/null "http://127.0.0.1:$PEKKO_PORT/" && break
  sleep 0.1
  kill -0 "$pekko" 2>/dev/null || { cat "$work/pekko.log" >&2; exit 1; }
done
for r in "${routes[@]}"; do
  curl -fs "http://127.0.0.1:$PEKKO_PORT$r" | cmp -s - "$work/www${r}index.html" \
    || { log "Pekko HTTP alone does not serve $r as Quire does"; exit 1; }
done

bench() { # url [wrk options] -> "rps p99ms"; fails on any answer other than 2xx/3xx
  wrk -t2 -c50 -d"${DURATION}s" --latency "${@:2}" "$1" | awk '
    /Non-2xx or 3xx responses/ {bad=$NF}
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {if (bad) {print "wrk: " bad " answers were not 2xx/3xx" > "/dev/stderr"; exit 1}; printf "%.0f %.2f\n", rps, p99}'
}
log "warming up"
for r in "${routes[@]}"; do
  wrk -t2 -c50 -d5s "http://127.0.0.1:$PORT$r" >/dev/null
  wrk -t2 -c50 -d5s "http://127.0.0.1:$PEKKO_PORT$r" >/dev/null
done
wrk -t2 -c50 -d5s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT${routes[2]}" >/dev/null
printf '\n| route | Quire req/s | Quire p99 ms | nginx req/s | nginx p99 ms | Quire/nginx | Pekko HTTP alone req/s | its p99 ms | it/nginx | Quire/it |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for r in "${routes[@]}"; do
  q_out=$(bench "http://127.0.0.1:$PORT$r"); read -r q qp <<<"$q_out"
  n_out=$(bench "http://127.0.0.1:$NGINX_PORT$r"); read -r n np <<<"$n_out"
  p_out=$(bench "http://127.0.0.1:$PEKKO_PORT$r"); read -r p pp <<<"$p_out"
  printf '| `%s` | %s | %s | %s | %s | %d%% | %s | %s | %d%% | %d%% |\n' "$r" "$q" "$qp" "$n" "$np" \
    $(( 100 * q / n )) "$p" "$pp" $(( 100 * p / n )) $(( 100 * q / p ))
done
kill "$pekko" 2>/dev/null || true; wait "$pekko" 2>/dev/null || true; pekko=""
# What browsers get: they all send Accept-Encoding: gzip. Quire sends the copy it compressed once
# with the page; nginx sends the precompressed file (gzip_static).
post="${routes[2]}"
gz=(-H 'Accept-Encoding: gzip')
[ "$(curl -s "${gz[@]}" -o /dev/null -w '%header{content-encoding}' "http://127.0.0.1:$PORT$post")" = gzip ] \
  || { log "Quire did not answer gzip for $post"; exit 1; }
[ "$(curl -s "${gz[@]}" -o /dev/null -w '%header{content-encoding}' "http://127.0.0.1:$NGINX_PORT$post")" = gzip ] \
  || { log "nginx did not answer gzip for $post"; exit 1; }
q_out=$(bench "http://127.0.0.1:$PORT$post" "${gz[@]}"); read -r q qp <<<"$q_out"
n_out=$(bench "http://127.0.0.1:$NGINX_PORT$post" "${gz[@]}"); read -r n np <<<"$n_out"
printf '| `%s`, gzip (%s bytes; plain %s) | %s | %s | %s | %s | %d%% |\n' "$post" \
  "$(curl -s "${gz[@]}" -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT$post")" \
  "$(wc -c < "$work/www${post}index.html")" "$q" "$qp" "$n" "$np" $(( 100 * q / n ))
sleep 5
after_load=$(rss)
model_state() {
  curl -s -H "Authorization: Bearer bench-token-0123456789" "http://127.0.0.1:$PORT/api/v1/embeddings/status" \
    | grep -o '"modelLoaded":[a-z]*' | cut -d: -f2
}
after_load_model=$(model_state)
# An idle site frees the embedding model's memory once nothing has used it for
# quire.embedding.unload-idle-model-after (2m by default; nothing above searched), and the JVM
# gives freed native memory back every 5 s: wait for that, then measure again.
unloaded="-"
for _ in $(seq 1 400); do
  if [ "$(model_state)" = false ]; then sleep 6; unloaded=$(rss); break; fi
  sleep 1
done
printf '\n| measure | result | target |\n|---|---:|---:|\n'
printf '| idle RSS, %s posts, once the unused embedding model is unloaded (MB) | %s | <= 160 |\n' "$POSTS" "$unloaded"
printf '| idle RSS after start, the model loaded (it has just embedded the posts) (MB) | %s | |\n' "$idle_start"
printf '| RSS after the load, idle, model loaded: %s (MB) | %s | |\n' "$after_load_model" "$after_load"
printf '| launch to first page, first run (ms) | %s | <= 2000 |\n' "$first_ms"
printf '| launch to first page, with the AppCDS archive (ms) | %s | <= 2000 |\n' "$first_cds_ms"
printf '| import %d posts into a stopped site (ms) | %s | |\n' "$POSTS" "$import_ms"
printf '| embedding role catching up with them after the start, before the measurements above (s) | %s | |\n' "$embed_s"
printf '\nTargets: post page >= 70%% of nginx, / and /blog/ >= 60%%, p99 <= 10 ms. JVM: %s\n' "$(ps -o args= -p "$jpid" | grep -o -- '-Xmx[^ ]*')"
# The site's search, after the memory figures (a search loads the model again): its page, which
# fuses words and meaning, at 4 connections, against the embedding role's query alone through the
# API (the part of the page's work that is inference), measured in the same run.
log "measuring the search"
sq="q=benchmark+post+50"
auth=(-H "Authorization: Bearer bench-token-0123456789")
curl -fs -o /dev/null "http://127.0.0.1:$PORT/search/?$sq"
wrk -t2 -c4 -d5s "http://127.0.0.1:$PORT/search/?$sq" >/dev/null
s_out=$(bench "http://127.0.0.1:$PORT/search/?$sq" -c4); read -r s sp <<<"$s_out"
r_out=$(bench "http://127.0.0.1:$PORT/api/v1/search/semantic?$sq&k=50" -c4 "${auth[@]}"); read -r r rp <<<"$r_out"
meaning=$(curl -fs "${auth[@]}" "http://127.0.0.1:$PORT/api/v1/search?$sq" | grep -o '"meaning":[a-z]*' | cut -d: -f2)
printf '\n| search, 4 connections | req/s | p99 ms |\n|---|---:|---:|\n'
printf '| `/search/?%s` (words and meaning fused; meaning answered: %s) | %s | %s |\n' "$sq" "$meaning" "$s" "$sp"
printf '| `/api/v1/search/semantic?%s&k=50` (meaning alone, the reference) | %s | %s |\n' "$sq" "$r" "$rp"
# Generated Open Graph cards: drawing one (the first request for each of CARDS posts' cards, one
# after another), and a card kept after its drawing, against nginx serving the same PNG.
CARDS=${CARDS:-20}
log "measuring the Open Graph cards"
t0=$(date +%s%N)
# Every fourth generated post is dated 2023, so published (some later ones are scheduled).
for i in $(seq 4 4 $(( 4 * CARDS ))); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/og/posts/benchmark-post-$i.png"
done
draw_ms=$(( ($(date +%s%N) - t0) / 1000000 / CARDS ))
card="/og/posts/benchmark-post-$(( POSTS / 2 )).png"
curl -fs "http://127.0.0.1:$PORT$card" > "$work/www/card.png"
c_out=$(bench "http://127.0.0.1:$PORT$card"); read -r c cp <<<"$c_out"
n_out=$(bench "http://127.0.0.1:$NGINX_PORT/card.png"); read -r n np <<<"$n_out"
printf '\n| Open Graph card (%s bytes) | result | nginx, same PNG |\n|---|---:|---:|\n' "$(wc -c < "$work/www/card.png")"
printf '| drawn at its first request, %s cards one after another (ms per card, HTTP included) | %s | |\n' "$CARDS" "$draw_ms"
printf '| a kept card, 50 connections: req/s, p99 ms | %s, %s | %s, %s |\n' "$c" "$cp" "$n" "$np"
