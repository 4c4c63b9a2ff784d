#!/usr/bin/env bash
# Heal latency on the Docker runtime: `nkapp up --watch` runs a one-service project on the private dockerd;
# each trial removes the container by hand (`docker rm -f`) and times until it runs again.
# Prints each trial and the median. Usage: scripts/bench-heal.sh [TRIALS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-5}

scripts/dockerd.sh start >/dev/null
export "$(scripts/dockerd.sh env)"
dotnet build src/Nanokit.Cli -c Release -nologo -v quiet >/dev/null
nkapp="dotnet $PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"

work=$(mktemp -d)
trap 'kill -TERM "${watcher:-0}" 2>/dev/null || true; wait 2>/dev/null || true; (cd "$work" && $nkapp down >/dev/null 2>&1 || true); rm -rf "$work"' EXIT
cat >"$work/nanokit.yml" <<'YAML'
name: benchheal
runtime: docker
services:
  web:
    image: nanokit-test/busybox:1
    command: [sleep, "3600"]
    network_mode: none
YAML

cd "$work"
$nkapp up --watch >watch.log 2>&1 &
watcher=$!
until grep -q "watching for drift" watch.log; do sleep 0.1; done

times=()
for t in $(seq 1 "$trials"); do
  before=$(grep -c converged watch.log || true)
  start=$(date +%s.%N)
  docker rm -f benchheal-web-1 >/dev/null
  until [ "$(grep -c converged watch.log || true)" -gt "$before" ] \
    && [ -n "$(docker ps -q --filter name=benchheal-web-1 --filter status=running)" ]; do sleep 0.02; done
  took=$(echo "$(date +%s.%N) - $start" | bc)
  echo "trial $t: running again after ${took}s (includes the docker rm -f itself)"
  times+=("$took")
  sleep 3   # let the heal backoff reset between trials
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median heal latency: %.2fs over %d trials\n", a[int((NR+1)/2)], NR}'
