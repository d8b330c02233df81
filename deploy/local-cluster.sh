#!/usr/bin/env bash
# A whole Quire cluster on one machine, every node its own JVM with its own heap and log:
# PostgreSQL (Debian's postgresql package), two content nodes, two gateways behind an nginx load
# balancer, one embedding and one crawler node. The nodes find each other by Cluster Bootstrap
# with the two content nodes' management ports as contact points.
#
#   deploy/local-cluster.sh up       start everything (installs postgresql and nginx when missing)
#   deploy/local-cluster.sh status   the cluster's members and roles, and each process
#   deploy/local-cluster.sh down     stop everything (the data stays in the state directory)
#
# Env: QUIRE_CLUSTER_DIR (state, default ./local-cluster), QUIRE_LB_PORT (nginx, 8080),
# QUIRE_LOCAL_ROLES (which optional nodes to run, default "embedding crawler"; empty for none),
# QUIRE_PG_PORT (15432), QUIRE_BASE_PORT (first of the nodes' ports, 18100).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=$(realpath -m "${QUIRE_CLUSTER_DIR:-$root/local-cluster}")
lb_port=${QUIRE_LB_PORT:-8080}
pg_port=${QUIRE_PG_PORT:-15432}
base=${QUIRE_BASE_PORT:-18100}
optional=${QUIRE_LOCAL_ROLES-embedding crawler}
jar="$root/deploy/target/quire.jar"
log() { echo "local-cluster: $*" >&2; }

# name role heap http-port (0: none) management-port
nodes() {
  echo "content1 content 384m 0 $((base + 1))"
  echo "content2 content 384m 0 $((base + 2))"
  echo "gateway1 gateway 256m $((base + 11)) $((base + 3))"
  echo "gateway2 gateway 256m $((base + 12)) $((base + 4))"
  for r in $optional; do
    case $r in
      embedding) echo "embedding embedding 768m 0 $((base + 5))" ;;
      crawler) echo "crawler crawler 256m 0 $((base + 6))" ;;
      *) log "QUIRE_LOCAL_ROLES: unknown role '$r' (embedding, crawler)"; exit 2 ;;
    esac
  done
}
contact_points="127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

need_tools() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "needs ${missing[*]}: run  sudo apt-get install -y ${missing[*]}"
    exit 2
  fi
}

# PostgreSQL refuses to run as root: as root it runs as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

db_env() {
  export QUIRE_DB_URL="jdbc:postgresql://127.0.0.1:$pg_port/quire"
  export QUIRE_DB_USER=quire QUIRE_DB_PASSWORD=quire
  export QUIRE_DB_DRIVER=org.postgresql.Driver
  export QUIRE_DB_SLICK_PROFILE='slick.jdbc.PostgresProfile$'
  export QUIRE_DB_PROJECTION_DIALECT=postgres-dialect
}

start_pg() {
  local bin
  bin=$(pg_bin)
  mkdir -p "$dir"
  if [ ! -f "$dir/pg/PG_VERSION" ]; then
    log "creating the database in $dir/pg"
    mkdir -p "$dir/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
    as_pg "$bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    mkdir -p "$dir/logs"
    touch "$dir/logs/postgres.log"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/logs/postgres.log"
    as_pg "$bin/pg_ctl" -D "$dir/pg" -l "$dir/logs/postgres.log" -w \
      -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  fi
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
      "SELECT 1 FROM pg_roles WHERE rolname='quire'" | grep -q 1; then
    as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc \
      "CREATE ROLE quire LOGIN PASSWORD 'quire'"
    as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE quire OWNER quire"
  fi
}

start_nginx() {
  mkdir -p "$dir/nginx"
  cat > "$dir/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/logs/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream gateways {
    server 127.0.0.1:$((base + 11)) max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$((base + 12)) max_fails=1 fail_timeout=5s;
    keepalive 64;
    # Sooner than the gateways close a connection with no request on it
    # (quire.gateway.http.request-header-timeout, 60 s), so nginx never sends a request down a
    # connection the gateway is closing.
    keepalive_timeout 15s;
  }
  server {
    listen 127.0.0.1:$lb_port;
    client_max_body_size 64m;
    # The gateways close a connection whose request headers take over 60 s; the proxy, which
    # holds every visitor's connection, bounds it tighter.
    client_header_timeout 10s;
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A gateway that is down or restarting (connection refused): try the other one. Not on a
      # 503: that is a gateway's answer (a content entity moving), and it must not take the
      # healthy gateway out of the pool.
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
    }
  }
}
EOF
  if [ -f "$dir/nginx/nginx.pid" ] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null; then
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s reload
  else
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
  fi
}

alive() { [ -f "$dir/pids/$1.pid" ] && kill -0 "$(cat "$dir/pids/$1.pid")" 2>/dev/null; }

# The JVM trims the native heap as ./quire serve does (QUIRE_NATIVE_TRIM_MS, 5000), when this JDK
# has the option; asked by `up` only.
trim_opt=()
trim_options() {
  local ms=${QUIRE_NATIVE_TRIM_MS:-5000}
  if [ "$ms" != 0 ] && java -XX:TrimNativeHeapInterval="$ms" -version >/dev/null 2>&1; then
    trim_opt=(-XX:TrimNativeHeapInterval="$ms")
  fi
}

start_node() {
  local name=$1 role=$2 heap=$3 http=$4 mgmt=$5
  if alive "$name"; then
    log "$name is running already"
    return
  fi
  mkdir -p "$dir/nodes/$name" "$dir/logs" "$dir/pids"
  local args=(serve --roles "$role" --data "$dir/nodes/$name" --management-port "$mgmt"
    --contact-points "$contact_points")
  [ "$http" != 0 ] && args+=(--port "$http")
  # Appended, with a line per start: a node that crashed keeps its log when it is started again.
  echo "=== $(date -u +%FT%TZ) local-cluster.sh starts $name" >> "$dir/logs/$name.log"
  # Every node knows the site's address (canonical links, feeds); the crawler may audit it.
  # The gateways believe the X-Forwarded-For of the nginx in front of them (on this host), so
  # failed sign-ins are counted per visitor, not all under nginx's address.
  QUIRE_BASE_URL="${QUIRE_BASE_URL:-http://localhost:$lb_port}" \
  QUIRE_TRUSTED_PROXIES="${QUIRE_TRUSTED_PROXIES:-127.0.0.1,::1}" \
  QUIRE_API_TOKEN=$(cat "$dir/api-token") QUIRE_MEDIA_DIR="$dir/media" MALLOC_ARENA_MAX=2 \
    setsid nohup java -Xms64m -Xmx"$heap" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError "${trim_opt[@]}" ${QUIRE_JAVA_OPTS:-} -jar "$jar" \
    "${args[@]}" >> "$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/pids/$name.pid"
}

up() {
  if [ ! -f "$jar" ]; then
    log "the jar is not built yet: run  mvn -q -DskipTests package"
    exit 2
  fi
  need_tools
  trim_options
  mkdir -p "$dir/media"
  # Owner-only, as the server keeps its own token file.
  [ -f "$dir/api-token" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/api-token")
  chmod 600 "$dir/api-token"
  start_pg
  db_env
  nodes | while read -r name role heap http mgmt; do start_node "$name" "$role" "$heap" "$http" "$mgmt"; done
  start_nginx
  log "waiting for every node to be ready"
  local deadline=$((SECONDS + ${QUIRE_UP_TIMEOUT:-240}))
  nodes | while read -r name role heap http mgmt; do
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mgmt/ready")" = 200 ]; do
      if ! alive "$name"; then log "$name died: see $dir/logs/$name.log"; tail -20 "$dir/logs/$name.log" >&2; exit 1; fi
      if [ $SECONDS -gt $deadline ]; then log "$name is not ready: see $dir/logs/$name.log"; exit 1; fi
      sleep 0.5
    done
  done
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lb_port/healthz")" = 200 ]; do
    [ $SECONDS -gt $deadline ] && { log "the site does not answer on :$lb_port"; exit 1; }
    sleep 0.5
  done
  echo "The cluster is up: http://127.0.0.1:$lb_port/ (nginx over gateway1 :$((base + 11)) and gateway2 :$((base + 12)))"
  echo "API token: $(cat "$dir/api-token")   state and logs: $dir"
  status
}

status() {
  local members="" mgmt
  for mgmt in $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4)); do
    members=$(curl -s --max-time 2 "http://127.0.0.1:$mgmt/cluster/members" || true)
    [ -n "$members" ] && break
  done
  if [ -z "$members" ]; then
    echo "No node answers: the cluster is down."
  else
    echo "Members (asked on :$mgmt):"
    echo "$members" | grep -o '"node":"[^"]*","nodeUid":"[^"]*","roles":\[[^]]*\],"status":"[^"]*"' |
      sed -E 's/"node":"([^"]*)","nodeUid":"[^"]*","roles":\[([^]]*)\],"status":"([^"]*)"/\1 \3 \2/' |
      sed -E 's/"dc-default",?//; s/,$//; s/"//g' |
      awk '{printf "  %-36s %-8s %s\n", $1, $2, $3}'
    local unreachable
    unreachable=$(echo "$members" | grep -o '"unreachable":\[[^]]*\]' || true)
    [ "$unreachable" != '"unreachable":[]' ] && echo "  $unreachable"
  fi
  echo "Processes:"
  printf "  %-10s %-10s %-8s %-6s %-9s %s\n" NAME ROLE PID HEAP RSS LOG
  nodes | while read -r name role heap http mgmt; do
    local pid="-" rss="-"
    if alive "$name"; then
      pid=$(cat "$dir/pids/$name.pid")
      rss=$(awk '/VmRSS/ {printf "%d MB", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo "-")
    fi
    printf "  %-10s %-10s %-8s %-6s %-9s %s\n" "$name" "$role" "$pid" "$heap" "$rss" "$dir/logs/$name.log"
  done
}

stop_node() {
  local name=$1 pid
  alive "$name" || { rm -f "$dir/pids/$name.pid"; return 0; }
  pid=$(cat "$dir/pids/$name.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pids/$name.pid"
}

down() {
  # Gateways first (no new requests), then the other roles, the content nodes last.
  for name in gateway1 gateway2 embedding crawler content2 content1; do stop_node "$name"; done
  if [ -f "$dir/nginx/nginx.pid" ] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null; then
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s quit || true
  fi
  local bin
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -f "$dir/pg/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  echo "The cluster is down (data kept in $dir)."
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
