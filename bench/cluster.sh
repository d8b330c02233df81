#!/usr/bin/env bash
# Cluster benchmark on one machine (deploy/local-cluster.sh: PostgreSQL, two content nodes, two
# gateways behind nginx; the embedding and crawler nodes are left out so that they do not compete
# for the cores). Prints a table of:
#   - acknowledged edits/s through nginx, a gateway and the content nodes into PostgreSQL, right
#     after the start and again warm;
#   - page reads/s (wrk, loopback) on one gateway and on nginx over both gateways, against nginx
#     serving the same page's bytes as a static file, and proxying to it, in the same run;
#   - failover: a content node killed with SIGKILL under writes, to the first successful write on
#     an item whose entity was on it, and to every item written again.
# Env: DURATION seconds per measurement (15), CLIENTS writers (16), ITEMS edited (256).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15}; CLIENTS=${CLIENTS:-16}; ITEMS=${ITEMS:-256}
log() { echo "cluster.sh: $*" >&2; }
. bench/lib.sh
need wrk nginx curl
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d); chmod 755 "$work"  # PostgreSQL runs as its own user and must reach its directory
export QUIRE_CLUSTER_DIR="$work/cluster" QUIRE_LOCAL_ROLES="" QUIRE_LB_PORT=18180
export QUIRE_BASE_PORT=18200 QUIRE_PG_PORT=15433
static_port=18181 proxy_port=18182
cleanup() {
  deploy/local-cluster.sh down >/dev/null 2>&1 || true
  [ -f "$work/static/nginx.pid" ] && kill "$(cat "$work/static/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "starting the cluster"
deploy/local-cluster.sh up > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
token=$(cat "$QUIRE_CLUSTER_DIR/api-token")
lb="http://127.0.0.1:$QUIRE_LB_PORT"
gw1="http://127.0.0.1:$((QUIRE_BASE_PORT + 11))"
api() { curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

log "publishing 100 posts"
para='This paragraph talks about caching, event sourcing and why a site should answer fast. Readers skim, so the second sentence restates the point: measure, then change one thing, then measure again.'
for i in $(seq 1 100); do
  body="## Section one\n\n$para $para\n\n## Section two\n\n$para\n\n- a point\n- another point\n\n\`\`\`java\nrecord Post(String slug) {}\n\`\`\`\n"
  id=$(api -d "{\"kind\":\"post\",\"title\":\"Cluster post $i\",\"slug\":\"cluster-post-$i\",\"tags\":[\"bench\"],\"body\":\"$body\"}" \
    "$lb/api/v1/content" | sed -E 's/.*"id":"([^"]*)".*/\1/')
  api -o /dev/null -d '{}' "$lb/api/v1/content/$id/publish"
done
page="/posts/cluster-post-50/"
for url in "$gw1" "$lb"; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url$page")" = 200 ]; do sleep 0.2; done
done

# Twice: right after the start, while four JVMs still compile their hot code (the C2 compiler
# threads are then the busiest on the machine), and again once they have.
writes() { # label -> "edits/s p50 p99"
  log "writes ($1): $CLIENTS clients editing $ITEMS items for ${DURATION}s"
  java -Xmx256m -cp deploy/target/quire.jar dev.quire.cli.BenchCluster writes "$lb" "$token" "$ITEMS" "$DURATION" "$CLIENTS" \
    2>"$work/writes.err" | tee "$work/writes.out" >&2
  echo "$(sed -nE 's/.*edits\/s=([0-9]+).*/\1/p' "$work/writes.out")" \
    "$(sed -nE 's/.*p50_ms=([0-9.]+).*/\1/p' "$work/writes.out")" \
    "$(sed -nE 's/.*p99_ms=([0-9.]+).*/\1/p' "$work/writes.out")"
}
read -r cold_edits cold_p50 cold_p99 < <(writes cold)
read -r edits wp50 wp99 < <(writes warm)

# The reference: nginx serving the very same bytes as a static file.
mkdir -p "$work/static/root/posts/cluster-post-50"
curl -fs "$gw1$page" > "$work/static/root/posts/cluster-post-50/index.html"
# The same nginx also proxies to itself the way the load balancer proxies to the gateways: what
# the proxy hop alone costs on this machine.
cat > "$work/static/nginx.conf" <<EOF
worker_processes auto;
pid $work/static/nginx.pid;
error_log $work/static/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$static_port; root $work/static/root; index index.html; }
  upstream static { server 127.0.0.1:$static_port; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy_port;
    location / { proxy_pass http://static; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
nginx -p "$work/static" -c "$work/static/nginx.conf"
# The reference must serve the page the gateways serve, byte for byte.
curl -fs "http://127.0.0.1:$static_port$page" | cmp -s - "$work/static/root/posts/cluster-post-50/index.html" \
  || { log "static nginx does not serve $page"; exit 1; }

reads() { # url -> "req/s p99"; a run with any answer other than 2xx/3xx ends the bench
  wrk -t2 -c50 -d"${DURATION}s" --latency "$1" > "$work/wrk.out"
  if grep -q 'Non-2xx or 3xx' "$work/wrk.out"; then
    log "$1: $(grep 'Non-2xx or 3xx' "$work/wrk.out") (wrk counts them as requests)"
    echo "failed"
    return
  fi
  local rps p99
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
  echo "$rps $p99"
}
log "reads: wrk on one gateway, on nginx over two gateways, and on static nginx"
wrk -t2 -c50 -d5s "$gw1$page" >/dev/null; wrk -t2 -c50 -d5s "$lb$page" >/dev/null
read -r one_rps one_p99 < <(reads "$gw1$page")
read -r two_rps two_p99 < <(reads "$lb$page")
read -r ref_rps ref_p99 < <(reads "http://127.0.0.1:$static_port$page")
read -r hop_rps hop_p99 < <(reads "http://127.0.0.1:$proxy_port$page")
for r in "$one_rps" "$two_rps" "$ref_rps" "$hop_rps"; do
  [ "$r" != failed ] || { log "a read run had non-2xx answers; its figures would be wrong"; exit 1; }
done

log "failover: SIGKILL to content2 under writes"
victim=$(cat "$QUIRE_CLUSTER_DIR/pids/content2.pid")
java -Xmx256m -cp deploy/target/quire.jar dev.quire.cli.BenchCluster failover "$lb" "$token" 24 "$victim" \
  2>"$work/failover.err" | tee "$work/failover.out" >&2
first=$(sed -nE 's/.*first_moved_write_ms=([0-9-]+).*/\1/p' "$work/failover.out")
all=$(sed -nE 's/.*all_items_ms=([0-9-]+).*/\1/p' "$work/failover.out")

echo
echo "Quire cluster on one machine ($(nproc) cores): 2 content nodes, 2 gateways, nginx, PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -1)"
printf "| %-58s | %12s | %10s |\n" "measurement" "result" "p99"
printf "|%s|%s|%s|\n" "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..12})"
printf "| %-58s | %12s | %10s |\n" "acknowledged edits/s, first ${DURATION}s after the start" "$cold_edits" "${cold_p99} ms"
printf "| %-58s | %12s | %10s |\n" "acknowledged edits/s, warm ($CLIENTS clients via nginx)" "$edits" "${wp99} ms"
printf "| %-58s | %12s | %10s |\n" "post page req/s, one gateway" "$one_rps" "$one_p99"
printf "| %-58s | %12s | %10s |\n" "post page req/s, nginx over two gateways" "$two_rps" "$two_p99"
printf "| %-58s | %12s | %10s |\n" "reference: nginx serving the same page as a static file" "$ref_rps" "$ref_p99"
printf "| %-58s | %12s | %10s |\n" "reference: nginx proxying to that static file" "$hop_rps" "$hop_p99"
printf "| %-58s | %12s | %10s |\n" "failover: kill -9 to first write on a moved entity" "${first} ms" ""
printf "| %-58s | %12s | %10s |\n" "failover: kill -9 to every item written again" "${all} ms" ""
echo "(write p50 ${cold_p50} ms cold, ${wp50} ms warm; the failover uses deploy/README.md's cluster profile)"
