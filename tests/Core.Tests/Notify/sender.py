#!/usr/bin/python3
"""Sends one sd_notify datagram (its arguments, one assignment a line) to $NOTIFY_SOCKET and exits at once: the short-lived
sender of shell scripts (systemd-notify, a python one-liner). With --fd first: the datagram also carries a pipe's write
end (SCM_RIGHTS, as systemd-notify's BARRIER=1 does); the sender closes its own copy and waits (10 s at most) for the
pipe's end of file, which comes only when the receiver closed the descriptor it got; then sends STATUS=barrier-passed.
"""
import os, select, socket, struct, sys

args = sys.argv[1:]
fd = args[:1] == ["--fd"]
if fd:
    args = args[1:]
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
data = "\n".join(args).encode()
if not fd:
    s.sendto(data, addr)
    sys.exit(0)
r, w = os.pipe()
s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", w))], 0, addr)
os.close(w)
ready, _, _ = select.select([r], [], [], 10)
if ready and os.read(r, 1) == b"":
    s.sendto(b"STATUS=barrier-passed", addr)
else:
    s.sendto(b"STATUS=barrier-timed-out", addr)
