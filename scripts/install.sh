#!/usr/bin/env bash
# Installs the `nkapp` command: packs src/Nanokit.Cli as a .NET tool into ./artifacts and installs it globally
# (~/.dotnet/tools, which must be on PATH). With --single-file, publishes instead a self-contained single-file
# executable (no .NET needed where it runs) to artifacts/nkapp-linux-x64/nkapp.
# The single file is ReadyToRun-compiled except LanguageExt.Core (Nanokit.Cli.csproj says why; it takes ~12 min on
# this 2-core machine; start-up: docs/benchmarks.md, "CLI start-up"); the tool package is
# RID-independent IL, as a .NET tool is by default.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--single-file" ]; then
  rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)"
  dotnet publish src/Nanokit.Cli -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false \
    -o "artifacts/nkapp-$rid"
  echo "install: artifacts/nkapp-$rid/nkapp (copy it anywhere on PATH)"
  exit 0
fi

rm -f artifacts/nkapp.*.nupkg
dotnet pack src/Nanokit.Cli -c Release
if dotnet tool list --global | grep -q '^nkapp '; then
  dotnet tool update --global --add-source ./artifacts nkapp
else
  dotnet tool install --global --add-source ./artifacts nkapp
fi
case ":$PATH:" in
  *":$HOME/.dotnet/tools:"*) ;;
  *) echo "install: add ~/.dotnet/tools to PATH: export PATH=\"\$PATH:\$HOME/.dotnet/tools\"" ;;
esac
echo "install: $(command -v nkapp || echo "$HOME/.dotnet/tools/nkapp") — try: nkapp version"
