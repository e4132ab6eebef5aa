#!/usr/bin/env bash
# Where "start 1 service" goes: the time from a supervisor's exec to its service's exec, from the kernel's
# sched_process_exec tracepoint (perf), each supervisor as PID 1 of a fresh PID namespace, 30 runs each; and the
# same for a NativeAOT program that only execs the service (the .NET runtime's own start).
# Needs perf (apt-get install linux-perf) and root. Usage: bash bench/exec-to-spawn.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
out=bench/out/exec-to-spawn
mkdir -p "$out"
command -v perf >/dev/null || { echo "exec-to-spawn: perf is missing: apt-get install linux-perf" >&2; exit 1; }
dotnet publish samples/AdHoc -c Release -o bench/out/tend -v quiet -nologo | grep -E "error|warn" || true
dotnet publish bench/AotFloor -c Release -o "$out/floor" -v quiet -nologo | grep -E "error|warn" || true
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' > "$out/svc.c"
cc -O2 -static -o "$out/svc0001" "$out/svc.c"
svc=$PWD/$out/svc0001

measure() { # name, command...
  local name=$1; shift
  perf record -q -e sched:sched_process_exec -a -o "$out/$name.data" -- bash -c '
    for i in $(seq '"$runs"'); do
      unshare --pid --fork --mount-proc --kill-child "$@" >/dev/null 2>&1 & u=$!
      sleep 0.05
      kill -9 $u; wait $u 2>/dev/null || true
    done' _ "$@" >/dev/null 2>&1
  perf script -i "$out/$name.data" -F time,event,trace 2>/dev/null | python3 -c '
import re, statistics, sys
name, first = sys.argv[1], sys.argv[2]
start, times = None, []
for line in sys.stdin:
    m = re.search(r"(\d+\.\d+):\s+sched:sched_process_exec: filename=(\S+)", line)
    if not m: continue
    t, f = float(m.group(1)), m.group(2)
    if f == first: start = t
    elif f.endswith("/svc0001") and start is not None: times.append((t - start) * 1000); start = None
times.sort()
print(f"{name:10} exec → service exec: median {statistics.median(times):.2f} ms (min {times[0]:.2f}, max {times[-1]:.2f}, n={len(times)})")
' "$name" "$1"
}
measure tend "$PWD/bench/out/tend/tend" --no-adopt -- "$svc"
command -v tini >/dev/null && measure tini "$(command -v tini)" -s -- "$svc"
command -v dumb-init >/dev/null && measure dumb-init "$(command -v dumb-init)" "$svc"
measure aot-floor "$PWD/$out/floor/AotFloor" "$svc"
