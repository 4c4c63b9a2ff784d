#!/usr/bin/env bash
# The control plane's API under load: three `nkapp server` nodes on loopback (simulated runtime, so only the control
# plane is timed) on a fresh database of the private PostgreSQL, driven by the gRPC client in tests/Nanokit.Benchmarks
# (RpcBench.cs, RpcScale.cs). Parts, each printing its figures and the nodes' RSS:
#   latency  ApplyProject one at a time -> the owner's RunStarted (p50/p99)
#   get      unary GetProject from concurrent clients (requests/s, p50/p99)
#   watch    WATCHES streams open on one node: its RSS, and the time for an event to reach all of them
#   scale    SCALE projects applied and converged, peak RSS per node; then a 4th node joins: time until the shards
#            are even again, and whether any project was lost or ran again
# Usage: scripts/bench-rpc.sh [PART...]   (default: latency get watch scale)
# Sizes (environment): LATENCY_COUNT (200), GET_CLIENTS (32), GET_SECONDS (20), WATCHES (1000), SCALE (1000 projects
# over the three nodes; the issue's figure: SCALE=10000), SCALE_CONCURRENCY (32 ApplyProject calls in flight),
# JOIN (1: after scale, a 4th node joins; 0: not), NODE_CONF (HOCON lines added to every node's configuration, e.g.
# NODE_CONF='nanokit.server.intents.redeliver-after = 2s'). After scale, each node's CPU time and intent deliveries are
# printed.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(latency get watch scale)

store="$(scripts/postgres.sh url)"
pg_host="$(sed -E 's/.*Host=([^;]+).*/\1/' <<<"$store")"
pg_port="$(sed -E 's/.*Port=([^;]+).*/\1/' <<<"$store")"
pg_user="$(sed -E 's/.*Username=([^;]+).*/\1/' <<<"$store")"
psql_() { psql -X -q -At -h "$pg_host" -p "$pg_port" -U "$pg_user" "$@"; }

if [ -z "${NO_BUILD:-}" ]; then
  dotnet build src/Nanokit.Cli -c Release -warnaserror -v q >/dev/null
  dotnet build tests/Nanokit.Benchmarks -c Release -warnaserror -v q >/dev/null
fi
nkapp=(dotnet "$PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll")
client=(dotnet "$PWD/tests/Nanokit.Benchmarks/bin/Release/net10.0/Nanokit.Benchmarks.dll")
work="$(mktemp -d)"
logs="$(mktemp -d /tmp/bench-rpc-logs.XXXXXX)" # the nodes' output, kept
db="nk_bench_rpc_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db;" || true
  rm -rf "$work"
}
trap cleanup EXIT

token="bench-rpc-token"
echo "sha256:$(printf %s "$token" | sha256sum | cut -d' ' -f1) write" >"$work/tokens"
cat >"$work/node.conf" <<CONF
nanokit.server.simulated-runtime = on
nanokit.server.projects-directory = "$work/projects"
# The shipped failure detector (2 s of missing heartbeats) downs healthy nodes when the machine is shared at a load
# of 60+ (heartbeats measured 2.7-3.2 s apart); this benchmark times the API, not failover, so it tolerates 15 s.
akka.cluster.failure-detector.acceptable-heartbeat-pause = ${HEARTBEAT_PAUSE:-15s}
${NODE_CONF:-}
CONF
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api=() cluster=()
start_node() { # N: starts node N seeded by node 0 and waits until it is ready
  local n="$1"
  api[n]="$(free_port)"; cluster[n]="$(free_port)"
  "${nkapp[@]}" server --listen "127.0.0.1:${api[n]}" --cluster "127.0.0.1:${cluster[n]}" --seed "127.0.0.1:${cluster[0]}" \
    --store "$node_store" --token-file "$work/tokens" --config "$work/node.conf" >"$logs/node-$n.log" 2>&1 &
  pids[n]=$!
}
wait_ready() { until curl -sf --http2-prior-knowledge "http://127.0.0.1:${api[$1]}/health/ready" >/dev/null; do sleep 0.2; done; }
urls() { local u=(); for n in "$@"; do u+=("http://127.0.0.1:${api[n]}"); done; (IFS=,; echo "${u[*]}"); }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; } # user + system
node_pids() { local p=(); for n in "$@"; do p+=("${pids[n]}"); done; (IFS=,; echo "${p[*]}"); }

psql_ -d postgres -c "CREATE DATABASE $db;"
node_store="Host=$pg_host;Port=$pg_port;Username=$pg_user;Database=$db"
start_node 0; wait_ready 0
start_node 1; start_node 2; wait_ready 1; wait_ready 2
echo "commit $(git rev-parse --short HEAD), nodes' logs in $logs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
three=(--nodes "$(urls 0 1 2)" --pids "$(node_pids 0 1 2)" --token "$token")
echo "nodes ${three[*]}"

for part in "${parts[@]}"; do
  echo "== $part (load $(cut -d' ' -f1-3 /proc/loadavg))"
  case "$part" in
    latency) "${client[@]}" rpc-latency "${three[@]}" --count "${LATENCY_COUNT:-200}" --gap 50 ;;
    get)
      "${client[@]}" rpc-latency "${three[@]}" --count 100 --gap 0 --prefix get >/dev/null
      "${client[@]}" rpc-get "${three[@]}" --prefix get --projects 100 --clients "${GET_CLIENTS:-32}" --seconds "${GET_SECONDS:-20}" ;;
    watch) "${client[@]}" rpc-watch "${three[@]}" --watches "${WATCHES:-1000}" --rounds 5 ;;
    scale)
      for n in 0 1 2; do before[n]="$(cpu_seconds "${pids[n]}")"; done
      "${client[@]}" rpc-scale "${three[@]}" --count "${SCALE:-1000}" --concurrency "${SCALE_CONCURRENCY:-32}" --snapshot "$work/snapshot"
      for n in 0 1 2; do
        cpu="$(cpu_seconds "${pids[n]}")"
        sent="$(curl -s --http2-prior-knowledge "http://127.0.0.1:${api[n]}/metrics" | awk '/^nanokit_intent_deliveries_total/ {print $2}')"
        echo "node $n: CPU ${cpu} s since its start, $(awk -v a="$cpu" -v b="${before[n]}" 'BEGIN {printf "%.1f", a - b}') s during scale, ${sent:-0} intent deliveries"
      done
      [ "${JOIN:-1}" = 1 ] || continue
      start_node 3
      since="$(date +%s.%N)"
      "${client[@]}" rpc-join --nodes "$(urls 0 1 2 3)" --pids "$(node_pids 0 1 2 3)" --token "$token" \
        --since "$since" --node "akka.tcp://nanokit@127.0.0.1:${cluster[3]}" --snapshot "$work/snapshot" ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
