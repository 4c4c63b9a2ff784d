# Helpers shared by the scripts that run private services (dockerd.sh, registry.sh). Source it.

# Stops the process whose pid is in $1 (SIGTERM, then waits up to 30 s for it to exit) and removes the file.
stop_pidfile() {
  local pidfile="$1" pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  rm -f "$pidfile"
}
