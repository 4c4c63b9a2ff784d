#!/usr/bin/env bash
# CLI start-up (docs/benchmarks.md, "CLI start-up (issue 13)"): wall time of `nkapp version` and of `validate` of a small
# file, for each way of getting the command:
#   run     dotnet run --project src/Nanokit.Cli -c Release -- ...   (what the README used before the tool existed)
#   dll     dotnet src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll ...  (the build output)
#   tool    the .NET tool scripts/install.sh installs (packed here, installed into a scratch --tool-path, not globally)
#   r2r     framework-dependent ReadyToRun publish
#   single  self-contained single-file ReadyToRun publish (scripts/install.sh --single-file)
# Forms alternate within each round (run, dll, tool, r2r, single, then again), so load changes hit all alike; the
# figures are medians per form and command, plus each form's ratio to `single`.
# Usage: [FORMS="run dll tool"] [R2R_ONLY="nkapp Akka ..."] scripts/bench-startup.sh [ROUNDS]   (default: all five forms,
# 15 rounds; `dotnet run` takes seconds a call, so it gets min(ROUNDS, 5); a form left out is not built, which saves the
# publishes' minutes). R2R_ONLY names the assemblies the r2r form precompiles (the rest stay IL, as crossgen2 of all of
# them, LanguageExt and the Akka/linq2db stack, outlasts a loaded sitting); `strace -f -e trace=openat` of a command
# tells which of the build output's assemblies it loads.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-15}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)"
dotnet build src/Nanokit.Cli -c Release -nologo -v quiet >/dev/null
read -r -a forms <<<"${FORMS:-run dll tool r2r single}"
wants() { [[ " ${forms[*]} " == *" $1 "* ]]; }
if wants tool; then
  dotnet pack src/Nanokit.Cli -c Release -nologo -v quiet -o "$out/pkg" >/dev/null
  dotnet tool install --tool-path "$out/tool" --add-source "$out/pkg" nkapp >/dev/null
fi
r2r_only=()
if [ -n "${R2R_ONLY:-}" ]; then
  exclude=$(for f in src/Nanokit.Cli/bin/Release/net10.0/*.dll; do n=$(basename "$f" .dll); [[ " $R2R_ONLY " == *" $n "* ]] || printf '%s.dll;' "$n"; done)
  printf '<Project><ItemGroup><PublishReadyToRunExclude Include="%s" /></ItemGroup></Project>\n' "$exclude" >"$out/r2r-only.targets"
  r2r_only=(-p:CustomAfterMicrosoftCommonTargets="$out/r2r-only.targets")
fi
if wants r2r; then
  start=$(date +%s)
  dotnet publish src/Nanokit.Cli -c Release -r "$rid" --no-self-contained -p:PublishReadyToRun=true "${r2r_only[@]}" -o "$out/r2r" -nologo -v quiet >/dev/null
  echo "r2r publish: $(($(date +%s) - start)) s${R2R_ONLY:+ (precompiled: $R2R_ONLY)}, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
if wants single; then
  dotnet publish src/Nanokit.Cli -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false -p:PublishSingleFile=true \
    -p:IncludeNativeLibrariesForSelfExtract=true -o "$out/single" -nologo -v quiet >/dev/null
fi

declare -A form=(
  [run]="dotnet run --project $PWD/src/Nanokit.Cli -c Release --"
  [dll]="dotnet $PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"
  [tool]="$out/tool/nkapp"
  [r2r]="$out/r2r/nkapp"
  [single]="$out/single/nkapp"
)
printf 'name: small\nservices:\n  web:\n    command: [sleep, "60"]\n' >"$out/small.yml"
commands=("version" "validate -f $out/small.yml")

# One warm-up call of each, so the first round does not pay for cold disk caches.
for f in "${forms[@]}"; do for c in "${commands[@]}"; do ${form[$f]} $c >/dev/null; done; done

echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (+ uncommitted changes in src)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= rounds; i++)); do
  for f in "${forms[@]}"; do
    [ "$f" = run ] && [ "$i" -gt 5 ] && continue
    for c in "${!commands[@]}"; do
      start=$(date +%s%N)
      ${form[$f]} ${commands[$c]} >/dev/null
      echo "$f $c $(( ($(date +%s%N) - start) / 1000000 ))" >>"$out/times"
    done
  done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/times" "${commands[@]}" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = sys.argv[2:]
forms = [f for f in ["run", "dll", "tool", "r2r", "single"] if any(r[0] == f for r in rows)]
base = forms[-1]
print("| form | " + " | ".join(f"`{n.split()[0]}` median ms (runs)" for n in names) + f" | ratio to {base} |")
print("|---|" + "---|" * len(names) + "---|")
single = {c: statistics.median(int(ms) for f, k, ms in rows if f == base and int(k) == c) for c in range(len(names))}
for f in forms:
    medians = {c: statistics.median(int(ms) for g, k, ms in rows if g == f and int(k) == c) for c in range(len(names))}
    count = sum(1 for g, k, _ in rows if g == f and k == "0")
    ratio = " / ".join(f"{medians[c] / single[c]:.1f}×" for c in range(len(names)))
    print(f"| {f} | " + " | ".join(f"{medians[c]:.0f} ({count})" for c in range(len(names))) + f" | {ratio} |")
EOF
