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

dotnet build Nanokit.sln -c Release -warnaserror
# Test projects run one after another: on two cores, parallel suites only fight
# over the CPU and make timing-sensitive actor specs flaky.
status=0
for project in tests/*.Tests/*.Tests.csproj; do
  echo "== $project"
  dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" || status=1
done
exit $status
