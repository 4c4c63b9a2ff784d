#!/usr/bin/env bash
# `up` of 30 services in 5 health-gated layers: docker-compose (Debian's 1.29) against nkapp on the same
# private dockerd, alternating, RUNS times each; prints every run, the medians and the ratio, and for both
# tools, from the containers themselves (each service touches /ready/NAME, a host directory, the moment it
# is ready; the daemon records each container's Created and StartedAt):
# - the bound: sum over layers of (start + the service's own time to ready), where start is the slowest
#   create -> StartedAt of the first layer in that run (both tools create and start it at once) and a layer's
#   own time to ready is its slowest StartedAt -> ready (none for the last layer: nothing waits for it);
# - the readiness latency: for every service of layers 2.., its StartedAt minus the moment its last
#   dependency became ready; p50 and p99 over all runs. It holds the tool's share and the daemon's;
# - for nkapp, that latency split in two, from the spans of `nkapp up --trace` (docker.start: the moment
#   the start request was sent, on the same host clock as the ready files): Nanokit's share, the last
#   dependency's ready file -> the dependent's start request (seeing the file by a probe, the gate, the
#   dispatch, the calls before the start); the daemon's share, that start request -> the container's
#   StartedAt. docker-compose 1.29 writes no such trace, so its latency is not split.
# Usage: RUNS=3 scripts/bench-compose.sh
# PROFILE=today (default): healthcheck interval 1 s, each service ready 1 s after start.
# PROFILE=realistic: interval 10 s (as in published Compose files), ready 1 s after start.
# LAYERS and WIDTH (default 5 and 6) shrink the project for a quicker run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
layers=${LAYERS:-5}
width=${WIDTH:-6}
case "${PROFILE:-today}" in
  today) interval=1s ;;
  realistic) interval=10s ;;
  *) echo "PROFILE is today or realistic" >&2; exit 2 ;;
esac

scripts/dockerd.sh start >/dev/null
export "$(scripts/dockerd.sh env)"
dotnet build src/Nanokit.Cli -c Release -nologo -v quiet >/dev/null
nkapp="dotnet $PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"
work=$(mktemp -d)
trap 'cd "$work/compose" && docker-compose down -t 1 >/dev/null 2>&1 || true; cd "$work/nanokit" && $nkapp down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/compose" "$work/nanokit" "$work/ready-compose" "$work/ready-nanokit"

# One generator for both tools: the same services, each tool on its project's own network
# (`compose_default` for docker-compose 1.29, which names the project after the directory and reads a
# Compose file v2.4; `benchcompose_default` for nkapp); only the header differs.
generate() { # $1 = compose|nanokit
  echo "name: benchcompose"
  [ "$1" = nanokit ] && echo "runtime: docker"
  echo "services:"
  for l in $(seq 1 $layers); do
    for s in $(seq 1 $width); do
      echo "  l$l-s$s:"
      echo "    image: nanokit-test/busybox:1"
      echo "    command: [sh, -c, \"sleep 1; touch /tmp/ready /ready/l$l-s$s; exec sleep 3600\"]"
      echo "    volumes: [\"$work/ready-$1:/ready\"]"
      echo "    stop_grace_period: 1s"
      echo "    healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: $interval, timeout: 1s, retries: 30}"
      if [ "$l" -gt 1 ]; then
        echo "    depends_on:"
        for p in $(seq 1 $width); do echo "      l$((l - 1))-s$p: {condition: service_healthy}"; done
      fi
    done
  done
}
generate compose | sed '1d' | sed '1i version: "2.4"' >"$work/compose/docker-compose.yml"
generate nanokit >"$work/nanokit/nanokit.yml"

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo "FAILED: $*" >&2; echo "$(date +%s.%N) - $s" | bc; }

# $1 = the project's label filter, $2 = its ready directory; appends each latency (ms) to $3, prints the bound.
# With $4 (nkapp's trace file), also appends Nanokit's share (ms) to $3.nanokit and the daemon's to $3.daemon.
measure() {
  docker ps -aq --filter "label=$1" | xargs docker inspect --format '{{.Name}} {{.Created}} {{.State.StartedAt}} {{.Id}}' >"$work/inspect"
  python3 -c '
import json, os, re, sys
from datetime import datetime, timezone
def at(text):  # RFC 3339 with nanoseconds, in seconds since the epoch
    whole, _, frac = text.rstrip("Z").partition(".")
    return datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp() + float("0." + (frac or "0"))
layers, created, started, ready, requested, keys = int(sys.argv[3]), {}, {}, {}, {}, {}
for line in open(sys.argv[1]):
    name, c, s, cid = line.split()
    key = re.search(r"l\d+-s\d+", name).group(0)  # nkapp: /benchcompose-l1-s1-1, compose: /compose_l1-s1_1
    created[key], started[key] = at(c), at(s)
    keys[name.lstrip("/")] = keys[cid] = key
trace = sys.argv[5] if len(sys.argv) > 5 else ""
if trace:
    for line in open(trace):
        span = json.loads(line)
        key = keys.get((span.get("tags") or {}).get("nanokit.container", ""))
        if span["name"] == "docker.start" and key:  # the first start request of each container
            requested[key] = min(requested.get(key, float("inf")), at(span["start"]))
for f in os.listdir(sys.argv[2]):
    ready[f] = os.stat(os.path.join(sys.argv[2], f)).st_mtime_ns / 1e9
def layer(n): return [k for k in started if k.startswith("l%d-" % n)]
bound = layers * max(started[k] - created[k] for k in layer(1))
bound += sum(max(ready[k] - started[k] for k in layer(n)) for n in range(1, layers))
with open(sys.argv[4], "a") as out:
    for n in range(2, layers + 1):
        gate = max(ready[k] for k in layer(n - 1))
        for k in layer(n):
            out.write("%.0f\n" % ((started[k] - gate) * 1000))
            if k in requested:
                with open(sys.argv[4] + ".nanokit", "a") as ours, open(sys.argv[4] + ".daemon", "a") as daemon:
                    ours.write("%.0f\n" % ((requested[k] - gate) * 1000))
                    daemon.write("%.0f\n" % ((started[k] - requested[k]) * 1000))
print("%.2f" % bound)' "$work/inspect" "$2" "$layers" "$3" "${4:-}"
}

compose=(); nk=(); cb=(); nb=()
for r in $(seq 1 "$runs"); do
  rm -f "$work"/ready-compose/* "$work"/ready-nanokit/*
  c=$(cd "$work/compose" && seconds docker-compose up -d)
  q=$(measure com.docker.compose.project=compose "$work/ready-compose" "$work/latency-compose" || echo n/a)
  (cd "$work/compose" && docker-compose down -t 1 >/dev/null 2>&1)
  n=$(cd "$work/nanokit" && seconds $nkapp up --trace "$work/trace.jsonl")
  p=$(measure io.nanokit.project=benchcompose "$work/ready-nanokit" "$work/latency-nanokit" "$work/trace.jsonl" || echo n/a)
  (cd "$work/nanokit" && $nkapp down >/dev/null 2>&1)
  echo "run $r: docker-compose up -d ${c}s (bound ${q}s)   nkapp up ${n}s (bound ${p}s)"
  compose+=("$c"); nk+=("$n"); cb+=("$q"); nb+=("$p")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
percentile() { # $1 = percent, $2 = file of numbers
  sort -n "$2" | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'
}
mc=$(median "${compose[@]}"); mn=$(median "${nk[@]}"); mq=$(median "${cb[@]}"); mp=$(median "${nb[@]}")
echo "median: docker-compose ${mc}s (bound ${mq}s), nkapp ${mn}s (bound ${mp}s)"
echo "nkapp is $(echo "scale=2; $mc / $mn" | bc)x faster than docker-compose"
echo "nkapp / its bound = $(echo "scale=2; $mn / $mp" | bc); docker-compose / its bound = $(echo "scale=2; $mc / $mq" | bc)"
for tool in nanokit compose; do
  echo "readiness latency, $tool: p50 $(percentile 50 "$work/latency-$tool") ms, p99 $(percentile 99 "$work/latency-$tool") ms ($(wc -l <"$work/latency-$tool") dependents)"
done
for share in "nanokit:ready file -> start request" "daemon:start request -> StartedAt"; do
  f="$work/latency-nanokit.${share%%:*}"
  [ -s "$f" ] || continue
  echo "  of which ${share%%:*} (${share#*:}): p50 $(percentile 50 "$f") ms, p99 $(percentile 99 "$f") ms"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
