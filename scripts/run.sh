#!/usr/bin/env bash
# Starts PostgreSQL and Redis, then serves FileVault on http://127.0.0.1:5000 (ASPNETCORE_URLS overrides).
# On start the app migrates the database and seeds the roles, the first SuperAdmin and a storage root:
#   scripts/run.sh         a sample file server with a few hundred files (Korean names among them) in .data/sample
#   scripts/run.sh DIR     registers DIR (an existing directory, e.g. the mounted file server) as the storage root
# The first SuperAdmin is FILEVAULT_ADMIN_EMAIL (default admin@filevault.local) with FILEVAULT_ADMIN_PASSWORD;
# without a password one is generated and printed once, on the first start.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ $# -gt 1 ]; then echo "usage: $0 [DIR]" >&2; exit 2; fi
if [ $# -eq 1 ]; then
  [ -d "$1" ] || { echo "error: $1 is not a directory" >&2; exit 2; }
  FileVault__Seed__StorageRoot="$(cd "$1" && pwd)"
  export FileVault__Seed__StorageRoot
else
  export FileVault__Seed__SampleRoot="${FILEVAULT_DATA_DIR:-$repo/.data}/sample"
fi

"$repo/scripts/ensure-dotnet.sh"
# The build restores the browser libraries (tus-js-client, @noble/hashes) with npm from FileVault.Web/package-lock.json.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: npm is missing; install nodejs and npm (apt-get install nodejs npm) and run again" >&2
    exit 1
  fi
  echo "[run] installing nodejs npm (apt-get)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi
"$repo/scripts/services.sh" start
while IFS= read -r line; do export "${line?}"; done < <("$repo/scripts/services.sh" env)

export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5000}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
echo "[run] FileVault on $ASPNETCORE_URLS (Ctrl+C stops the app; scripts/services.sh stop stops PostgreSQL and Redis)" >&2
cd "$repo"
exec dotnet run --project FileVault.Web -c Release --no-launch-profile
