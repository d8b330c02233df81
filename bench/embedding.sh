#!/usr/bin/env bash
# Embedding benchmark (2 cores, loopback), printed as one table:
#  1. in process (dev.quire.embedding.EmbeddingBench): passages/s of ~128 tokens, 1, 8 and 32
#     at a time, for the raw model (on as many threads as the service) and through the service's
#     batcher; the overhead is the service against the raw model run with the service's batch
#     size and threads,
#     with one request of one text in flight also against the raw model on one thread (one
#     inference thread works then),
#     single-query embed latency, Lucene HNSW query latency at 10,000 documents, model load time
#     and RSS;
#  2. end to end: POSTS posts of ~WORDS words imported into a stopped site, `quire serve` embeds
#     them (catch-up time), `quire embeddings reindex` re-embeds them all (target <= 60 s for
#     1,000 posts of ~1,000 words), then wrk on GET /api/v1/search/semantic (target p99 <= 15 ms)
#     with the in-process query latency of step 1 as the reference measured in the same run.
# Env: PORT (18090), POSTS (1000), WORDS (1000), DURATION seconds of wrk (15), WARMUP seconds of
# wrk before it (20), CONNECTIONS (4).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}; POSTS=${POSTS:-1000}; WORDS=${WORDS:-1000}; DURATION=${DURATION:-15}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-4}
log() { echo "embedding.sh: $*" >&2; }
. bench/lib.sh
need wrk curl
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

log "in-process: model, batching, query latency, vector index"
java -Xmx512m -cp deploy/target/quire.jar dev.quire.embedding.EmbeddingBench "$work/inproc" \
  2>"$work/inproc.log" | tee "$work/inproc.txt" >&2
v() { sed -n "s/^$1=//p" "$work/inproc.txt"; }

log "generating $POSTS posts of ~$WORDS words"
mkdir -p "$work/posts"
awk -v posts="$POSTS" -v words="$WORDS" -v dir="$work/posts" 'BEGIN {
  srand(11);
  n = split("site page reader post link feed search index query cache event history draft schedule " \
    "markdown heading paragraph image garden tomato water morning rail valley journey database " \
    "table plan write read backup folder file restore archive author editor tag title summary " \
    "meaning visitor bread oven flour dough music guitar chord rhythm river bridge city street " \
    "winter summer mountain forest weather storm cloud light colour contrast accessible fast slow " \
    "server cluster node memory disk network latency throughput benchmark measure change keep", w, " ");
  topics = 20;
  for (p = 1; p <= posts; p++) {
    f = dir "/post-" p ".md"; t = p % topics;
    printf "---\ntitle: Notes on topic %d, part %d\nslug: notes-%d\ndate: 2025-%02d-%02d\ntags: topic-%d\n---\n\n", t, p, p, 1 + p % 12, 1 + p % 28, t > f;
    line = "";
    for (i = 1; i <= words; i++) {
      # Each post leans on a few topic words so posts differ in meaning, not only in numbers.
      if (rand() < 0.3) word = w[1 + (t * 5 + int(rand() * 5)) % n]; else word = w[1 + int(rand() * n)];
      line = line word;
      if (i % 15 == 0) { printf "%s.\n", line > f; line = ""; } else line = line " ";
      if (i % 120 == 0) printf "\n" > f;
    }
    printf "%s.\n", line > f; close(f);
  }
}'
log "importing into a stopped site"
./quire import markdown "$work/posts" --data "$work/data" >/dev/null 2>&1

log "starting quire on :$PORT; it embeds the $POSTS posts (catch-up)"
t0=$(date +%s%N)
QUIRE_API_TOKEN=bench-token-0123456789 ./quire serve --port "$PORT" --data "$work/data" > "$work/serve.log" 2>&1 &
server=$!
api() { curl -fs -H "Authorization: Bearer bench-token-0123456789" "$@"; }
status() { api "http://127.0.0.1:$PORT/api/v1/embeddings/status" || true; }
field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
until s=$(status) && [ -n "$s" ] && [ "$(field documents <<<"$s")" -ge "$POSTS" ] \
    && [ "$(field indexedSeq <<<"$s")" -ge "$(field contentSeq <<<"$s")" ]; do
  sleep 0.5
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
done
catchup_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
chunks=$(field chunks <<<"$(status)")
jpid=$(pgrep -P "$server" java || echo "$server")
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$jpid/status"; }

log "quire embeddings reindex"
reindex_line=$(./quire embeddings reindex --server "http://127.0.0.1:$PORT" --token bench-token-0123456789 2>/dev/null | tail -1)
log "$reindex_line"
reindex_s=$(sed -E 's/.* in ([0-9.]+) s .*/\1/' <<<"$reindex_line")

log "wrk: semantic search, $CONNECTIONS connections, ${DURATION}s"
cat > "$work/search.lua" <<'LUA'
local qs = {"how+do+I+move+my+blog", "fast+web+pages", "backups+I+can+read", "event+sourcing",
            "garden+in+the+morning", "database+query+plan", "music+and+rhythm", "mountain+weather"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/search/semantic?k=10&q=" .. qs[(i % #qs) + 1])
end
LUA
# Warm-up (not measured), at the measured concurrency: the JIT compiles the HTTP and query path
# first. On the demo site, after 5 s at 2 connections C2 was still compiling during the measured
# window (2.3 s of compiler CPU in 15 s) and p99 was 20-22 ms against 9-11 ms in the windows after.
wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Authorization: Bearer bench-token-0123456789" -s "$work/search.lua" \
  "http://127.0.0.1:$PORT" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer bench-token-0123456789" \
  -s "$work/search.lua" "http://127.0.0.1:$PORT" > "$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk.txt")
lat() { awk -v q="$1" '$1 == q {print $2}' "$work/wrk.txt"; }
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt"); non2xx=${non2xx:-0}
rss_end=$(rss)

rawcfg=$(v raw_service_config); svc32=$(v service_b32)
overhead=$(awk -v r="$rawcfg" -v s="$svc32" 'BEGIN{printf "%.1f", (r-s)/r*100}')
printf '\n| measure | result | target / reference |\n|---|---:|---:|\n'
printf '| model | %s | |\n' "$(v model)"
printf '| model load (ms) | %s | |\n' "$(v load_ms)"
printf '| RSS after model load, bench JVM (MB) | %s | |\n' "$(v rss_after_load_mb)"
printf '| passage length (tokens, avg) | %s | ~128 |\n' "$(v passage_tokens_avg)"
printf '| inference threads x ONNX Runtime threads each; texts per batch | %s; %s | |\n' "$(v threads)" "$(v max_batch)"
printf '| passages/s, one request of 1 text in flight at a time (so one inference thread works): raw model in calls of 1 on one thread / on %s threads / through the service | %s / %s / %s | |\n' "$(v threads | cut -dx -f1)" "$(v raw_b1_one_thread)" "$(v raw_b1)" "$(v service_b1)"
for b in 8 32; do
  printf '| passages/s, %d at a time: raw model in calls of %d / through the service | %s / %s | >= 140 (service) |\n' "$b" "$b" "$(v raw_b$b)" "$(v service_b$b)"
done
printf '| passages/s, raw model as the service runs it (calls of %s on %s threads) | %s | reference |\n' "$(v max_batch)" "$(v threads | cut -dx -f1)" "$rawcfg"
printf '| service overhead, 32 at a time against that reference | %s%% | < 10%% |\n' "$overhead"
printf '| passages/s, single-text requests all in flight (batcher coalesces) | %s | >= 140 |\n' "$(v service_singles_concurrent)"
printf '| query embed p50 / p99 (ms), in process | %s / %s | reference for HTTP |\n' "$(v query_embed_p50_ms)" "$(v query_embed_p99_ms)"
printf '| vector query k=10 at %s docs, p50 / p99 (ms) | %s / %s | |\n' "$(v index_docs)" "$(v index_query_p50_ms)" "$(v index_query_p99_ms)"
printf '| passage query k=5 at %s docs, p99 (ms) | %s | |\n' "$(v index_docs)" "$(v index_passages_p99_ms)"
printf '| embed %d posts of ~%d words on start (s; %s chunk vectors) | %s | |\n' "$POSTS" "$WORDS" "$chunks" "$catchup_s"
printf '| quire embeddings reindex, %d posts (s) | %s | <= 60 |\n' "$POSTS" "$reindex_s"
printf '| HTTP semantic search, %d connections: req/s | %s | |\n' "$CONNECTIONS" "$rps"
printf '| HTTP semantic search p50 / p99 (ms) | %s / %s | p99 <= 15 |\n' "$(lat 50%)" "$(lat 99%)"
printf '| HTTP non-2xx answers | %s | 0 |\n' "$non2xx"
printf '| server RSS after the run (MB) | %s | |\n' "$rss_end"
