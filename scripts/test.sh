#!/usr/bin/env bash
# Installs what the tests need (idempotent), builds everything and runs every test.
# --unit: only the pure tests (xunit trait Category=Unit), with nothing installed, no root and no container engine.
# Last line: "N passed, N failed", summed from the TRX files.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

summarize() {
  local passed=0 failed=0 counters p f_ f
  for f in TestResults/*.trx; do
    [ -e "$f" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f_=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f_:-0}))
  done
  if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then status=1; echo "no test ran" >&2; fi
  echo "$passed passed, $failed failed"
}

case "${1:-}" in
  "") ;;
  --unit)
    # The fast lane: decisions on fake tables and clocks, parsers, the generator and its binder compiled in memory.
    # A class marked [Trait("Category", "Unit")] starts no process, needs no root, no network and nothing installed
    # (it may read this repository and /proc/self, and write temporary files). One build of what these two projects
    # need (tests/Unit.slnf), then both run from it.
    rm -rf TestResults
    status=0
    dotnet build tests/Unit.slnf -c Release -nologo -v quiet
    # Both assemblies at once (one core each): the lane's wall time is the longer of the two.
    pids=()
    for project in tests/Core.Tests tests/Generators.Tests; do
      dotnet test "$project" -c Release --no-build -nologo -v quiet --filter Category=Unit --logger "trx;LogFilePrefix=$(basename "$project")" --results-directory TestResults &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
    summarize
    exit "$status"
    ;;
  *) echo "usage: bash scripts/test.sh [--unit]" >&2; exit 2 ;;
esac

bash scripts/install-deps.sh
# Real containers: Docker, else podman; installed and started when there is none.
TEND_CONTAINER_ENGINE=$(bash scripts/container-engine.sh)
# Everything the image tests build or run carries this label; whatever a crashed test left is swept at the end.
TEND_TEST_RUN="run-$(date +%Y%m%d%H%M%S)-$$"
export TEND_CONTAINER_ENGINE TEND_TEST_RUN
sweep() {
  local e=$TEND_CONTAINER_ENGINE label="label=tend.test.run=$TEND_TEST_RUN"
  $e ps -aq --filter "$label" | xargs -r $e rm -f >/dev/null 2>&1 || true
  $e images -q --filter "$label" | sort -u | xargs -r $e rmi -f >/dev/null 2>&1 || true
}
trap sweep EXIT

rm -rf TestResults
dotnet build Framework.sln -c Release -nologo -v quiet
status=0
# One test assembly at a time: the process tests measure restarts in milliseconds, and the package test
# compiles NativeAOT, which takes both cores.
# The generator's property test draws more random declarations here than in the fast lane.
export TEND_PROPERTY_CASES=${TEND_PROPERTY_CASES:-1000}
for project in tests/Core.Tests tests/Generators.Tests tests/Templates.Tests; do
  dotnet test "$project" -c Release --no-build --logger "trx;LogFilePrefix=$(basename "$project")" --results-directory TestResults || status=$?
done

summarize
exit "$status"
