#!/usr/bin/env bash
# Records `nkapp up` with live progress in a real terminal (a detached tmux pane, 110×24) on a 3-layer project on the
# local runtime, and writes what the terminal showed to docs/session-up.txt: a frame each time the screen changed
# (sampled every 0.25 s), headed by the time since `up` started. Then `down`, in the same pane, recorded the same way.
# Usage: scripts/record-session.sh [OUTPUT]   (default docs/session-up.txt; needs tmux: scripts/provision.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-docs/session-up.txt}
command -v tmux >/dev/null || { echo "record-session: tmux is missing; run scripts/provision.sh" >&2; exit 1; }

dotnet build src/Nanokit.Cli -c Release -nologo -v quiet >/dev/null
nkapp="dotnet $PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"
work=$(mktemp -d)
session="nkapp-rec-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; $nkapp down -f "$work/nanokit.yml" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# Three layers: db becomes healthy 2 s after it starts, api (2 replicas) 1 s after, web waits for api's health.
cat >"$work/nanokit.yml" <<EOF
name: shop
services:
  db:
    command: [sh, -c, "sleep 2; touch $work/db.ready; exec sleep 3600"]
    healthcheck: {test: [CMD, test, -f, $work/db.ready], interval: 250ms, retries: 40}
  api:
    command: [sh, -c, "sleep 1; touch $work/api.ready; exec sleep 3600"]
    healthcheck: {test: [CMD, test, -f, $work/api.ready], interval: 250ms, retries: 40}
    deploy: {replicas: 2}
    depends_on: {db: {condition: service_healthy}}
  web:
    command: [sleep, "3600"]
    depends_on: {api: {condition: service_healthy}}
EOF

record() { # record TITLE COMMAND: runs COMMAND in the pane, captures frames until it prints the done marker
  local title=$1 cmd=$2 start now frame last="" done=0
  tmux send-keys -t "$session" "clear; $cmd; echo '[exit '\$?']'" Enter
  start=$(date +%s%N)
  {
    echo "=== $title"
    echo "\$ ${cmd/$nkapp/nkapp}"
  } >>"$output"
  while [ $done -eq 0 ]; do
    sleep 0.25
    frame=$(tmux capture-pane -p -t "$session" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
    grep -q '^\[exit [0-9]*\]$' <<<"$frame" && done=1
    if [ "$frame" != "$last" ]; then
      now=$(( ($(date +%s%N) - start) / 1000000 ))
      printf -- '--- %d.%02ds\n%s\n' $((now / 1000)) $((now % 1000 / 10)) "${frame//$nkapp/nkapp}" >>"$output"
      last=$frame
    fi
    [ $(( ($(date +%s%N) - start) / 1000000000 )) -lt 180 ] || { echo "record-session: $title did not finish in 180 s" >&2; exit 1; }
  done
}

mkdir -p "$(dirname "$output")"
{
  echo "# nkapp up with live progress, recorded by scripts/record-session.sh on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD))"
  echo "# A tmux pane of 110x24; a frame each time the screen changed, headed by the seconds since the command started."
  echo "# Load average as it started: $(cut -d" " -f1-3 /proc/loadavg) (2 cores shared by several builds: nkapp's own start-up shows in the first frame)."
} >"$output"
tmux new-session -d -s "$session" -x 110 -y 24 -c "$work" "TERM=xterm-256color bash --norc --noprofile"
tmux send-keys -t "$session" "PS1='\$ '" Enter
record "up (3 layers: db -> api x2 -> web, health-gated)" "$nkapp up"
record "ps" "$nkapp ps"
record "down" "$nkapp down"
echo "record-session: wrote $output"
