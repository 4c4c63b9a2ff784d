#!/usr/bin/env bash
# nkapp up/down of a health-gated Docker project (LAYERS x WIDTH services, the shape of bench-compose.sh), two nkapp
# builds alternating on the private dockerd (scripts/dockerd.sh start; the busybox test image imported): OLD=... NEW=...
# PROFILE=today (default): healthcheck interval 1 s; PROFILE=realistic: interval 10 s (as bench-compose.sh). Each service
# is ready 1 s after it starts.
set -euo pipefail
runs=${RUNS:-5}; layers=${LAYERS:-5}; width=${WIDTH:-6}
case "${PROFILE:-today}" in
  today) interval=1s ;;
  realistic) interval=10s ;;
  *) echo "PROFILE is today or realistic" >&2; exit 2 ;;
esac
eval "$("$(dirname "$0")/dockerd.sh" env | sed "s/^/export /")"
old="dotnet ${OLD:?OLD=path of the old build nkapp.dll}"
new="dotnet ${NEW:?NEW=path of the new build nkapp.dll}"
work=$(mktemp -d); mkdir -p "$work/old" "$work/new"
gen() {
  echo "name: benchab$1"; echo "runtime: docker"; echo "services:"
  for l in $(seq 1 $layers); do for s in $(seq 1 $width); do
    echo "  l$l-s$s:"; echo "    image: nanokit-test/busybox:1"
    echo "    command: [sh, -c, \"sleep 1; touch /tmp/ready; exec sleep 3600\"]"
    echo "    stop_grace_period: 1s"
    echo "    healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: $interval, timeout: 1s, retries: 30}"
    if [ "$l" -gt 1 ]; then echo "    depends_on:"; for p in $(seq 1 $width); do echo "      l$((l - 1))-s$p: {condition: service_healthy}"; done; fi
  done; done
}
gen old >"$work/old/nanokit.yml"; gen new >"$work/new/nanokit.yml"
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo "FAILED: $*" >&2; echo "$(date +%s.%N) - $s" | bc; }
o=(); n=(); od=(); nd=()
for r in $(seq 1 "$runs"); do
  a=$(cd "$work/old" && secs $old up); ad=$(cd "$work/old" && secs $old down)
  b=$(cd "$work/new" && secs $new up); bd=$(cd "$work/new" && secs $new down)
  echo "run $r: old up ${a}s down ${ad}s   new up ${b}s down ${bd}s"
  o+=("$a"); n+=("$b"); od+=("$ad"); nd+=("$bd")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${o[@]}"); mn=$(median "${n[@]}"); mod=$(median "${od[@]}"); mnd=$(median "${nd[@]}")
echo "load: $(cut -d" " -f1-3 /proc/loadavg)"; echo "median up: old ${mo}s new ${mn}s new/old $(echo "scale=3; $mn / $mo" | bc)"
echo "median down: old ${mod}s new ${mnd}s new/old $(echo "scale=3; $mnd / $mod" | bc)"
rm -rf "$work"
