#!/usr/bin/env bash
# Scale and latency benchmarks of the reconciler on the simulated runtime (DESIGN.md §6: 10 k projects x 10
# services converge in <= 30 s and <= 2 GB on one node). Builds Release once, then runs every scale
# configuration RUNS times, each in a fresh process (peak memory is per process), and prints the medians;
# then the intent-to-first-action latency once per journal (it is itself a median over many projects).
#
#   scripts/bench-scale.sh                     # N = 1000 and 10000, SQLite and in-memory journals, workstation GC
#   PROJECTS="10000" JOURNALS=sqlite RUNS=5 scripts/bench-scale.sh
#   GCS="workstation server" scripts/bench-scale.sh   # also with server GC (DOTNET_gcServer=1)
#
# Journals live under ${BENCH_DIR:-$TMPDIR or /tmp}; put it on the disk you want the fsyncs measured on.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECTS="${PROJECTS:-1000 10000}"
JOURNALS="${JOURNALS:-sqlite memory}"
GCS="${GCS:-workstation}"
RUNS="${RUNS:-3}"
LATENCY_PROJECTS="${LATENCY_PROJECTS:-200}"
DIR="${BENCH_DIR:-${TMPDIR:-/tmp}}"

# Concurrent builds in the same tree can hold a file lock for a moment: retry rather than fail the run.
for attempt in 1 2 3; do
  if dotnet build tests/Nanokit.Benchmarks -c Release -warnaserror -v quiet -nologo; then
    break
  fi
  [ "$attempt" = 3 ] && exit 1
  sleep 5
done
bench=(dotnet tests/Nanokit.Benchmarks/bin/Release/net10.0/Nanokit.Benchmarks.dll)

# Median of the numbers on stdin (the lower middle for an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# The value of key $1 in a RESULT line on stdin.
field() { grep -o "$1=[^ ]*" | cut -d= -f2; }

summary=()
status=0
for gc in $GCS; do
  server=0
  [ "$gc" = server ] && server=1
  for n in $PROJECTS; do
    for journal in $JOURNALS; do
      results=""
      for run in $(seq "$RUNS"); do
        echo "== scale: $n projects, journal $journal, $gc GC, run $run/$RUNS"
        log=$(DOTNET_gcServer=$server "${bench[@]}" scale --projects "$n" --journal "$journal" --dir "$DIR" 2>/dev/null) || status=1
        echo "$log"
        results+="$(grep '^RESULT ' <<<"$log")"$'\n'
      done
      ok=$(grep -c 'ok=true' <<<"$results" || true)
      summary+=("$(printf '%6s projects  %-6s  %-11s  converge %7.2f s  peak heap %5s MB  peak working set %5s MB  (%s/%s runs ok)' \
        "$n" "$journal" "$gc" \
        "$(field seconds <<<"$results" | median)" \
        "$(field peak_heap_mb <<<"$results" | median)" \
        "$(field peak_ws_mb <<<"$results" | median)" \
        "$ok" "$RUNS")")
    done
  done
done

for journal in $JOURNALS; do
  echo "== latency: $LATENCY_PROJECTS single-service projects, journal $journal"
  log=$("${bench[@]}" latency --projects "$LATENCY_PROJECTS" --journal "$journal" --dir "$DIR") || status=1
  echo "$log"
  line=$(grep '^RESULT ' <<<"$log" || true)
  summary+=("$(printf 'latency %-6s  ApplySpec -> first Applying: median %s ms, p95 %s ms (intent durable: median %s ms)' \
    "$journal" "$(field applying_p50_ms <<<"$line")" "$(field applying_p95_ms <<<"$line")" "$(field accepted_p50_ms <<<"$line")")")
done

echo
echo "== medians of $RUNS runs ($(nproc) cores; target: 10000 projects converge <= 30 s, <= 2048 MB)"
printf '%s\n' "${summary[@]}"
exit $status
