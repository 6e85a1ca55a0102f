#!/usr/bin/env bash
# Browse benchmark, catalog side: one folder with 100,000 children (--small: 10,000) on disk and in the catalog.
# In one run: `ls -f` of the folder, and FileVault's keyset browse query paging through all of it (by name, and by
# size, which sorts in memory), through the app's own CatalogBrowser (FileVault.Web browse). Prints `name: value`.
# The API and browser figures of the browse issue (api_first_page_ms, ui_first_rows_ms, ui_scroll_end_ms) come
# with the file browser; this script measures what exists now.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
children=100000
[ "${1:-}" = "--small" ] && children=10000
data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
root="$data/browse-$children"
say() { printf '[bench] %s\n' "$*" >&2; }

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=filevault_bench_browse"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"

if [ ! -f "$root/.complete" ]; then
  say "creating $children files in $root/큰 폴더 (once)"
  rm -rf "$root"; mkdir -p "$root/큰 폴더"
  python3 - "$root/큰 폴더" "$children" <<'PY'
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

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
app="$repo/FileVault.Web/bin/Release/net10.0/FileVault.Web.dll"
dotnet "$app" scan --root "$root" --kind full >&2

ls -f "$root/큰 폴더" > /dev/null
start=$(date +%s%N); ls -f "$root/큰 폴더" > /dev/null; end=$(date +%s%N)
ls_ms=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')

by_name="$(dotnet "$app" browse --root "$root" --folder "큰 폴더" --sort name)"
by_size="$(dotnet "$app" browse --root "$root" --folder "큰 폴더" --sort size --desc)"
field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
echo "children: $(field "$by_name" children)"
echo "ls_ms: $ls_ms"
for key in query_first_page_ms query_last_page_ms query_page_median_ms query_page_max_ms query_all_pages_ms; do
  echo "$key: $(field "$by_name" "$key")"
done
for key in query_first_page_ms query_last_page_ms query_page_max_ms; do
  echo "size_desc_$key: $(field "$by_size" "$key")"
done
echo "page_size: $(field "$by_name" page_size)"
