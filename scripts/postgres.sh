#!/usr/bin/env bash
# A private PostgreSQL for tests and benchmarks: its own data directory, its own port,
# trust authentication on 127.0.0.1 only. Idempotent: `start` when it already runs does
# nothing, `stop` when it is stopped does nothing.
#
#   scripts/postgres.sh start   # install if missing, initdb once, start, wait until ready
#   scripts/postgres.sh stop    # fast shutdown (in-flight transactions are rolled back)
#   scripts/postgres.sh url     # print the Npgsql connection string
#
# NANOKIT_PG_PORT and NANOKIT_PG_DIR select another instance (the fault tests start
# their own so the shared one is never disturbed).
set -euo pipefail

port="${NANOKIT_PG_PORT:-55432}"
dir="${NANOKIT_PG_DIR:-/tmp/nanokit-pg}"
bin="/usr/lib/postgresql/15/bin"
data="$dir/data"
log="$dir/postgres.log"

# initdb and postgres refuse to run as root, so everything runs as the postgres OS user.
as_postgres() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url() {
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Timeout=5"
}

is_ready() {
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1
}

install_if_missing() {
  if [ ! -x "$bin/initdb" ]; then
    echo "postgres.sh: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends postgresql
  fi
}

start() {
  install_if_missing
  if is_ready; then
    return 0
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = "0" ]; then
    chown postgres:postgres "$dir"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    # --no-sync: a fresh cluster holds nothing worth an fsync yet; committed data is
    # still fsynced by the server (fsync stays on).
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >/dev/null
    # Tests create many connections in parallel; fsync stays on because the fault
    # tests prove durability against this very instance.
    cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 128MB
EOF
    echo "host all all 127.0.0.1/32 trust" >"$data/pg_hba.conf"
    echo "local all all trust" >>"$data/pg_hba.conf"
  fi
  # A stale pid file from a killed instance would stop pg_ctl from starting.
  if [ -f "$data/postmaster.pid" ] && ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    rm -f "$data/postmaster.pid"
  fi
  as_postgres "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
  for _ in $(seq 1 120); do
    if is_ready; then
      return 0
    fi
    sleep 0.5
  done
  echo "postgres.sh: PostgreSQL on port $port did not become ready; see $log" >&2
  exit 1
}

stop() {
  if [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
