#!/usr/bin/env bash
# A production-like Temporal on one machine, without Docker: the Temporal server built from its Go module,
# PostgreSQL from the distribution (Debian's postgresql package) for persistence and visibility, N history
# shards, Vigil's namespace and search attributes. Vigil runs against it unchanged:
#   TEMPORAL_ADDRESS=$(ops/temporal/cluster.sh address) npx vigil worker
#
# Usage: ops/temporal/cluster.sh build|start|stop|status|address|destroy [--dir DIR] [--port PORT] [--shards N]
#   build    go install the server and temporal-sql-tool into <cache>/temporal-server/<version>/bin
#            (VIGIL_CACHE_DIR, default .cache; about 13 minutes the first time on 2 cores, reused afterwards)
#   start    build if needed, create the cluster on first use (PostgreSQL data directory, role with a generated
#            password, databases, schemas), start PostgreSQL and the server, create the namespace and register
#            Vigil's search attributes; prints TEMPORAL_ADDRESS. Idempotent: a running cluster is left alone.
#   stop     stop the server and PostgreSQL (data kept)
#   status   what runs, and whether the frontend answers
#   address  print the frontend's host:port
#   destroy  stop, then delete DIR
# Options (start/create time): --dir (default ${VIGIL_DATA_DIR:-.vigil}/temporal-cluster), --port of the
# frontend (default 7233; 0 picks a free one), --shards (default TEMPORAL_HISTORY_SHARDS of settings.env;
# fixed when the cluster is created). Everything listens on 127.0.0.1 only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=settings.env
. "$HERE/settings.env"
VERSION="$TEMPORAL_SERVER_VERSION"
BIN="${VIGIL_CACHE_DIR:-$ROOT/.cache}/temporal-server/$VERSION/bin"
NAMESPACE=default

log() { printf '[temporal-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

cmd="${1:-}"
if [ $# -gt 0 ]; then shift; fi
DIR="${VIGIL_DATA_DIR:-$ROOT/.vigil}/temporal-cluster"
PORT_ARG=""; SHARDS_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir needs a folder}"; shift 2 ;;
    --port) PORT_ARG="${2:?--port needs a number}"; shift 2 ;;
    --shards) SHARDS_ARG="${2:?--shards needs a number}"; shift 2 ;;
    *) die "unknown option '$1' (see the usage at the top of $0)" ;;
  esac
done
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
PGDATA="$DIR/postgres"
STATE="$DIR/cluster.env"   # written once the cluster exists: its shards, frontend port and password
SERVER_PID="$DIR/server.pid"

# ---------------------------------------------------------------------------------------------------- build
build() {
  if [ -x "$BIN/temporal-server" ] && [ -x "$BIN/temporal-sql-tool" ]; then return; fi
  command -v go >/dev/null || die "Go is needed to build the Temporal server (go install); install Go >= 1.25"
  mkdir -p "$BIN"
  local started=$SECONDS compiled=0 downloaded=0 line out="$BIN/../build.log"
  log "building Temporal server $VERSION with go install into $BIN (the first build takes about 13 minutes on 2 cores)"
  # CGO off: pure-Go binaries, as Temporal releases them. (The Temporal CLI's build cache barely helps: the CLI
  # pins other versions of shared dependencies, so about 620 packages compile again.)
  # -v names each package as it is compiled: counted for progress, kept in build.log.
  (cd "$BIN" && GOBIN="$BIN" CGO_ENABLED=0 go install -v \
      "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION") 2>&1 |
    tee "$out" | while IFS= read -r line; do
      case "$line" in
        "go: downloading "*) downloaded=$((downloaded + 1))
          if [ $((downloaded % 50)) -eq 0 ]; then log "go install: $downloaded modules downloaded ($((SECONDS - started)) s)"; fi ;;
        go.*|github.com/*|golang.org/*|google.golang.org/*|*.*/*) compiled=$((compiled + 1))
          if [ $((compiled % 100)) -eq 0 ]; then log "go install: $compiled packages compiled ($((SECONDS - started)) s)"; fi ;;
      esac
    done || { tail -20 "$out" >&2; die "go install failed (full output in $out)"; }
  mv "$BIN/server" "$BIN/temporal-server"
  mv "$BIN/sql" "$BIN/temporal-sql-tool"
  log "built in $((SECONDS - started)) s: $BIN/temporal-server, $BIN/temporal-sql-tool"
}

# ----------------------------------------------------------------------------------------------- PostgreSQL
# The newest installed PostgreSQL's bin folder (Debian keeps each major version apart); installed on `start`.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true; }

install_postgres() {
  if [ -n "$(pg_bin)" ]; then return; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then die "PostgreSQL is not installed: apt-get install postgresql"; fi
  log "installing PostgreSQL (Debian package postgresql)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user the package created.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# n free TCP ports on loopback, held open together so they are distinct. Below 32768 (not from the kernel's
# ephemeral range): Temporal stores each service's membership port in a PostgreSQL smallint column, and a
# larger port stops the server ("value out of range for type smallint").
free_ports() {
  node -e '
    const net = require("node:net");
    const tryListen = (port) => new Promise((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(undefined));
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
    (async () => {
      const servers = [];
      for (let attempt = 0; servers.length < Number(process.argv[1]) && attempt < 1000; attempt++) {
        const s = await tryListen(20000 + Math.floor(Math.random() * 12768));
        if (s) servers.push(s);
      }
      console.log(servers.map((s) => s.address().port).join(" "));
      for (const s of servers) s.close();
    })();' "$1"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_running() { [ -n "$PG_BIN" ] && [ -d "$PGDATA" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start_postgres() {
  if pg_running; then
    PG_PORT="$(sed -n 's/^port = //p' "$PGDATA/vigil.conf")"
    return
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "creating the PostgreSQL cluster in $PGDATA"
    mkdir -p "$PGDATA"
    # As root: the data directory belongs to postgres, which must be able to enter DIR (mktemp makes it 0700).
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDATA"; chmod 700 "$PGDATA"; chmod a+x "$DIR"; fi
    as_pg test -w "$PGDATA" || die "the postgres user cannot reach $PGDATA (a parent folder is private?): use --dir under /var/tmp"
    # Local socket: peer (the OS superuser only). TCP on loopback: passwords (SCRAM).
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -E UTF8 --locale=C --auth-local=peer --auth-host=scram-sha-256 >"$DIR/initdb.log"
    echo "include = 'vigil.conf'" | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
  fi
  PG_PORT="$(free_ports 1)"
  # Rewritten at each start: a fresh free port; sockets in the data directory, not /var/run/postgresql.
  # Temporal's four services each pool up to 20 + 10 connections, above the default max_connections of 100.
  printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 200\n" \
    "$PG_PORT" "$PGDATA" | as_pg tee "$PGDATA/vigil.conf" >/dev/null
  touch "$DIR/postgres.log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR/postgres.log"; fi
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DIR/postgres.log" -w -t 120 start >/dev/null ||
    { tail -20 "$DIR/postgres.log" >&2; die "PostgreSQL did not start (log: $DIR/postgres.log)"; }
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

# Role and databases, idempotent. The password travels in a psql variable on stdin, never on a command line.
create_databases() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDATA" -p "$PG_PORT" -d postgres -v pw="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE temporal LOGIN PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') \gexec
SELECT 'CREATE DATABASE temporal OWNER temporal' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal') \gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER temporal' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal_visibility') \gexec
SQL
}

# Temporal's versioned schemas, embedded in temporal-sql-tool (the server module's schema/postgresql/v12/ tree,
# so they always match the server built beside it). update-schema is a no-op when current, and migrates the
# databases after a server upgrade.
apply_schemas() {
  local db name fresh="$1"
  for db in temporal temporal_visibility; do
    name=temporal
    if [ "$db" = temporal_visibility ]; then name=visibility; fi
    sql_tool() { SQL_PASSWORD="$PASSWORD" "$BIN/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u temporal --db "$db" "$@"; }
    if [ "$fresh" = yes ]; then sql_tool setup-schema -v 0.0 >>"$DIR/schema.log" 2>&1; fi
    sql_tool update-schema --schema-name "postgresql/v12/$name" >>"$DIR/schema.log" 2>&1 ||
      { tail -20 "$DIR/schema.log" >&2; die "schema update of $db failed (log: $DIR/schema.log)"; }
  done
  log "schemas current (temporal, temporal_visibility)"
}

# --------------------------------------------------------------------------------------------------- server
# The recorded pid is alive and still our server (not a pid the system has since given to another process).
server_running() { [ -f "$SERVER_PID" ] && grep -qs temporal-server "/proc/$(cat "$SERVER_PID")/cmdline"; }

write_server_config() {
  local history matching worker m1 m2 m3 m4 http metrics
  read -r history matching worker m1 m2 m3 m4 http metrics <<<"$(free_ports 9)"
  mkdir -p "$DIR/config"
  # Persistence and visibility on PostgreSQL (postgres12 plugin); every service on loopback; Prometheus
  # metrics on loopback; the dynamic config shared with docker-compose.yml. Mode 0600: it holds the password.
  (umask 077; cat >"$DIR/config/vigil.yaml" <<YAML
log:
  stdout: true
  level: warn
persistence:
  numHistoryShards: $SHARDS
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$PASSWORD"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$PASSWORD"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:$metrics"
services:
  frontend:
    rpc: { grpcPort: $FRONTEND_PORT, httpPort: $http, membershipPort: $m1, bindOnIP: 127.0.0.1 }
  history:
    rpc: { grpcPort: $history, membershipPort: $m2, bindOnIP: 127.0.0.1 }
  matching:
    rpc: { grpcPort: $matching, membershipPort: $m3, bindOnIP: 127.0.0.1 }
  worker:
    rpc: { grpcPort: $worker, membershipPort: $m4, bindOnIP: 127.0.0.1 }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$FRONTEND_PORT"
      httpAddress: "127.0.0.1:$http"
dcRedirectionPolicy:
  policy: noop
archival:
  history: { state: disabled }
  visibility: { state: disabled }
namespaceDefaults:
  archival:
    history: { state: disabled }
    visibility: { state: disabled }
dynamicConfigClient:
  filepath: "$HERE/dynamicconfig.yaml"
  pollInterval: 10s
YAML
  )
  METRICS_PORT="$metrics"
}

temporal_cli() {
  if [ -z "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -f "$ROOT/dist/src/cli/main.js" ] || die "dist/ is missing: run npm ci (or npm run build) first"
    TEMPORAL_CLI_PATH="$(node "$ROOT/dist/src/cli/main.js" setup --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).path??""))')"
    [ -n "$TEMPORAL_CLI_PATH" ] || die "no Temporal CLI (vigil setup found none)"
  fi
  "$TEMPORAL_CLI_PATH" "$@" --address "127.0.0.1:$FRONTEND_PORT"
}

start_server() {
  write_server_config
  port_busy "$FRONTEND_PORT" && die "port $FRONTEND_PORT is taken: stop what uses it, or create the cluster with --port"
  log "starting Temporal server $VERSION ($SHARDS history shards) on 127.0.0.1:$FRONTEND_PORT"
  # Its own session, so it outlives this script; stopped by pid (`stop`). No authorizer: every port is on
  # loopback, like the dev server's (put mTLS and an authorizer in front before exposing it).
  setsid "$BIN/temporal-server" --root "$DIR" --config config --env vigil --allow-no-auth start \
    >>"$DIR/server.log" 2>&1 </dev/null &
  echo $! >"$SERVER_PID"
  local deadline=$((SECONDS + 180))
  until temporal_cli operator cluster health >/dev/null 2>&1; do
    server_running || { tail -5 "$DIR/server.log" | cut -c1-400 >&2; die "the server exited (log: $DIR/server.log)"; }
    [ $SECONDS -lt $deadline ] || die "the server did not answer within 180 s (log: $DIR/server.log)"
    sleep 1
  done
}

# Namespace and Vigil's search attributes (the worker registers them at start too); both idempotent.
setup_namespace() {
  if ! temporal_cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    temporal_cli operator namespace create --namespace "$NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION" >/dev/null
    log "namespace $NAMESPACE created (retention $TEMPORAL_NAMESPACE_RETENTION)"
  fi
  local deadline=$((SECONDS + 60))
  # A new namespace reaches the frontend's registry within its 2 s refresh: retry until it is there.
  until TEMPORAL_ADDRESS="127.0.0.1:$FRONTEND_PORT" TEMPORAL_NAMESPACE="$NAMESPACE" LOG_LEVEL=warn \
      node "$ROOT/dist/src/cli/main.js" setup --search-attributes >"$DIR/search-attributes.log" 2>&1; do
    [ $SECONDS -lt $deadline ] || { cat "$DIR/search-attributes.log" >&2; die "registering Vigil's search attributes failed"; }
    sleep 1
  done
  log "search attributes: $(tail -1 "$DIR/search-attributes.log")"
}

# ----------------------------------------------------------------------------------------------- commands
load_state() {
  if [ -f "$STATE" ]; then
    # shellcheck disable=SC1090
    . "$STATE"
    if [ -n "$SHARDS_ARG" ] && [ "$SHARDS_ARG" != "$SHARDS" ]; then
      die "this cluster was created with $SHARDS history shards (fixed for its lifetime); destroy it to change to $SHARDS_ARG"
    fi
    if [ -n "$PORT_ARG" ] && [ "$PORT_ARG" != 0 ] && [ "$PORT_ARG" != "$FRONTEND_PORT" ]; then
      die "this cluster's frontend is on port $FRONTEND_PORT; destroy it to move it to $PORT_ARG"
    fi
    return 0
  fi
  return 1
}

start() {
  local started=$SECONDS fresh=no
  # Options are checked before anything is built or installed.
  if ! load_state; then
    fresh=yes
    SHARDS="${SHARDS_ARG:-$TEMPORAL_HISTORY_SHARDS}"
    [[ "$SHARDS" =~ ^[1-9][0-9]{0,4}$ ]] || die "--shards must be a positive integer, got '$SHARDS'"
    FRONTEND_PORT="${PORT_ARG:-7233}"
    [[ "$FRONTEND_PORT" =~ ^[0-9]{1,5}$ ]] && [ "$FRONTEND_PORT" -le 65535 ] || die "--port must be 0-65535, got '$FRONTEND_PORT'"
    if [ "$FRONTEND_PORT" = 0 ]; then FRONTEND_PORT="$(free_ports 1)"; fi
    PASSWORD="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  fi
  mkdir -p "$DIR"
  build
  install_postgres
  PG_BIN="$(pg_bin)"
  if server_running; then
    log "already running: TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND_PORT"
    echo "TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND_PORT"
    return
  fi
  start_postgres
  if [ "$fresh" = yes ]; then
    create_databases
    (umask 077; printf 'SHARDS=%s\nFRONTEND_PORT=%s\nPASSWORD=%s\n' "$SHARDS" "$FRONTEND_PORT" "$PASSWORD" >"$STATE.new")
  fi
  apply_schemas "$fresh"
  if [ "$fresh" = yes ]; then mv "$STATE.new" "$STATE"; fi
  start_server
  setup_namespace
  log "ready in $((SECONDS - started)) s; metrics on http://127.0.0.1:$METRICS_PORT/metrics; logs in $DIR"
  echo "TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND_PORT"
}

stop() {
  if server_running; then
    local pid; pid="$(cat "$SERVER_PID")"
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "server did not stop in 30 s: SIGKILL"; kill -KILL "$pid"; fi
    log "server stopped"
  fi
  rm -f "$SERVER_PID"
  PG_BIN="$(pg_bin)"
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  fi
}

status() {
  load_state || { echo "no cluster in $DIR"; return 1; }
  PG_BIN="$(pg_bin)"
  local ok=0
  if pg_running; then echo "postgresql: running (127.0.0.1:$(sed -n 's/^port = //p' "$PGDATA/vigil.conf"))"; else echo "postgresql: stopped"; ok=1; fi
  if server_running; then echo "server: running (pid $(cat "$SERVER_PID"), $SHARDS history shards)"; else echo "server: stopped"; ok=1; fi
  if [ $ok = 0 ] && temporal_cli operator cluster health >/dev/null 2>&1; then
    echo "frontend: serving on 127.0.0.1:$FRONTEND_PORT"
  else
    echo "frontend: not serving"; ok=1
  fi
  return $ok
}

case "$cmd" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  address) load_state || die "no cluster in $DIR (run start)"; echo "127.0.0.1:$FRONTEND_PORT" ;;
  destroy)
    stop
    # Only a folder this script made: it holds cluster.env or a postgres/ data directory.
    if [ -f "$STATE" ] || [ -d "$PGDATA" ]; then rm -rf "$DIR"; log "deleted $DIR"; fi ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
