#!/usr/bin/env bash
# A private image registry for tests (distribution registry 2.x, Debian's docker-registry): plain HTTP on
# 127.0.0.1 only, no auth, its own data directory. Docker allows plain HTTP to registries on 127.0.0.0/8
# without configuration, so the private dockerd (scripts/dockerd.sh) pushes to and pulls from it as is.
# The tests push what they pull (a uniquely tagged copy of a local test image), so it starts empty.
# Idempotent: `start` when it already runs does nothing, `stop` when it is stopped does nothing.
#
#   scripts/registry.sh start   # install docker-registry if missing, start, wait until /v2/ answers
#   scripts/registry.sh stop    # stop the registry (its data stays)
#   scripts/registry.sh url     # print host:port, the prefix of image names in this registry
#
# NANOKIT_REGISTRY_PORT and NANOKIT_REGISTRY_DIR select another instance.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

port="${NANOKIT_REGISTRY_PORT:-55000}"
dir="${NANOKIT_REGISTRY_DIR:-/tmp/nanokit-registry}"
config="$dir/config.yml"
pidfile="$dir/registry.pid"
log="$dir/registry.log"

url() {
  echo "127.0.0.1:$port"
}

is_ready() {
  curl -fs -o /dev/null "http://127.0.0.1:$port/v2/"
}

install_if_missing() {
  local need=()
  [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    echo "registry.sh: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${need[@]}" >&2
  fi
}

start() {
  install_if_missing
  if is_ready; then
    return 0
  fi
  mkdir -p "$dir/data"
  # Written every start, so a changed port takes effect. The access log (one line per request) is how
  # a person can see what was pulled.
  cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "registry.sh: registry $(cat "$pidfile") is starting" >&2
  else
    nohup /usr/bin/docker-registry serve "$config" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  fi
  for _ in $(seq 1 120); do
    if is_ready; then
      return 0
    fi
    sleep 0.5
  done
  echo "registry.sh: the registry did not answer on $(url); last log lines:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

stop() {
  stop_pidfile "$pidfile"
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
