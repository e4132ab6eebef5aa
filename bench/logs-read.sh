#!/usr/bin/env bash
# tend logs on a large busy ring (issue 27): Tend as PID 1 of a PID namespace with `yes` flooding a ring of SIZE, then
# 10 clients `tend logs yes -n 1` at once. Prints each client's time, Tend's RSS before and after and its peak; then
# FOLLOWERS clients `logs -f yes` that never read, Tend's RSS while they hang, and after they left.
# Usage: bash bench/logs-read.sh [BINARY] [SIZE] [FOLLOWERS]   (BINARY: the tend binary; default the AdHoc sample)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/samples/AdHoc/bin/Release/net10.0/Tend.AdHoc}
size=${2:-256M}
followers=${3:-1000}
dir=$(mktemp -d /tmp/tend-logs-read-XXXXXX)
export TEND_CONTROL_SOCKET=$dir/control.sock
unshare --pid --fork --mount-proc --kill-child "$bin" --keep-run --log-buffer "yes=$size" "yes flood-line-xxxx" "sleep infinity" \
  >/dev/null 2>"$dir/tend.err" &
outer=$!
trap 'kill $outer 2>/dev/null; wait $outer 2>/dev/null; rm -rf "$dir"' EXIT
pid=
for _ in $(seq 100); do pid=$(pgrep -P "$outer" | head -1 || true); [ -n "$pid" ] && [ -S "$TEND_CONTROL_SOCKET" ] && break; sleep 0.1; done
rss() { awk -v f="$1:" '$1 == f { print int($2 / 1024) " MiB" }' "/proc/$pid/status"; }
sleep 8
echo "ring $size: before the readings RSS $(rss VmRSS), peak $(rss VmHWM)"
for i in $(seq 10); do
  ( s=$(date +%s.%N); "$bin" logs yes -n 1 >/dev/null 2>&1; echo "logs -n 1 #$i: $(echo "$(date +%s.%N) - $s" | bc) s" ) &
done
wait $(jobs -p | grep -v "^$outer$") 2>/dev/null || true
echo "after the readings: RSS $(rss VmRSS), peak $(rss VmHWM)"
s=$(date +%s.%N); "$bin" logs yes -n 5 >/dev/null 2>&1; echo "logs -n 5 alone: $(echo "$(date +%s.%N) - $s" | bc) s"
[ "$followers" -gt 0 ] || exit 0
python3 - "$TEND_CONTROL_SOCKET" "$followers" "$pid" <<'PY'
import socket, sys, time
path, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) // 1024
clients = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); s.connect(path)
    s.sendall(b"logs -f yes\n"); clients.append(s)
time.sleep(10)
print(f"{n} followers that never read: RSS {rss()} MiB")
for s in clients: s.close()
for t in (2, 5, 10):
    time.sleep(t - (0 if t == 2 else (2 if t == 5 else 5)))
    print(f"{t} s after they left: RSS {rss()} MiB")
PY
