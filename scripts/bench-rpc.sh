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
# NODE_CONF='nanokit.server.intents.redeliver-after = 2s'), STORE_OPTIONS (Npgsql keywords added to the nodes' --store,
# e.g. STORE_OPTIONS='Max Auto Prepare=0'). After scale: each node's CPU time, intent deliveries,
# threads and context switches, then the CPU of the nodes, of the bench database's PostgreSQL backends and of the client,
# and PostgreSQL transactions per project.
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
threads() { ls "/proc/$1/task" | wc -l; }
# Context switches of a node's live threads (voluntary + involuntary; a retired thread's are lost, so a delta is a floor).
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s + 0}'; }
# CPU of the PostgreSQL backends serving the bench database (other databases' backends and PostgreSQL's own
# background processes are left out; a backend that exits during the part is lost, pooled connections rarely do).
pg_backend_cpu() { # [PID...] of the backends at the part's start: prints "PID:CPU" per backend now
  for pid in $(psql_ -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db';"); do
    [ -r "/proc/$pid/stat" ] && echo "$pid:$(cpu_seconds "$pid")"
  done
}
pg_cpu_delta() { # BEFORE AFTER (pg_backend_cpu outputs): CPU seconds the bench database's backends used in between
  awk -v before="$1" 'BEGIN {n = split(before, b, " "); for (i = 1; i <= n; i++) {split(b[i], kv, ":"); was[kv[1]] = kv[2]}}
    {for (i = 1; i <= NF; i++) {split($i, kv, ":"); s += kv[2] - (kv[1] in was ? was[kv[1]] : 0)}} END {printf "%.1f", s}' <<<"$2"
}
xacts() { psql_ -d postgres -c "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = '$db';" | tail -1; }
children_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($16 + $17) / hz}' "/proc/$$/stat"; } # waited-for children

psql_ -d postgres -c "CREATE DATABASE $db;"
node_store="Host=$pg_host;Port=$pg_port;Username=$pg_user;Database=$db${STORE_OPTIONS:+;$STORE_OPTIONS}"
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
      for n in 0 1 2; do before[n]="$(cpu_seconds "${pids[n]}")"; ctx_before[n]="$(ctx_switches "${pids[n]}")"; done
      pg_before="$(pg_backend_cpu | tr '\n' ' ')" xacts_before="$(xacts)"
      client_before="$(children_cpu)"
      "${client[@]}" rpc-scale "${three[@]}" --count "${SCALE:-1000}" --concurrency "${SCALE_CONCURRENCY:-32}" --snapshot "$work/snapshot"
      client_after="$(children_cpu)"
      sum=0
      for n in 0 1 2; do
        cpu="$(cpu_seconds "${pids[n]}")"
        during="$(awk -v a="$cpu" -v b="${before[n]}" 'BEGIN {printf "%.1f", a - b}')"; sum="$(awk -v a="$sum" -v b="$during" 'BEGIN {print a + b}')"
        sent="$(curl -s --http2-prior-knowledge "http://127.0.0.1:${api[n]}/metrics" | awk '/^nanokit_intent_deliveries_total/ {print $2}')"
        echo "node $n: CPU ${cpu} s since its start, ${during} s during scale, ${sent:-0} intent deliveries, $(threads "${pids[n]}") threads," \
          "$(( $(ctx_switches "${pids[n]}") - ctx_before[n] )) context switches during scale"
      done
      sleep 1 # PostgreSQL's statistics reach pg_stat_database up to a second late
      pg_cpu="$(pg_cpu_delta "$pg_before" "$(pg_backend_cpu | tr '\n' ' ')")" xacts_after="$(xacts)"
      client_cpu="$(awk -v a="$client_after" -v b="$client_before" 'BEGIN {printf "%.1f", a - b}')"
      scale="${SCALE:-1000}"
      echo "CPU during scale: nodes ${sum} s ($(awk -v c="$sum" -v n="$scale" 'BEGIN {printf "%.2f", 1000 * c / n}') ms per project)," \
        "PostgreSQL backends ${pg_cpu} s ($(awk -v c="$pg_cpu" -v n="$scale" 'BEGIN {printf "%.2f", 1000 * c / n}') ms per project)," \
        "client ${client_cpu} s; $(awk -v a="$xacts_after" -v b="$xacts_before" -v n="$scale" 'BEGIN {printf "%.1f", (a - b) / n}') transactions per project"
      [ "${JOIN:-1}" = 1 ] || continue
      start_node 3
      since="$(date +%s.%N)"
      "${client[@]}" rpc-join --nodes "$(urls 0 1 2 3)" --pids "$(node_pids 0 1 2 3)" --token "$token" \
        --since "$since" --node "akka.tcp://nanokit@127.0.0.1:${cluster[3]}" --snapshot "$work/snapshot" ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
