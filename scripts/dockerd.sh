#!/usr/bin/env bash
# A private Docker daemon for tests and benchmarks: its own socket, data and exec roots,
# vfs storage (works inside containers and on any filesystem), no iptables and no default bridge
# (user-defined networks, such as a project's, still work). No registry is reachable from here,
# so the test images are built locally with `docker import` from a busybox rootfs.
# Idempotent: `start` when it already runs only makes sure the images exist.
#
#   scripts/dockerd.sh start   # start (installing docker.io/busybox-static if missing), wait, build images
#   scripts/dockerd.sh stop    # stop the daemon (containers die with it)
#   scripts/dockerd.sh env     # print DOCKER_HOST=... for this daemon
#
# NANOKIT_DOCKER_DIR selects another instance.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

dir="${NANOKIT_DOCKER_DIR:-/tmp/nanokit-docker}"
sock="$dir/docker.sock"
host="unix://$sock"
pidfile="$dir/dockerd.pid"
log="$dir/dockerd.log"
images=(nanokit-test/busybox:1 nanokit-test/busybox:2)
tools=(sh sleep echo test touch cat wget nc ls env true false rm mkdir kill ps printf grep id hostname date)

docker_cli() {
  docker -H "$host" "$@"
}

is_ready() {
  docker_cli version >/dev/null 2>&1
}

install_if_missing() {
  local need=()
  [ -x /usr/sbin/dockerd ] || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  if [ ${#need[@]} -gt 0 ]; then
    echo "dockerd.sh: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${need[@]}" >&2
  fi
}

build_images() {
  local missing=()
  for image in "${images[@]}"; do
    docker_cli image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
  done
  [ ${#missing[@]} -gt 0 ] || return 0

  local rootfs
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  cp /bin/busybox "$rootfs/bin/busybox"
  for tool in "${tools[@]}"; do
    ln -s busybox "$rootfs/bin/$tool"
  done
  echo "root:x:0:0:root:/:/bin/sh" >"$rootfs/etc/passwd"
  for image in "${missing[@]}"; do
    # Each tag gets its own import, so :1 and :2 are distinct image ids (update tests need that).
    echo "$image" >"$rootfs/etc/nanokit-image"
    tar -C "$rootfs" -c . | docker_cli import \
      -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$image" >/dev/null
    echo "dockerd.sh: built $image" >&2
  done
  rm -rf "$rootfs"
}

start() {
  install_if_missing
  mkdir -p "$dir/data" "$dir/exec"
  if ! is_ready; then
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "dockerd.sh: dockerd $(cat "$pidfile") is starting" >&2
    else
      rm -f "$pidfile" "$sock"
      nohup /usr/sbin/dockerd \
        --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
        -H "$host" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
        >"$log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 120); do
      is_ready && break
      sleep 0.5
    done
    if ! is_ready; then
      echo "dockerd.sh: dockerd did not answer on $sock; last log lines:" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
  fi
  build_images
}

stop() {
  stop_pidfile "$pidfile"
  # dockerd bind-mounts its data root onto itself and leaves the mount behind when it exits.
  if mountpoint -q "$dir/data" 2>/dev/null; then
    umount "$dir/data" || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "DOCKER_HOST=$host" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
