#!/usr/bin/env bash
# PSS of Tend as PID 1 with 50 services, before and after a burst of restarts (a random service killed with SIGKILL
# every 20 ms), measured 1.2 s after the last kill — while the last runs still start up, before the quiet trim.
# Usage: bash bench/pss-restarts.sh [TEND_BINARY] [KILLS]   (default: bench/out/tend/tend, 200)
# Prints: "before: N kB  after K kills: N kB". Run as root (a PID namespace); the binary is bench/run.sh's NativeAOT one.
set -euo pipefail
tend=${1:-$(dirname "$0")/out/tend/tend}
kills=${2:-200}
services=(); for i in $(seq 1 50); do services+=("sleep 100000"); done
unshare --pid --fork --mount-proc "$tend" --no-adopt --keep-run --no-control -- "${services[@]}" >/dev/null 2>&1 &
u=$!
sleep 4
t=$(awk '{print $1}' "/proc/$u/task/$u/children")
trap 'kill -TERM "$t" 2>/dev/null; wait "$u" 2>/dev/null || true' EXIT # Tend (PID 1 of its namespace) ends its services
before=$(awk '/^Pss:/{print $2}' "/proc/$t/smaps_rollup")
for _ in $(seq 1 "$kills"); do
  # shellcheck disable=SC2207 # pids: split on spaces
  c=($(cat /proc/"$t"/task/*/children))
  kill -9 "${c[$((RANDOM % ${#c[@]}))]}" 2>/dev/null || true
  sleep 0.02
done
sleep 1.2
after=$(awk '/^Pss:/{print $2}' "/proc/$t/smaps_rollup")
echo "before: $before kB  after $kills kills: $after kB"
