#!/usr/bin/env bash
# Runs every test on this machine: provisions what the tests need, starts the
# private PostgreSQL, dockerd and image registry, builds once, then runs each test project.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision.sh
scripts/postgres.sh start
NANOKIT_TEST_POSTGRES="$(scripts/postgres.sh url)"
export NANOKIT_TEST_POSTGRES
scripts/dockerd.sh start
NANOKIT_TEST_DOCKER_HOST="$(scripts/dockerd.sh env | sed 's/^DOCKER_HOST=//')"
export NANOKIT_TEST_DOCKER_HOST
scripts/registry.sh start
NANOKIT_TEST_REGISTRY="$(scripts/registry.sh url)"
export NANOKIT_TEST_REGISTRY

# Every cluster test node's log (with timestamps and its intents' sends and answers) is written here when the node
# stops, so that a rare stall can be read afterwards from every node's side.
NANOKIT_TEST_NODE_LOGS="${NANOKIT_TEST_NODE_LOGS:-$PWD/TestResults/node-logs/$(date -u +%Y%m%d-%H%M%S)}"
export NANOKIT_TEST_NODE_LOGS

dotnet build Nanokit.sln -c Release -warnaserror
# Test projects run one after another: on two cores, parallel suites only fight
# over the CPU and make timing-sensitive actor specs flaky.
# Each project's output is also kept, so that the last lines printed (all a CI
# page may show) name every failed test and the project it is in.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
status=0
failed=()
for project in tests/*.Tests/*.Tests.csproj; do
  echo "== $project"
  log="$logs/$(basename "$project" .csproj).log"
  if ! dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log"; then
    status=1
    failed+=("$project")
  fi
done
echo "== summary"
echo "cluster test nodes' logs: $NANOKIT_TEST_NODE_LOGS"
if [ "$status" -eq 0 ]; then
  echo "every test project passed"
else
  for project in "${failed[@]}"; do
    echo "FAILED $project"
    # A failed test's name with the first lines of its message, then the counts.
    grep -E -A6 '^[[:space:]]+Failed [A-Za-z]' "$logs/$(basename "$project" .csproj).log" | head -60 || true
    grep -E 'Total tests|Passed:|Failed:' "$logs/$(basename "$project" .csproj).log" || true
  done
fi
exit $status
