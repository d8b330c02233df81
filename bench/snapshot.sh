#!/usr/bin/env bash
# What a gateway spends on its in-memory site per change (dev.quire.cli.BenchSiteSnapshot): a new
# snapshot after one published change and after a page of BATCH changes (what a catch-up applies
# at once), against building the whole site from its items, which is what every change cost until
# snapshots were updated in place. Milliseconds per snapshot, the median of the second half of
# ROUNDS rounds. Env: SIZES ("1000 10000 50000"), ROUNDS (8), BATCH (200).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 10000 50000"}; ROUNDS=${ROUNDS:-8}; BATCH=${BATCH:-200}
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
# shellcheck disable=SC2086
out=$(java -Xmx1g -cp deploy/target/quire.jar dev.quire.cli.BenchSiteSnapshot "$ROUNDS" "$BATCH" $SIZES 2>/dev/null)
echo "$out" | grep '^round=' >&2
printf '\n| published posts | one change (ms) | a page of %d changes (ms) | whole site rebuilt (ms, the reference) |\n|---:|---:|---:|---:|\n' "$BATCH"
grep '^posts=' <<<"$out" | sed -E 's/posts=([0-9]+) one_change_ms=([0-9.]+) page_ms=([0-9.]+) full_build_ms=([0-9.]+)/| \1 | \2 | \3 | \4 |/'
