#!/bin/sh
# The local runtime's log pump (src/Nanokit.Providers.Local/LogPump.cs): lines per second through it, and its memory.
# Usage: scripts/bench-log-pump.sh [LINES] [RUNS]   (defaults 1000000 lines of 64 bytes, 5 runs; medians printed)
# Throughput: LINES lines into the pump, into a file, against the same bytes copied by `cat` (the cost of the pump
# over no pump); written in 4 KiB blocks (`yes | head`, a chatty service's stdio buffer) and one write(2) per line
# (perl with autoflush, a service that flushes each line: the pump's worst case, a read and a write per line when it
# keeps up). Memory: a pump started on a FIFO, as the wrapper starts it, waiting for input:
# VmRSS and Pss (its share of pages it shares with other perls) from /proc.
set -eu
lines=${1:-1000000}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The script exactly as nkapp passes it to perl -e: the raw string literal, its 8-space indent removed.
awk '/Script = """/ { on = 1; next } on && /^ *""";/ { exit } on { sub(/^        /, ""); print }' \
  "$here/src/Nanokit.Providers.Local/LogPump.cs" >"$work/pump.pl"
pump=$(cat "$work/pump.pl")
line=$(printf '%063d' 0)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds() { start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

blocks() { yes "$line" | head -n "$lines"; }
flushed() { perl -e '$| = 1; print "$ARGV[0]\n" for 1 .. $ARGV[1]' "$line" "$lines"; }
copy() { "$1" | cat >"$work/out"; }
through() { "$1" | perl -e "$pump" >"$work/out"; check; }
check() {
  [ "$(wc -l <"$work/out")" -eq "$lines" ] || { echo "the pump lost lines" >&2; exit 1; }
  head -n 1 "$work/out" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z 0+$' || { echo "unexpected line: $(head -n 1 "$work/out")" >&2; exit 1; }
}

for mode in blocks flushed; do
  i=0; : >"$work/cat-$mode"; : >"$work/pump-$mode"
  while [ "$i" -lt "$runs" ]; do
    seconds copy "$mode" >>"$work/cat-$mode"
    seconds through "$mode" >>"$work/pump-$mode"
    i=$((i + 1))
  done
done

i=0; : >"$work/rss"; : >"$work/pss"
while [ "$i" -lt "$runs" ]; do
  mkfifo "$work/fifo"
  perl -e "$pump" <"$work/fifo" >/dev/null &
  pid=$!
  exec 9>"$work/fifo"
  printf 'warm\n' >&9
  sleep 0.3
  awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" >>"$work/rss"
  awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" >>"$work/pss"
  exec 9>&-
  wait "$pid"
  rm -f "$work/fifo"
  i=$((i + 1))
done

printf 'lines=%s bytes/line=64 runs=%s perl=%s load=%s\n' "$lines" "$runs" "$(perl -e 'print $^V')" "$(cut -d' ' -f1-3 /proc/loadavg)"
for mode in blocks flushed; do
  cat_s=$(median <"$work/cat-$mode"); pump_s=$(median <"$work/pump-$mode")
  printf '%-8s cat (no pump): median %7.3f s %9.0f lines/s; log pump: median %7.3f s %9.0f lines/s\n' \
    "$mode" "$cat_s" "$(echo "$lines / $cat_s" | bc -l)" "$pump_s" "$(echo "$lines / $pump_s" | bc -l)"
done
printf 'pump memory:    median VmRSS %s KiB, Pss %s KiB\n' "$(median <"$work/rss")" "$(median <"$work/pss")"
