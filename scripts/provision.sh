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
command -v tmux >/dev/null 2>&1 || need+=(tmux)  # scripts/record-session.sh
command -v node >/dev/null 2>&1 || need+=(nodejs)  # the gRPC interop client (tests/Nanokit.Server.Tests/interop)
command -v npm >/dev/null 2>&1 || need+=(npm)
# The Hub's browser tests drive Debian's Chromium through Playwright (tests/Nanokit.Hub.Tests), which never downloads
# a browser of its own here; its driver runs on the node binary inside the Microsoft.Playwright package.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)

if [ ${#need[@]} -gt 0 ]; then
  echo "provision: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# The independent gRPC client of the server's interop test: @grpc/grpc-js and @grpc/proto-loader, versions pinned
# by the folder's package-lock.json.
interop="$(cd "$(dirname "$0")/.." && pwd)/tests/Nanokit.Server.Tests/interop"
if [ ! -f "$interop/node_modules/@grpc/grpc-js/package.json" ] || [ ! -f "$interop/node_modules/@grpc/proto-loader/package.json" ]; then
  echo "provision: installing the gRPC interop client's npm packages"
  npm ci --prefix "$interop" --no-audit --no-fund
fi
