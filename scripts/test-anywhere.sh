#!/usr/bin/env bash
# Proves the tests do not depend on where the clone is: clones this repository's HEAD under /tmp and under /root (a
# user's clone can be anywhere a root user may write), builds the process tests there and runs the classes that
# depend on the clone's place: a private /tmp in the test's namespace (daemon-ns.sh, NonRootTests) and a client or a
# Tend run as another uid (ControlTests' refused client, NonRootTests). CI runs it after scripts/test.sh.
# Usage: bash scripts/test-anywhere.sh [PARENT]… (default: /tmp /root). Last line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
filter='FullyQualifiedName~Tend.Tests.NonRootTests'
filter+='|FullyQualifiedName~Tend.Tests.ControlTests.A_client_that_is_not_root'
filter+='|FullyQualifiedName~Tend.Tests.Daemons.DaemonTests.Runs_answers_and_stays_running'
source=$(pwd)
[ $# -gt 0 ] || set -- /tmp /root
clones=()
cleanup() { local c; for c in "${clones[@]}"; do rm -rf "$c"; done; }
trap cleanup EXIT
passed=0 failed=0 status=0
for parent; do
  clone=$(mktemp -d "$parent/tend-anywhere-XXXXXX")
  clones+=("$clone")
  git clone -q "$source" "$clone"
  echo "== clone under $parent: $clone"
  dotnet build "$clone/tests/Core.Tests" -c Release -nologo -v quiet
  dotnet test "$clone/tests/Core.Tests" -c Release --no-build --filter "$filter" \
    --logger "trx;LogFileName=anywhere.trx" --results-directory "$clone/TestResults" || status=$?
  counters=$(grep -o '<Counters [^>]*>' "$clone/TestResults/anywhere.trx" | head -n 1 || true)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  echo "under $parent: ${p:-0} passed, ${f:-0} failed"
  if [ "${p:-0}" -eq 0 ]; then status=1; fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "$passed passed, $failed failed"
exit "$status"
