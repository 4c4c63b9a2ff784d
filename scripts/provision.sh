#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine with the .NET SDK.
# Idempotent: installs only what is missing, so a provisioned machine pays nothing.
set -euo pipefail

need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)  # GNU time: the hostile corpus measures each case's peak memory with it
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)  # scripts/bench-startup.sh

if [ ${#need[@]} -gt 0 ]; then
  echo "provision: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
