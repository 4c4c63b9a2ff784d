#!/usr/bin/env bash
# `up` of 30 services in 5 health-gated layers: docker-compose (Debian's 1.29) against nkapp on the same
# private dockerd, alternating, RUNS times each; prints every run, the medians and the ratio, and the
# critical path of each run of either tool (sum over layers of the slowest replica's create -> healthy
# time, from the daemon's own events). Usage: RUNS=3 scripts/bench-compose.sh
# PROFILE=today (default): healthcheck interval 1 s, each service ready 1 s after start.
# PROFILE=realistic: interval 10 s (as in published Compose files), ready 1 s after start; here the
# daemon's first probe comes 10 s after start, so its events say little about what nkapp (which probes
# by itself while it waits) waited for, and a critical path may read n/a.
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
mkdir -p "$work/compose" "$work/nanokit"

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
      echo "    command: [sh, -c, \"sleep 1; touch /tmp/ready; exec sleep 3600\"]"
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

critical_path() { # $1 = the run's events: sum over layers of the slowest replica's create -> healthy
  # (create -> started for the last layer: nothing depends on it, so neither tool waits for its health)
  python3 -c '
import json, re, sys
created, started, healthy = {}, {}, {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    name, at, action = e["Actor"]["Attributes"]["name"], e["timeNano"] / 1e9, e["Action"]
    if action == "create":
        created[name] = at
    elif action == "start":
        started.setdefault(name, at)
    elif action.startswith("health_status: healthy"):
        healthy.setdefault(name, at)
last = "l%d" % int(sys.argv[2])
slowest = {}
for name, at in created.items():
    layer = re.search(r"(l\d+)-s\d+", name).group(1)  # nkapp: benchcompose-l1-s1-1, compose: benchcompose_l1-s1_1
    done = started.get(name) if layer == last else healthy.get(name)
    if done is None:
        print("n/a"); sys.exit()
    slowest[layer] = max(slowest.get(layer, 0), done - at)
print("%.2f" % sum(slowest.values()))' "$1" "$layers"
}

# Streamed live: the daemon's buffer for --since is too small once every health probe adds exec events.
record_events() { # $1 = label filter, $2 = file; prints the watcher's pid
  docker events --filter "label=$1" --filter event=create --filter event=start --filter event=health_status \
    --format '{{json .}}' >"$2" &
  echo $!
}

compose=(); nk=(); cp=(); ccp=()
for r in $(seq 1 "$runs"); do
  events=$(record_events com.docker.compose.project=compose "$work/compose-events-$r.jsonl")
  sleep 0.5
  c=$(cd "$work/compose" && seconds docker-compose up -d)
  kill "$events"; wait "$events" 2>/dev/null || true
  q=$(critical_path "$work/compose-events-$r.jsonl")
  (cd "$work/compose" && docker-compose down -t 1 >/dev/null 2>&1)
  events=$(record_events io.nanokit.project=benchcompose "$work/events-$r.jsonl")
  sleep 0.5
  n=$(cd "$work/nanokit" && seconds $nkapp up)
  kill "$events"; wait "$events" 2>/dev/null || true
  p=$(critical_path "$work/events-$r.jsonl")
  (cd "$work/nanokit" && $nkapp down >/dev/null 2>&1)
  echo "run $r: docker-compose up -d ${c}s (critical path ${q}s)   nkapp up ${n}s (critical path ${p}s)"
  compose+=("$c"); nk+=("$n"); cp+=("$p"); ccp+=("$q")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(median "${compose[@]}"); mn=$(median "${nk[@]}"); mp=$(median "${cp[@]}")
mq=$(median "${ccp[@]}")
echo "median: docker-compose ${mc}s (critical path ${mq}s), nkapp ${mn}s (critical path ${mp}s)"
[ "$mq" != n/a ] && echo "docker-compose / its own critical path = $(echo "scale=2; $mc / $mq" | bc) (the most any tool could gain over it on this daemon)"
echo "nkapp is $(echo "scale=2; $mc / $mn" | bc)x faster than docker-compose"
[ "$mp" != n/a ] && echo "nkapp / critical path = $(echo "scale=2; $mn / $mp" | bc)"
