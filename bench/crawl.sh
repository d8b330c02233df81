#!/usr/bin/env bash
# Crawl throughput: a generated site of PAGES static pages (about 1% of its links broken) served by
# nginx on loopback, audited by `quire crawl` (politeness off for this run, 10 requests in flight)
# and, in the same run, by LinkChecker from Debian (10 threads; nginx sends the `LinkChecker`
# header and its maxrequestspersecond is raised, so it is not held to 10 requests/s). Prints URLs/s, broken links found and peak
# RSS for both. Target: Quire >= 5x LinkChecker's URLs/s with the same broken links found.
# Env: PAGES (2000), PORT (18096), THREADS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${PAGES:-2000}; PORT=${PORT:-18096}; THREADS=${THREADS:-10}
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v linkchecker >/dev/null || need+=(linkchecker)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi
[ -f deploy/target/quire.jar ] || mvn -q -DskipTests package
work=$(mktemp -d "${TMPDIR:-/tmp}/quire-crawl-bench.XXXX")
# LinkChecker drops root privileges to "nobody": it must be able to write its report here.
chmod 777 "$work"
nginx_pid=""
cleanup() { [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
log() { echo "== $*" >&2; }

log "generating $PAGES pages"
mkdir -p "$work/site"
python3 - "$work/site" "$PAGES" <<'PY'
import sys, os
root, n = sys.argv[1], int(sys.argv[2])
def page(i):
    links = [f'<a href="/p{(i + k) % n}.html">page {(i + k) % n}</a>' for k in (1, 2, 3, 5, 8, 13)]
    if i % 17 == 0:
        links.append(f'<a href="/missing-{i}.html">gone</a>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page {i}</title>'
            f'<meta name="description" content="Generated page {i}.">'
            f'<link rel="canonical" href="/p{i}.html"></head><body><main><h1>Page {i}</h1>'
            f'<p>Some text for page {i}.</p><ul>' + ''.join(f'<li>{l}</li>' for l in links) +
            '</ul><a href="/">home</a></main></body></html>')
for i in range(n):
    with open(os.path.join(root, f'p{i}.html'), 'w') as f:
        f.write(page(i))
with open(os.path.join(root, 'index.html'), 'w') as f:
    f.write('<!doctype html><html><head><title>Home</title></head><body><a href="/p0.html">start</a></body></html>')
PY
chmod -R a+rX "$work/site"
broken_expected=$(( (PAGES + 16) / 17 ))

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  server {
    listen 127.0.0.1:$PORT;
    root $work/site;
    add_header LinkChecker "quire-bench" always;
  }
}
NGINX
nginx -c "$work/nginx.conf" &
nginx_pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; do sleep 0.1; done

measure() { # name, command...: sets secs, rss_mb
  local out="$work/time.$1"; shift
  /usr/bin/time -v -o "$out" "$@" >"$out.stdout" 2>"$out.stderr" || true
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$out")
}

# The launcher keeps an AppCDS archive of the classes `crawl` loads, made on its first run after
# a build (./quire): that first run is timed too, and the second is the one compared.
log "quire crawl (first run after a build: the launcher makes its class archive)"
rm -f deploy/target/quire-crawl*.jsa deploy/target/quire-crawl*.aot
measure quire-first ./quire crawl "http://127.0.0.1:$PORT/" --max-pages $(( PAGES * 2 )) --max-depth 100000 --delay 0 \
  --concurrency "$THREADS" --out "$work/quire-first-report"
first_s=$secs; first_rss=$rss_mb
log "quire crawl"
measure quire ./quire crawl "http://127.0.0.1:$PORT/" --max-pages $(( PAGES * 2 )) --max-depth 100000 --delay 0 \
  --concurrency "$THREADS" --out "$work/quire-report"
quire_s=$secs; quire_rss=$rss_mb
grep -E "^Crawled" "$work/time.quire.stdout" >&2 || tail -3 "$work/time.quire.stdout" >&2
read -r quire_urls quire_broken < <(python3 - "$work/quire-report/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
broken = {f["message"].split("links to ", 1)[1].split(", which")[0] for f in r["findings"] if f["kind"] == "broken-link"}
print(r["pages"] + r["checkedLinks"], len(broken))
PY
)

# With the LinkChecker header LinkChecker paces each host at maxrequestspersecond (default 10, and
# a random wait of 1x-6x its inverse): set high so that LinkChecker runs as fast as it can.
printf '[checking]\nthreads=%d\nmaxrequestspersecond=1000\n' "$THREADS" > "$work/linkcheckerrc"
chmod 644 "$work/linkcheckerrc"
log "linkchecker -t $THREADS"
measure linkchecker linkchecker -f "$work/linkcheckerrc" -t "$THREADS" --no-status \
  -F "csv/utf-8/$work/lc.csv" "http://127.0.0.1:$PORT/"
lc_s=$secs; lc_rss=$rss_mb
tail -2 "$work/time.linkchecker.stdout" >&2 || true
# URLs checked from its summary ("N links in M URLs checked"); broken ones from the CSV of errors.
lc_urls=$(grep -oE 'in [0-9]+ URLs? checked' "$work/time.linkchecker.stdout" | grep -oE '[0-9]+' || echo 0)
lc_broken=$(python3 - "$work/lc.csv" <<'PY'
import csv, sys
rows = [r for r in csv.reader((l for l in open(sys.argv[1], encoding="utf-8") if not l.startswith("#")), delimiter=";")]
head, body = rows[0], rows[1:]
u, v = head.index("urlname"), head.index("valid")
print(len({r[u] for r in body if len(r) > v and r[v] in ("False", "0")}))
PY
)

rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n/s; else print "-" }'; }
q_rate=$(rate "$quire_urls" "$quire_s"); l_rate=$(rate "$lc_urls" "$lc_s")
printf '\n%d pages, %d broken link targets generated; nginx on loopback; %d requests in flight\n\n' "$PAGES" "$broken_expected" "$THREADS"
printf '| crawler | seconds | URLs | URLs/s | broken found | peak RSS (MB) |\n|---|---:|---:|---:|---:|---:|\n'
printf '| quire crawl | %.1f | %s | %s | %s | %s |\n' "$quire_s" "$quire_urls" "$q_rate" "$quire_broken" "$quire_rss"
printf '| quire crawl, first run after a build | %.1f | %s | %s | | %s |\n' "$first_s" "$quire_urls" "$(rate "$quire_urls" "$first_s")" "$first_rss"
printf '| LinkChecker %s | %.1f | %s | %s | %s | %s |\n' "$(linkchecker --version 2>/dev/null | awk 'NR==1{print $2}')" "$lc_s" "$lc_urls" "$l_rate" "$lc_broken" "$lc_rss"
awk -v q="$q_rate" -v l="$l_rate" 'BEGIN{ if (l > 0) printf "\nquire / LinkChecker: %.1fx (target >= 5x)\n", q/l }'
