#!/usr/bin/env bash
# Scanner benchmark: find's walk and FileVault's scans of the same tree, in one run.
#
#   bench/scan.sh            1,000,000 files (about 1.04M entries)
#   bench/scan.sh --small    100,000 files
#
# The tree comes from ../shared/bench/gen_corpus.py (deterministic; generated once, then reused). Both tools run
# on a warm page cache: find runs first, twice, and its second walk is the anchor. FileVault's times are the
# scanner's own (FileVault.Web scan, the same scanner the app runs), from its start to the merge's commit;
# process start-up and migrations are not counted. Prints `name: value` lines; `<key>_ratio` is key / find_walk_s.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=1000000
[ "${1:-}" = "--small" ] && files=100000

data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
tree="$data/tree-$files"
gen="${FILEVAULT_GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}"
say() { printf '[bench] %s\n' "$*" >&2; }

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
database=filevault_bench
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"

if [ ! -f "$tree/.complete" ]; then
  [ -f "$gen" ] || { say "error: $gen not found (set FILEVAULT_GEN_CORPUS)"; exit 1; }
  say "generating $files files in $tree (once)"
  rm -rf "$tree"
  mkdir -p "$data"
  python3 "$gen" tree "$tree" --files "$files" >&2
  touch "$tree/.complete"
fi

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
app="$repo/FileVault.Web/bin/Release/net10.0/FileVault.Web.dll"

psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >&2
rm -f "$tree/.filevault-root"

# One value from a scan's output.
field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
peak=0
scan() {
  local out
  out="$(dotnet "$app" scan --root "$tree" --kind "$1" 2>/dev/null)" || { printf '%s\n' "$out" >&2; say "scan failed"; exit 1; }
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  local rss; rss="$(field "$out" peak_rss_mb)"
  [ "${rss%.*}" -gt "$peak" ] && peak="${rss%.*}"
  LAST_SCAN="$out"
}

say "find walk"
find "$tree" -printf '%p %s %T@\n' > /dev/null
start=$(date +%s.%N); find "$tree" -printf '%p %s %T@\n' > /dev/null; end=$(date +%s.%N)
find_walk_s=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
entries=$(find "$tree" -mindepth 1 ! -name .complete | wc -l)

say "first full scan (empty catalog)"; scan full; first=$(field "$LAST_SCAN" scan_s)
say "full rescan, nothing changed"; scan full; rescan=$(field "$LAST_SCAN" scan_s)
say "incremental scan, nothing changed"; scan incremental; incremental=$(field "$LAST_SCAN" scan_s)

say "changing 1,000 files (rewritten via a temp file and rename, as editors and Office save)"
python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
files = []
for directory, _, names in os.walk(root):
    files.extend(os.path.join(directory, n) for n in names if not n.startswith(".filevault") and n != ".complete")
files.sort()
step = max(1, len(files) // 1000)
for path in files[::step][:1000]:
    tmp = path + ".fv-bench-tmp"
    with open(tmp, "wb") as f:
        f.write(b"changed by bench/scan.sh\n")
    os.replace(tmp, path)
PY
scan incremental; changed=$(field "$LAST_SCAN" scan_s); changed_updated=$(field "$LAST_SCAN" updated)

ratio() { awk -v a="$1" -v b="$find_walk_s" 'BEGIN { printf "%.2f", a / b }'; }
echo "entries: $entries"
printf 'find_walk_s: %.2f\n' "$find_walk_s"
echo "first_full_scan_s: $first"
echo "first_full_scan_s_ratio: $(ratio "$first")"
echo "rescan_nochange_s: $rescan"
echo "rescan_nochange_s_ratio: $(ratio "$rescan")"
echo "incremental_nochange_s: $incremental"
echo "incremental_nochange_s_ratio: $(ratio "$incremental")"
echo "incremental_1000_changed_s: $changed"
echo "incremental_1000_changed_s_ratio: $(ratio "$changed")"
echo "incremental_1000_changed_updated: $changed_updated"
echo "peak_rss_mb: $peak"
