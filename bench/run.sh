#!/usr/bin/env bash
# The benchmark suite: installs the peers from Debian (supervisor, s6, runit, tini, dumb-init) and gcc for the
# dummy service, publishes Tend NativeAOT (as shipped in images), and measures them all in one run.
# Extra arguments go to the suite: --apache (needs apache2), --only tend,s6, --samples 30, --idle-seconds 30,
# --start-repeats 3. Writes bench/out/results.md and bench/out/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
need=()
for p in supervisor:supervisord s6:s6-svscan runit:runsvdir tini:tini dumb-init:dumb-init gcc:cc; do
  command -v "${p#*:}" >/dev/null 2>&1 || need+=("${p%%:*}")
done
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  # Keep apt from starting supervisord or runit on the host.
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
