#!/usr/bin/env bash
# CLI start-up (docs/benchmarks.md, "CLI start-up"): the build-output dll against the ReadyToRun forms scripts/install.sh
# makes, in one hyperfine sitting, on `version`, `validate` of a small file, `status` and a converged `up` of the
# quickstart. Each form gets its own converged copy of examples/quickstart (the projects differ by name, so they
# never share processes). Usage: scripts/bench-startup.sh [RUNS]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
scripts/provision.sh >/dev/null

out=$(mktemp -d)
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)"
dotnet build src/Nanokit.Cli -c Release -nologo -v quiet >/dev/null
dotnet publish src/Nanokit.Cli -c Release -r "$rid" --no-self-contained -p:PublishReadyToRun=true -o "$out/r2r" -nologo -v quiet >/dev/null
dotnet publish src/Nanokit.Cli -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false -p:PublishSingleFile=true \
  -p:IncludeNativeLibrariesForSelfExtract=true -o "$out/single" -nologo -v quiet >/dev/null

declare -A form=(
  [dll]="dotnet $PWD/src/Nanokit.Cli/bin/Release/net10.0/nkapp.dll"
  [r2r]="$out/r2r/nkapp"
  [single]="$out/single/nkapp"
)
cleanup() {
  for f in "${!form[@]}"; do ${form[$f]} down -f "$out/qs-$f/nanokit.yml" >/dev/null 2>&1 || true; done
  rm -rf "$out"
}
trap cleanup EXIT

printf 'name: small\nservices:\n  web:\n    command: [sleep, "60"]\n' >"$out/small.yml"
for f in "${!form[@]}"; do
  mkdir -p "$out/qs-$f"
  sed "s/^name: .*/name: qs-$f/" examples/quickstart/nanokit.yml >"$out/qs-$f/nanokit.yml"
  ${form[$f]} up -f "$out/qs-$f/nanokit.yml" >/dev/null
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for cmd in "version" "validate -f $out/small.yml" "status -f $out/qs-{f}/nanokit.yml" "up -f $out/qs-{f}/nanokit.yml"; do
  args=()
  for f in dll r2r single; do args+=("${form[$f]} ${cmd//\{f\}/$f}"); done
  hyperfine -N --warmup 2 --runs "$runs" --export-markdown "$out/${cmd%% *}.md" "${args[@]}" | grep -E 'Time|±|faster' || true
  cat "$out/${cmd%% *}.md"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
