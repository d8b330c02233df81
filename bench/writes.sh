#!/usr/bin/env bash
# Write throughput on the embedded default (H2 file, every ack durable):
#  1. acknowledged edits/s through the sharded Content entities (target >= 10,000/s), and how
#     long until the read model, which trails the journal on the same cores, holds them all
#  2. `quire import markdown` of 10,000 posts into a stopped site (target <= 10 s)
# Env: ITEMS (1000), EDITS (20000), IN_FLIGHT (256), WARMUP (100000), POSTS (10000).
# WARMUP edits run first, unmeasured: with 10,000 of them (the default before 2026-12-06) C2 was
# still compiling the write path while the measured edits ran (in a run of 140,000 edits its
# compiler thread had used 11 s of CPU by the 22nd second), and the figure was that much lower
# than a server's once it has warmed: 7,554 against 9,563-10,489 edits/s in the same hour.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-1000}; EDITS=${EDITS:-20000}; IN_FLIGHT=${IN_FLIGHT:-256}; WARMUP=${WARMUP:-100000}; POSTS=${POSTS:-10000}
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

echo "== edits through the entities ($EDITS edits over $ITEMS items, $IN_FLIGHT in flight, after $WARMUP unmeasured)" >&2
# With the JVM settings `./quire serve` runs the write path with (heap, collector, code cache), as
# bench/site.sh runs its Pekko HTTP reference; before 2026-12-06 this ran with -Xmx512m and the
# JVM's default collector (G1), which acked more and with a lower p99 than the server does by
# default (QUIRE_GC=g1 runs both with G1).
gc=-XX:+UseSerialGC
[ "${QUIRE_GC:-serial}" = g1 ] && gc=-XX:+UseG1GC
edits_line=$(java -Xms64m -Xmx"${QUIRE_HEAP:-256m}" "$gc" -Xss512k -XX:MaxMetaspaceSize=192m \
  -XX:ReservedCodeCacheSize=64m -cp deploy/target/quire.jar dev.quire.cli.BenchWrites "$work/edits" "$ITEMS" "$EDITS" "$IN_FLIGHT" "$WARMUP" 2>/dev/null | grep '^edits=')
echo "$edits_line" >&2

echo "== generating $POSTS posts" >&2
mkdir -p "$work/posts"
for i in $(seq 1 "$POSTS"); do
  printf -- '---\ntitle: Post %d\nslug: post-%d\ndate: 2025-%02d-%02d\ntags: bench, t%d\ndescription: Generated post %d.\n---\n\n## Heading %d\n\nSome *Markdown* body for post %d, with a [link](/posts/post-1/) and `code`.\n\n- one\n- two\n' \
    "$i" "$i" $(( (i % 12) + 1 )) $(( (i % 28) + 1 )) $(( i % 20 )) "$i" "$i" "$i" > "$work/posts/post-$i.md"
done
echo "== quire import markdown ($POSTS posts, stopped site)" >&2
t0=$(date +%s.%N)
./quire import markdown "$work/posts" --data "$work/site" 2>/dev/null | tail -1 >&2
t1=$(date +%s.%N)
import_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')

eps=$(sed -E 's/.*edits_per_s=([0-9]+).*/\1/' <<<"$edits_line")
p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$edits_line")
rm_s=$(sed -E 's/.*read_model_s=([0-9.]+).*/\1/' <<<"$edits_line")
rm_eps=$(sed -E 's/.*edits_per_s_read_model=([0-9]+).*/\1/' <<<"$edits_line")
printf '\n| measure | result | target |\n|---|---:|---:|\n'
printf '| acknowledged edits/s (H2, durable acks) | %s | >= 10,000 |\n' "$eps"
printf '| edit ack p99 (ms) | %s | |\n' "$p99"
printf '| the same edits until the read model (the site) holds them all: s, edits/s | %s, %s | |\n' "$rm_s" "$rm_eps"
printf '| import %d posts, stopped site, whole command (s) | %.1f | <= 10 |\n' "$POSTS" "$import_s"
