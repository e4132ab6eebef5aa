#!/usr/bin/env bash
# The benchmark suite: installs the peers from Debian (supervisor, s6, runit, tini, dumb-init) and gcc for the
# dummy service, publishes Tend NativeAOT (as shipped in images), and measures them all in one run.
# Extra arguments go to the suite: --only tend,s6, --samples 30, --idle-seconds 30, --start-repeats 3, and
#   --daemons            services that daemonize: 50 dummies each started by a launcher that double-forks and exits 0
#                        (exec → all 50 daemons running; Tend's `daemonized` events), and kill -9 of the main daemon →
#                        new main process → answers HTTP on 127.0.0.1, n=10, for apache2 via `service apache2 start`,
#                        nginx as plain `nginx` and via `service nginx start` (Tend as PID 1 of a PID + mount namespace,
#                        private tmpfs /run and log directory, config copies bind-mounted; installs apache2 and nginx)
#   --apache             --daemons plus the older `/etc/init.d/apache2 start` restart rows: the full suite
#   --rows standard,schedule,relay,logs,liveness,http,daemonize,apache,nginx,apache-initd   only these groups of rows (quick runs), --daemon-samples 10
#                        (schedule: idle wake-ups between the due times of a task due every minute, and PSS with and without it)
#   relay (default)      relaying 200 MB of 100-byte lines from 1 and from 10 services: tend (raw, log buffer on),
#                        tend --log-prefix (buffer on, and off) against cat,
#                        supervisord (stdout_logfile=/dev/stdout), s6-log and sed -u; --relay-samples 3
#   liveness (default)   idle CPU and wake-ups, and PSS, at N=50 services each with a 1 s TCP liveness check
#   http (default)       Tend's --http endpoint at N=50: one /metrics scrape (µs), CPU per HTTP probe against an exec
#                        `tend health` probe, PSS and idle wake-ups with the endpoint on and off
#   logs (default)       PSS at N=50 with the log rings off, on but quiet, and full (each service wrote 1 MB) at 64 KiB and 100 KiB
# Writes bench/out/results.md and bench/out/results.json. Quick run of the daemon rows only:
#   bash bench/run.sh --rows daemonize,apache,nginx --only tend
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
need=()
for p in supervisor:supervisord s6:s6-svscan runit:runsvdir tini:tini dumb-init:dumb-init gcc:cc; do
  command -v "${p#*:}" >/dev/null 2>&1 || need+=("${p%%:*}")
done
case " $* " in
  *" --apache "*|*" --daemons "*|*" --rows "*apache*|*" --rows "*nginx*)
    # apt starts neither on the host: policy-rc.d below (the suite runs them only in private namespaces).
    for p in apache2:apache2ctl nginx:nginx; do command -v "${p#*:}" >/dev/null 2>&1 || [ -x "/usr/sbin/${p#*:}" ] || need+=("${p%%:*}"); done ;;
esac
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  # Keep apt from starting supervisord, runit, apache2 or nginx on the host.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
out=bench/out
mkdir -p "$out"
dotnet publish samples/AdHoc -c Release -o "$out/tend" -v quiet -nologo | grep -E "error|warn" || true
dotnet build bench/Tend.Bench -c Release -o "$out/suite" -v quiet -nologo | grep -E "error|warn" || true
"$out/suite/Tend.Bench" --tend "$PWD/$out/tend/tend" --json "$out/results.json" --markdown "$out/results.md" "$@"
echo
echo "Generator and binder:"
dotnet run -c Release --project bench/Generator.Bench -v quiet -nologo
