#!/usr/bin/env bash
# The projection's own cost on the embedded default (H2 file): created-and-published posts
# applied to the read model, 100 per transaction as the projection commits them, without the
# journal or the entities competing for the cores. Rounds of POSTS; the median of the second half.
# Env: POSTS (5000), ROUNDS (8), BATCH (100).
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-5000}; ROUNDS=${ROUNDS:-8}; BATCH=${BATCH:-100}
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out=$(java -Xmx512m -cp deploy/target/quire.jar dev.quire.cli.BenchProjection "$work" "$POSTS" "$ROUNDS" "$BATCH" 2>/dev/null)
echo "$out" | grep '^round=' >&2
median=$(sed -nE 's/^median_posts_per_s=([0-9]+)/\1/p' <<<"$out")
printf '\n| measure | result |\n|---|---:|\n'
printf '| read model: created-and-published posts/s, %d per transaction (median of the last %d rounds of %d) | %s |\n' "$BATCH" $(( ROUNDS - ROUNDS / 2 )) "$POSTS" "$median"
