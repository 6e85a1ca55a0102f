#!/usr/bin/env bash
# Browse benchmark: one folder with 100,000 children (--small: 10,000) on disk and in the catalog. In one run:
#   - `ls -f` of the folder (the anchor),
#   - FileVault's keyset browse query paging through all of it, by name and by size (sorted in memory), through the
#     app's own CatalogBrowser (FileVault.Web browse),
#   - the REST API's first page of the listing, timed by curl with a personal access token, on the app this script
#     starts (and stops) on a free loopback port,
#   - in Debian's Chromium (bench/BrowseProbe, Playwright), the time from navigation until the first rows are visible
#     and from a scroll to the end until the last row is visible. Targets: under 1,000 ms and under 2,000 ms.
# Warm cache: ls and curl run once unmeasured, then five times (the median counts); the browser opens the folder once
# unmeasured, then three times. Prints `name: value` lines; `api_first_page_ms_ratio` is api_first_page_ms / ls_ms.
#
#   bench/browse.sh [--small]
#
# The app signs in its first SuperAdmin FILEVAULT_ADMIN_EMAIL / FILEVAULT_ADMIN_PASSWORD (defaults below), created
# on the first start against the benchmark's own database (filevault_bench_browse).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
children=100000
[ "${1:-}" = "--small" ] && children=10000
data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
root="$data/browse-$children"
folder="큰 폴더"
say() { printf '[bench] %s\n' "$*" >&2; }

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=filevault_bench_browse"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"
export FILEVAULT_ADMIN_EMAIL="${FILEVAULT_ADMIN_EMAIL:-admin@filevault.local}"
export FILEVAULT_ADMIN_PASSWORD="${FILEVAULT_ADMIN_PASSWORD:-bench-browse-admin-pw}"

if [ ! -f "$root/.complete" ]; then
  say "creating $children files in $root/$folder (once)"
  rm -rf "$root"; mkdir -p "$root/$folder"
  python3 - "$root/$folder" "$children" <<'PY'
import os, sys
folder, count = sys.argv[1], int(sys.argv[2])
names = ["보고서", "견적서", "Report", "photo", "회의록", "data"]
exts = ["pdf", "xlsx", "txt", "jpg", "hwp", "csv"]
for i in range(count):
    if i % 50 == 0:
        os.mkdir(os.path.join(folder, f"폴더_{i:06d}"))
        continue
    path = os.path.join(folder, f"{names[i % 6]}_{i:06d}.{exts[(i // 6) % 6]}")
    with open(path, "wb") as f:
        f.write(b"x" * (i % 997))
PY
  touch "$root/.complete"
fi

say "building FileVault and bench/BrowseProbe (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$repo/bench/BrowseProbe" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
bin="$repo/FileVault.Web/bin/Release/net10.0"
app="$bin/FileVault.Web.dll"
dotnet "$app" scan --root "$root" --kind full >&2

field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "ls -f"
ls -f "$root/$folder" > /dev/null
ls_ms=$(for _ in 1 2 3 4 5; do
  start=$(date +%s%N); ls -f "$root/$folder" > /dev/null; end=$(date +%s%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print (b - a) / 1e6 }'
done | median)

say "browse query (FileVault.Web browse)"
by_name="$(dotnet "$app" browse --root "$root" --folder "$folder" --sort name)"
by_size="$(dotnet "$app" browse --root "$root" --folder "$folder" --sort size --desc)"
folder_id="$(field "$by_name" folder_id)"
root_id="$(field "$by_name" root_id)"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
work="$(mktemp -d -t fv-bench-browse.XXXXXX)"
say "starting the app on $url (log: $work/app.log)"
# Development, as scripts/run.sh: it serves the static assets of a build (not a publish). No scheduled scans mid-run.
(cd "$bin" && ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Development FileVault__Scanner__SchedulesEnabled=false \
  exec dotnet "$app" > "$work/app.log" 2>&1) &
app_pid=$!
# Stops the app; keeps its log when the run failed.
stop_app() {
  kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  if [ "$1" -eq 0 ]; then rm -rf "$work"; else say "app log kept: $work/app.log"; fi
}
trap 'stop_app $?' EXIT
for _ in $(seq 120); do
  curl -sf -o /dev/null "$url/health/ready" && break
  kill -0 "$app_pid" 2>/dev/null || { tail -n 30 "$work/app.log" >&2; say "the app stopped"; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$url/health/ready" || { say "the app was not ready within 120 s"; exit 1; }

say "API: personal access token for $FILEVAULT_ADMIN_EMAIL, then GET /api/v1/entries/$folder_id/children"
jwt="$(jq -n --arg e "$FILEVAULT_ADMIN_EMAIL" --arg p "$FILEVAULT_ADMIN_PASSWORD" '{email: $e, password: $p}' \
  | curl -sS -H 'Content-Type: application/json' --data @- "$url/api/v1/auth/token" | jq -r '.access_token // empty')"
[ -n "$jwt" ] || { say "sign-in as $FILEVAULT_ADMIN_EMAIL failed: set FILEVAULT_ADMIN_EMAIL/PASSWORD to the bench database's SuperAdmin, or drop filevault_bench_browse"; exit 1; }
curl -sS -o "$work/pat.json" -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json' \
  --data '{"name": "bench/browse.sh", "scope": "read", "expiresInDays": 1}' "$url/api/v1/me/tokens"
pat="$(jq -r '.secret // empty' "$work/pat.json")"
[ -n "$pat" ] || { say "could not create a personal access token: $(head -c 300 "$work/pat.json")"; exit 1; }
first_page() {
  curl -sS -o "$work/page.json" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $pat" \
    "$url/api/v1/entries/$folder_id/children?pageSize=200"
}
first_page > /dev/null
api_first_page_ms=$(for _ in 1 2 3 4 5; do
  read -r status seconds < <(first_page)
  [ "$status" = 200 ] || { say "the API answered $status: $(head -c 300 "$work/page.json")"; exit 1; }
  awk -v s="$seconds" 'BEGIN { print s * 1000 }'
done | median)
api_items=$(jq '.items | length' "$work/page.json")
curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $jwt" "$url/api/v1/me/tokens/$(jq -r '.token.id' "$work/pat.json")"

say "browser: first rows and scroll to the end, in Chromium"
path="$(jq -rn --arg p "$folder" '$p | @uri')"
ui="$(dotnet "$repo/bench/BrowseProbe/bin/Release/net10.0/BrowseProbe.dll" --url "$url" \
  --email "$FILEVAULT_ADMIN_EMAIL" --password "$FILEVAULT_ADMIN_PASSWORD" \
  --folder "/files/$root_id/$path" --children "$(field "$by_name" children)" --runs 3)"

ratio() { awk -v a="$1" -v b="$ls_ms" 'BEGIN { printf "%.2f", a / b }'; }
echo "children: $(field "$by_name" children)"
echo "ls_ms: $ls_ms"
for key in query_first_page_ms query_last_page_ms query_page_median_ms query_page_max_ms query_all_pages_ms; do
  echo "$key: $(field "$by_name" "$key")"
done
for key in query_first_page_ms query_last_page_ms query_page_max_ms; do
  echo "size_desc_$key: $(field "$by_size" "$key")"
done
echo "page_size: $(field "$by_name" page_size)"
echo "api_first_page_ms: $api_first_page_ms"
echo "api_first_page_ms_ratio: $(ratio "$api_first_page_ms")"
echo "api_first_page_items: $api_items"
for key in ui_runs ui_interactive_ms ui_first_rows_ms ui_scroll_end_ms; do
  echo "$key: $(field "$ui" "$key")"
done
