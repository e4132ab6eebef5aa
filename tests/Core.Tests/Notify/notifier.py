#!/usr/bin/python3
"""A service that speaks sd_notify(3) by hand, for Tend's notify tests (no libsystemd: the protocol is one datagram).

Usage: notifier.py [--ready] [--status TEXT] [--watchdog] [--mainpid [--linger SECONDS]] [--reload-on-hup] [--flood RATE SECONDS]
                   [--garbage] [--sleep SECONDS] [--delay SECONDS]
--ready: send READY=1 (after --status, if given); --watchdog: WATCHDOG=1 every WATCHDOG_USEC/4 (each said on stdout);
--mainpid: fork, the child sends MAINPID=<its pid> and READY=1 and carries on, the parent waits for it
(--linger SECONDS: and then stays that long before it exits);
--reload-on-hup: on SIGHUP send RELOADING=1, then READY=1; --trigger-on-usr1: on SIGUSR1 send WATCHDOG=trigger; --flood: RATE datagrams/s of WATCHDOG=1 for SECONDS;
--garbage: during the flood, every tenth datagram is malformed and every hundredth 64 KiB;
--extend-on-term SECONDS: on SIGTERM send STOPPING=1 and EXTEND_TIMEOUT_USEC=SECONDS, say "extending" on stdout, take a
third of that to stop, then exit 0 (a daemon flushing its buffers: mariadbd's buffer pool dump).
Prints "notifier PID" first (stdout) so the test knows it.
"""
import os, signal, socket, sys, time

args = sys.argv[1:]
def flag(name):
    return name in args
def value(name, n=1):
    i = args.index(name)
    return args[i + 1:i + 1 + n]

addr = os.environ.get("NOTIFY_SOCKET", "")
if addr.startswith("@"):
    addr = "\0" + addr[1:]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

def send(text):
    data = text.encode() if isinstance(text, str) else text
    try:
        sock.sendto(data, addr)
    except (BlockingIOError, ConnectionRefusedError, OSError):
        pass

if flag("--mainpid"):
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        if flag("--linger"):
            time.sleep(float(value("--linger")[0]))  # the child is gone, the parent still runs
        sys.exit(0)
    send("MAINPID=%d" % os.getpid())

print("notifier %d" % os.getpid(), flush=True)
if flag("--reload-on-hup"):
    def hup(*_):
        send("RELOADING=1")
        send("READY=1\nSTATUS=reloaded")
    signal.signal(signal.SIGHUP, hup)
if flag("--trigger-on-usr1"):
    signal.signal(signal.SIGUSR1, lambda *_: send("WATCHDOG=trigger"))
if flag("--extend-on-term"):
    extend = float(value("--extend-on-term")[0])
    def term(*_):
        send("STOPPING=1\nEXTEND_TIMEOUT_USEC=%d" % int(extend * 1e6))
        print("extending", flush=True)
        time.sleep(extend / 3)
        sys.exit(0)
    signal.signal(signal.SIGTERM, term)
if flag("--delay"):
    time.sleep(float(value("--delay")[0]))
if flag("--status"):
    send("STATUS=" + value("--status")[0])
if flag("--ready"):
    send("READY=1")

usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
if flag("--flood"):
    rate, seconds = (float(x) for x in value("--flood", 2))
    n = 0
    start = time.monotonic()
    big = b"STATUS=" + b"x" * 65536
    while time.monotonic() - start < seconds:
        n += 1
        if flag("--garbage") and n % 100 == 0:
            send(big)
        elif flag("--garbage") and n % 10 == 0:
            send(bytes([n % 256]) * 50 + b"\nREADY=yes\n=\n\xff\xfe")
        else:
            send("WATCHDOG=1")
        ahead = n / rate - (time.monotonic() - start)
        if ahead > 0.001:
            time.sleep(ahead)
    print("flood sent %d" % n, flush=True)

end = time.monotonic() + float(value("--sleep")[0]) if flag("--sleep") else None
pings = 0
while end is None or time.monotonic() < end:
    if flag("--watchdog") and usec > 0:
        send("WATCHDOG=1")
        pings += 1
        print("watchdog ping %d" % pings, flush=True)  # for a test to count them
        time.sleep(usec / 4e6)
    else:
        time.sleep(3600 if end is None else max(0, min(3600, end - time.monotonic())))
