#!/usr/bin/env bash
# Publishes Tend NativeAOT (as shipped in images) and runs the benchmark suite. Extra arguments go to the suite,
# e.g. --apache (needs apache2 installed), --samples 30, --idle-seconds 10.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=bench/out
dotnet publish samples/AdHoc -c Release -o "$out/tend"  -v quiet -nologo | grep -E "error|warn" || true
dotnet build bench/Tend.Bench -c Release -o "$out/suite"  -v quiet -nologo | grep -E "error|warn" || true
"$out/suite/Tend.Bench" --tend "$PWD/$out/tend/tend" --json "$out/results.json" "$@"
echo
echo "Generator and binder:"
dotnet run -c Release --project bench/Generator.Bench -v quiet -nologo
