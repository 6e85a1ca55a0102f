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
  export FileVault__Seed__StorageRoot="$(cd "$1" && pwd)"
else
  export FileVault__Seed__SampleRoot="${FILEVAULT_DATA_DIR:-$repo/.data}/sample"
fi

"$repo/scripts/ensure-dotnet.sh"
"$repo/scripts/services.sh" start
while IFS= read -r line; do export "$line"; done < <("$repo/scripts/services.sh" env)

export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5000}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
echo "[run] FileVault on $ASPNETCORE_URLS (Ctrl+C stops the app; scripts/services.sh stop stops PostgreSQL and Redis)" >&2
cd "$repo"
exec dotnet run --project FileVault.Web -c Release --no-launch-profile
