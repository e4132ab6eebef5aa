#!/usr/bin/env bash
# Packs Tend and Tend.Templates into artifacts/packages/ (they are not on nuget.org yet) and prints what to run next.
# The template carries the Tend package packed with it, so a project made from it restores Tend from its own folder.
# Usage: bash scripts/pack.sh [VERSION]      (default: the repository's version, Directory.Build.props)
# NuGet caches a package version once (~/.nuget/packages): to try changed sources in a new project, pack a new VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out=artifacts/packages
version=()
if [ $# -gt 0 ]; then version=("-p:Version=$1"); fi
# One version in the folder, so `artifacts/packages/Tend.Templates.*.nupkg` names one file.
rm -f "$out"/Tend.*.nupkg "$out"/Tend.Templates.*.nupkg
dotnet pack src/Core/Tend.csproj -c Release -o "$out" -nologo -v quiet "${version[@]}"
dotnet pack src/Templates/Tend.Templates.csproj -c Release -o "$out" -nologo -v quiet "${version[@]}"
template=$(ls "$out"/Tend.Templates.*.nupkg)
cat <<NEXT

Packed: $(cd "$out" && ls Tend.*.nupkg | tr '\n' ' ')(in $out/)
Next, a new image (made beside this clone: inside it, the repository's build settings would apply):
  dotnet new install $template
  cd .. && dotnet new tend -n MyImage
  cd MyImage && dotnet build
  docker build -t myimage .
  docker run --rm myimage
NEXT
