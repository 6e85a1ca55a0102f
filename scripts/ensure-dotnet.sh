#!/usr/bin/env bash
# Checks that the .NET SDK global.json asks for is on PATH; says how to get it when it is not.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v dotnet >/dev/null 2>&1; then
  cat >&2 <<'MSG'
error: the .NET 10 SDK is not installed (no 'dotnet' on PATH).
Install it from Microsoft's Debian package feed or with dotnet-install.sh, then run this command again:
  https://learn.microsoft.com/dotnet/core/install/linux-debian
MSG
  exit 1
fi
if ! (cd "$repo" && dotnet --version >/dev/null 2>&1); then
  echo "error: no .NET SDK matching global.json (10.0.x) is installed; 'dotnet --list-sdks' shows what is." >&2
  exit 1
fi
