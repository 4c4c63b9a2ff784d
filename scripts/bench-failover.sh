#!/usr/bin/env bash
# Failover of the control plane: three `nkapp server` nodes on loopback (simulated runtime) on the private
# PostgreSQL; a converged project's owner is SIGKILLed and a new generation is applied through a survivor at once.
# Measured per run: from the SIGKILL to the new owner's first action on the project (its RunStarted report in
# nanokit_status, timestamped by PostgreSQL's clock on this machine). Each run also prints its breakdown, read from
# the survivors' logs (Akka at INFO): SIGKILL -> first survivor marks the owner unreachable -> the split-brain
# resolver downs it -> the leader removes it -> first action. Prints each run and the median.
#
# Usage: scripts/bench-failover.sh [RUNS]   (default 5)
#   BASELINE=/path/to/other/nkapp.dll  alternate runs: odd ones this worktree's build, even ones BASELINE's (same
#                                      sitting); the medians of both and their ratio are printed
#   LOGS=DIR                           keep every node's log and each run's project events in DIR
#   LOGLEVEL=DEBUG                     Akka's log level on the nodes (default INFO; DEBUG shows shard allocation)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"

scripts/postgres.sh start >/dev/null
store="$(scripts/postgres.sh url)"
pg_host="$(sed -E 's/.*Host=([^;]+).*/\1/' <<<"$store")"
pg_port="$(sed -E 's/.*Port=([^;]+).*/\1/' <<<"$store")"
pg_user="$(sed -E 's/.*Username=([^;]+).*/\1/' <<<"$store")"
psql_() { psql -X -q -At -h "$pg_host" -p "$pg_port" -U "$pg_user" "$@"; }

dotnet build src/Nanokit.Cli -c Release -warnaserror -v q >/dev/null
current="$PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "${LOGS:-}" ]; then mkdir -p "$LOGS" && cp "$work"/node-*.log "$LOGS"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

token="bench-failover-token"
echo "sha256:$(printf %s "$token" | sha256sum | cut -d' ' -f1) write" >"$work/tokens"
cat >"$work/node.conf" <<CONF
nanokit.server.simulated-runtime = on
nanokit.server.projects-directory = "$work/projects"
akka.loglevel = ${LOGLEVEL:-INFO}
CONF
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The first survivor's log line matching $1 after the kill, as seconds since the kill ("-" when none).
after_kill() {
  python3 - "$1" "$killed_at" "${@:2}" <<'PY'
import re, sys, datetime
pattern, killed, files = re.compile(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
stamp = re.compile(r"\[(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d)\.(\d+)Z\]")
best = None
for name in files:
    for line in open(name, errors="replace"):
        m = stamp.search(line)
        if m and pattern.search(line):
            mo, d, y, h, mi, s, frac = m.groups()
            t = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)
            if t >= killed and (best is None or t < best):
                best = t
print("-" if best is None else f"{best - killed:.2f}")
PY
}

new_results=() old_results=()
for run in $(seq 1 "$runs"); do
  variant=new dll="$current"
  if [ -n "${BASELINE:-}" ] && [ $((run % 2)) = 0 ]; then variant=baseline dll="$BASELINE"; fi
  nkapp=(dotnet "$dll")
  db="nk_bench_failover_$$_$run"
  psql_ -d postgres -c "CREATE DATABASE $db;"
  node_store="Host=$pg_host;Port=$pg_port;Username=$pg_user;Database=$db"
  api=() cluster=() pids=()
  for n in 0 1 2; do
    api[n]="$(free_port)"; cluster[n]="$(free_port)"
    "${nkapp[@]}" server --listen "127.0.0.1:${api[n]}" --cluster "127.0.0.1:${cluster[n]}" --seed "127.0.0.1:${cluster[0]}" \
      --store "$node_store" --token-file "$work/tokens" --config "$work/node.conf" >"$work/node-$run-$n.log" 2>&1 &
    pids[n]=$!
    if [ "$n" = 0 ]; then
      until curl -sf --http2-prior-knowledge "http://127.0.0.1:${api[0]}/health/ready" >/dev/null; do sleep 0.2; done
    fi
  done
  for n in 1 2; do
    until curl -sf --http2-prior-knowledge "http://127.0.0.1:${api[n]}/health/ready" >/dev/null; do sleep 0.2; done
  done

  mkdir -p "$work/project"
  printf 'name: bench\nruntime: docker\nservices:\n  api:\n    image: nginx:1.27\n' >"$work/project/nanokit.yml"
  (cd "$work/project" && "${nkapp[@]}" --server "http://127.0.0.1:${api[0]}" --token "$token" up >/dev/null)
  owner="$(psql_ -d "$db" -c "SELECT owner FROM nanokit_status WHERE project = 'bench';")"
  victim=""
  for n in 0 1 2; do [[ "$owner" == *":${cluster[n]}" ]] && victim="$n"; done
  survivor=$(( (victim + 1) % 3 ))

  killed_at="$(date +%s.%N)"
  kill -9 "${pids[victim]}"
  sed -i 's/nginx:1.27/nginx:1.28/' "$work/project/nanokit.yml"
  (cd "$work/project" && "${nkapp[@]}" --server "http://127.0.0.1:${api[survivor]}" --token "$token" up --no-wait >/dev/null)
  until started="$(psql_ -d "$db" -c "SELECT extract(epoch FROM updated_at) FROM nanokit_status
        WHERE project = 'bench' AND accepted_generation >= 2 AND owner <> '$owner';")" && [ -n "$started" ]; do
    sleep 0.1
  done
  seconds="$(python3 -c "print(f'{$started - $killed_at:.2f}')")"
  survivors=()
  for n in 0 1 2; do [ "$n" != "$victim" ] && survivors+=("$work/node-$run-$n.log"); done
  unreachable="$(after_kill 'Marking node\(s\) as UNREACHABLE' "${survivors[@]}")"
  downed="$(after_kill 'SBR took decision' "${survivors[@]}")"
  removed="$(after_kill 'Leader is removing unreachable node' "${survivors[@]}")"
  moved="$(after_kill 'Singleton manager started singleton actor' "${survivors[@]}")"
  echo "run $run ($variant, load $(cut -d' ' -f1 /proc/loadavg)): SIGKILL of $owner -> first action on the new owner: ${seconds} s" \
    "(unreachable ${unreachable}, downed ${downed}, removed ${removed}, coordinator restarted ${moved})"
  if [ "$variant" = new ]; then new_results+=("$seconds"); else old_results+=("$seconds"); fi
  if [ -n "${LOGS:-}" ]; then
    mkdir -p "$LOGS"
    echo "killed at $(date -u -d "@$killed_at" +%H:%M:%S.%N)" >"$LOGS/run-$run.txt"
    psql_ -d "$db" -c "SELECT revision, event::text FROM nanokit_events WHERE project = 'bench' ORDER BY revision;" >>"$LOGS/run-$run.txt"
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${LOGS:-}" ]; then cp "$work"/node-"$run"-*.log "$LOGS"/; fi
  psql_ -d postgres -c "DROP DATABASE $db;"
done
python3 - "${new_results[*]}" "${old_results[*]:-}" <<'PY'
import statistics, sys
new = [float(x) for x in sys.argv[1].split()]
old = [float(x) for x in sys.argv[2].split()] if len(sys.argv) > 2 and sys.argv[2].strip() else []
print(f"median of {len(new)}: {statistics.median(new):.2f} s (min {min(new):.2f}, max {max(new):.2f})")
if old:
    print(f"baseline median of {len(old)}: {statistics.median(old):.2f} s (min {min(old):.2f}, max {max(old):.2f});"
          f" new / baseline = {statistics.median(new) / statistics.median(old):.2f}")
PY
