#!/usr/bin/env bash
# `nkapp --server URL exec` against its peer, `docker exec`, on the same daemon in the same sitting: two `nkapp server`
# nodes on loopback (the shared PostgreSQL, the private dockerd: scripts/postgres.sh start; scripts/dockerd.sh start)
# run a one-container project; then, alternating, ROUNDS times each: `docker exec C true`, `nkapp exec` through the
# owner, and through the other node (forwarded to the owner); and MIB MiB piped through `cat` by `docker exec -i` and
# by `nkapp exec -i` through the other node; and `nkapp version`, the CLI's own start-up in every nkapp figure. Prints
# each kind's median wall time.
#   scripts/bench-remote-exec.sh            # ROUNDS=15 MIB=64 NO_BUILD=1 to skip the build
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-15}" mib="${MIB:-64}"
export DOCKER_HOST="${NANOKIT_TEST_DOCKER_HOST:-unix:///tmp/nanokit-docker/docker.sock}"

store="$(scripts/postgres.sh url)"
pg_host="$(sed -E 's/.*Host=([^;]+).*/\1/' <<<"$store")"
pg_port="$(sed -E 's/.*Port=([^;]+).*/\1/' <<<"$store")"
pg_user="$(sed -E 's/.*Username=([^;]+).*/\1/' <<<"$store")"
psql_() { psql -X -q -At -h "$pg_host" -p "$pg_port" -U "$pg_user" "$@"; }
[ -n "${NO_BUILD:-}" ] || dotnet build src/Nanokit.Cli -c Release -warnaserror -v q >/dev/null
nkapp=(dotnet "$PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll")
work="$(mktemp -d)"
db="nk_bench_exec_$$"
project="bench-exec-$$"
pids=()
cleanup() {
  (cd "$work" && "${nkapp[@]}" --server "http://127.0.0.1:${api[0]}" --token "$token" down >/dev/null 2>&1) || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  docker rm -f "$project-db-1" >/dev/null 2>&1 || true
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db;" || true
  rm -rf "$work"
}
trap cleanup EXIT

token="bench-exec-token"
echo "sha256:$(printf %s "$token" | sha256sum | cut -d' ' -f1) write" >"$work/tokens"
echo "nanokit.server.projects-directory = \"$work/projects\"" >"$work/node.conf"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api=() cluster=()
psql_ -d postgres -c "CREATE DATABASE $db;"
for n in 0 1; do
  api[n]="$(free_port)"; cluster[n]="$(free_port)"
  "${nkapp[@]}" server --listen "127.0.0.1:${api[n]}" --cluster "127.0.0.1:${cluster[n]}" --seed "127.0.0.1:${cluster[0]}" \
    --store "Host=$pg_host;Port=$pg_port;Username=$pg_user;Database=$db" --token-file "$work/tokens" --config "$work/node.conf" >"$work/node-$n.log" 2>&1 &
  pids[n]=$!
  until curl -sf --http2-prior-knowledge "http://127.0.0.1:${api[n]}/health/ready" >/dev/null; do sleep 0.2; done
done

cat >"$work/nanokit.yml" <<YAML
name: $project
runtime: docker
services:
  db:
    image: nanokit-test/busybox:1
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
    network_mode: none
    pull_policy: never
YAML
(cd "$work" && "${nkapp[@]}" --server "http://127.0.0.1:${api[0]}" --token "$token" up >/dev/null)
owner_port="$(curl -s --http2-prior-knowledge -H "authorization: Bearer $token" "http://127.0.0.1:${api[0]}/v1/projects/$project" | python3 -c 'import json,sys; print(json.load(sys.stdin)["owner"].rsplit(":", 1)[1])')"
if [ "$owner_port" = "${cluster[0]}" ]; then owner=0 other=1; else owner=1 other=0; fi
container="$project-db-1"
head -c "$((mib * 1024 * 1024))" /dev/zero | tr '\0' 'x' | fold -w 63 >"$work/input"

now() { date +%s.%N; }
declare -A times
timed() { # KIND COMMAND...: runs it, appends its wall time to KIND
  local kind="$1" start; shift
  start="$(now)"; "$@" >/dev/null; times[$kind]+="$(echo "$(now) - $start" | bc) "
}
remote() { (cd "$work" && "${nkapp[@]}" --server "http://127.0.0.1:${api[$1]}" --token "$token" "${@:2}"); }
echo "commit $(git rev-parse --short HEAD), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$rounds"); do
  timed nkapp-version "${nkapp[@]}" version
  timed docker-exec docker exec "$container" true
  timed nkapp-exec-owner remote "$owner" exec db true
  timed nkapp-exec-forwarded remote "$other" exec db true
  timed "docker-exec-i-${mib}MiB" sh -c "docker exec -i $container cat <'$work/input'"
  timed "nkapp-exec-i-${mib}MiB-forwarded" sh -c "cd '$work' && ${nkapp[*]} --server http://127.0.0.1:${api[$other]} --token $token exec -i db cat <'$work/input'"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in nkapp-version docker-exec nkapp-exec-owner nkapp-exec-forwarded "docker-exec-i-${mib}MiB" "nkapp-exec-i-${mib}MiB-forwarded"; do
  python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[2:]]; print(f"{sys.argv[1]:32} median {statistics.median(v):.3f} s  (n={len(v)}, min {min(v):.3f}, max {max(v):.3f})")' "$kind" ${times[$kind]}
done
