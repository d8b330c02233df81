#!/usr/bin/env bash
# Write throughput on the embedded default (H2 file, every ack durable):
#  1. acknowledged edits/s through the sharded Content entities (target >= 10,000/s), and how
#     long until the read model, which trails the journal on the same cores, holds them all
#  2. `quire import markdown` of 10,000 posts into a stopped site (target <= 10 s)
# Env: ITEMS (1000), EDITS (50000), IN_FLIGHT (256), WARMUP (300000), POSTS (10000).
# WARMUP edits run first, unmeasured, so that the figure is a running server's rather than the
# JIT's at work. How much the JIT compilers still took of the measured edits' wall time is
# printed beside the figure (jit_share, in cores). With 10,000 warm-up edits (the default before
# 2026-12-06) C2 compiled through the whole measured run; with 100,000 (the tenth session's
# default) the one C2 thread of this 2-core machine was still busy all the time (jit_share
# 0.98-1.08); it settles after ~300,000 (0.40-0.44). Measured edits 20,000 before.
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-1000}; EDITS=${EDITS:-50000}; IN_FLIGHT=${IN_FLIGHT:-256}; WARMUP=${WARMUP:-300000}; POSTS=${POSTS:-10000}
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

echo "== edits through the entities ($EDITS edits over $ITEMS items, $IN_FLIGHT in flight, after $WARMUP unmeasured)" >&2
# With the JVM settings `./quire serve` runs the write path with (heap, collector, code cache;
# `./quire jvm-opts serve`), as bench/site.sh runs its Pekko HTTP reference; before 2026-12-06
# this ran with -Xmx512m and the JVM's default collector (G1), which acked more and with a lower
# p99 than the server did then by default (QUIRE_GC=g1 runs both with G1).
# (Taken in two steps so that a launcher that refuses, e.g. QUIRE_GC=foo, stops the bench.)
jvm_opts=$(./quire jvm-opts serve)
mapfile -t jvm <<<"$jvm_opts"
edits_line=$(java "${jvm[@]}" -cp deploy/target/quire.jar dev.quire.cli.BenchWrites "$work/edits" "$ITEMS" "$EDITS" "$IN_FLIGHT" "$WARMUP" 2>/dev/null | grep '^edits=')
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
jit=$(sed -E 's/.*jit_share=([0-9.]+).*/\1/' <<<"$edits_line")
gcs=$(sed -E 's/.*gc_share=([0-9.]+).*/\1/' <<<"$edits_line")
printf '\n| measure | result | target |\n|---|---:|---:|\n'
printf '| acknowledged edits/s (H2, durable acks) | %s | >= 10,000 |\n' "$eps"
printf '| edit ack p99 (ms) | %s | |\n' "$p99"
printf '| JIT compilers, collector during the measured edits (cores) | %s, %s | |\n' "$jit" "$gcs"
printf '| the same edits until the read model (the site) holds them all: s, edits/s | %s, %s | |\n' "$rm_s" "$rm_eps"
printf '| import %d posts, stopped site, whole command (s) | %.1f | <= 10 |\n' "$POSTS" "$import_s"
