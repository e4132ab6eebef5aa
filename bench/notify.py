#!/usr/bin/python3
"""Notify readiness against TCP polling, and idle wake-ups with notify on (README, "Notify readiness and watchdogs").

For each daemon (redis-server --supervised systemd, postgres -D), N runs of Tend as PID 1 of a fresh PID+mount+net+IPC
namespace (tests/Core.Tests/Daemons/daemon-ns.sh), alternating: --ready NAME=notify, --ready NAME=tcp:PORT (default
interval 100 ms), --ready NAME=tcp:PORT with --ready-interval 10ms. Prints Tend's own "ready after" (ms from the spawn to
the ready event) per mode: median, min, max. Then one run with notify on (redis ready, a watchdog-free notify service) is
left idle for IDLE seconds: Tend's context switches over all its threads (/proc/PID/task/*/status) are its wake-ups.
Usage: sudo python3 bench/notify.py [TEND_BINARY] [--runs N] [--idle SECONDS] [--only redis,postgres]
"""
import json, os, statistics, subprocess, sys, time

sys.stdout.reconfigure(line_buffering=True)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
def opt(name, default):
    return type(default)(args[args.index(name) + 1]) if name in args else default
runs, idle = opt("--runs", 10), opt("--idle", 10.0)
only = opt("--only", "redis,postgres").split(",")
positional = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or not args[i - 1].startswith("--"))]
tend = positional[0] if positional else os.path.join(root, "samples/AdHoc/bin/Release/net10.0/Tend.AdHoc")
ns = os.path.join(root, "tests/Core.Tests/Daemons/daemon-ns.sh")
pg_bin = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")) if os.path.exists(d + "/postgres"))[-1]
pg_ver = pg_bin.split("/")[-2]
daemons = {
    "redis": ("redis-server", 6379, "true", "redis-server --supervised systemd --port 6379 --save ''"),
    "postgres": ("setpriv", 5432, "install -d -o postgres -g postgres -m 2775 /run/postgresql",
                 f"setpriv --reuid=postgres --regid=postgres --init-groups -- {pg_bin}/postgres -D /var/lib/postgresql/{pg_ver}/main "
                 f"-c config_file=/etc/postgresql/{pg_ver}/main/postgresql.conf"),
}

def start(setup, tend_args):
    script = f". {ns}\n{setup}\nexec \"$0\" \"$@\""
    cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--net", "--ipc", "--kill-child", "bash", "-euc", script, tend,
           "--keep-run", "--no-control", "--log-format", "json"] + tend_args
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

def ready_after(p, service, timeout=60):
    end = time.monotonic() + timeout
    for line in p.stderr:
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("service") == service and e.get("event") == "ready":
                return float(e["message"].split(" after ")[1].rstrip("ms\n")) if e["message"].split(" after ")[1].endswith("ms") else float(e["message"].split(" after ")[1].rstrip("s\n")) * 1000
        if time.monotonic() > end:
            break
    raise RuntimeError("no ready event")

probes = {"redis": "redis-cli -p 6379 ping | grep -q PONG", "postgres": "pg_isready -q -h 127.0.0.1 -p 5432 -t 1"}

def answers(p, name):
    """The daemon's own client, once, inside the namespace right after the ready event: did READY tell the truth?"""
    kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
    r = subprocess.run(["nsenter", "-t", kids[0], "-p", "-m", "-n", "--", "bash", "-c", probes[name]], capture_output=True)
    return r.returncode == 0

def stop(p):
    p.terminate()  # SIGTERM to unshare, which --kill-child passes on as SIGKILL to the namespace
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill(); p.wait()

modes = [("notify", lambda port: "notify", []), ("tcp 100ms", lambda port: f"tcp:{port}", []),
         ("tcp 10ms", lambda port: f"tcp:{port}", ["--ready-interval", "10ms"])]
print(f"# ready latency: Tend's 'ready after' (ms, spawn to ready), {runs} runs per mode, alternating; {tend}")
for name, (service, port, setup, command) in daemons.items():
    if name not in only:
        continue
    figures = {m[0]: [] for m in modes}
    truthful = {m[0]: 0 for m in modes}
    for _ in range(runs):
        for label, check, extra in modes:
            p = start(setup, ["--ready", f"{service}={check(port)}"] + extra + [command])
            try:
                figures[label].append(ready_after(p, service))
                truthful[label] += answers(p, name)
            finally:
                stop(p)
    for label, xs in figures.items():
        print(f"{name:9} {label:10} median {statistics.median(xs):7.1f} ms  min {min(xs):7.1f}  max {max(xs):7.1f}  (n={len(xs)}); "
              f"its client answered at the first try right after: {truthful[label]}/{len(xs)}")
    n = statistics.median(figures["notify"])
    print(f"{name:9} tcp 100ms - notify: {statistics.median(figures['tcp 100ms']) - n:+.1f} ms; tcp 10ms - notify: {statistics.median(figures['tcp 10ms']) - n:+.1f} ms")

def switches(pid):
    """Context switches per thread (tid -> (name, count))."""
    counts = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue
        name = next(l.split(None, 1)[1] for l in lines if l.startswith("Name:"))
        counts[t] = (name, sum(int(l.split()[1]) for l in lines if l.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))))
    return counts

service, port, setup, command = daemons["redis"]
p = start(setup, ["--ready", f"{service}=notify", command])
try:
    ready_after(p, service)
    time.sleep(3)  # settle: the runtime's start-up work and Tend's idle trim are done
    kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
    tend_pid = int(kids[0])
    before = switches(tend_pid)
    time.sleep(idle)
    after = switches(tend_pid)
    woke = {t: (after[t][0], after[t][1] - before.get(t, (None, 0))[1]) for t in after}
    total = sum(n for _, n in woke.values())
    busy = ", ".join(f"{name} {n}" for name, n in woke.values() if n)
    print(f"# idle with notify on (redis ready by notify, notify socket and its thread live): {total} wake-ups of Tend's "
          f"{len(after)} threads in {idle:.0f} s{' (' + busy + ')' if busy else ''}")
finally:
    stop(p)
