#!/usr/bin/env bash
# Duplicate-finder benchmark: jdupes (Debian) and FileVault's duplicate search on the same tree, in one run.
#
#   bench/dedup.sh            200,000 files
#   bench/dedup.sh --small    20,000 files
#
# The tree comes from ../shared/bench/gen_corpus.py tree --content small (real bytes, files up to 16 KiB, plus exact
# copies of 1-256 KiB and decoys of the same size and first 4 KiB); generated once, then reused. FileVault scans it
# first (registering it as a root; not timed). Both tools run on a warm page cache: jdupes runs once unmeasured, then
# `jdupes -r -q` is timed (process wall time). FileVault's times are its duplicate search's own (FileVault.Web dedup,
# the code the dedup job runs), from start to the last hash stored; process start-up is not counted:
#   - dedup_s: first run, nothing stored yet (every candidate read; the stored hashes are emptied before each round),
#   - dedup_warm_s: second run, nothing changed (stored hashes reused while size, mtime, ctime and inode hold).
# The machine is shared, so each figure is the best of three rounds (jdupes's too).
# Prints exactly: jdupes_s, dedup_s, dedup_warm_s, dedup_ratio (dedup_s / jdupes_s), groups_jdupes, groups_fv.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=200000
[ "${1:-}" = "--small" ] && files=20000

data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
tree="$data/dedup-$files"
gen="${FILEVAULT_GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}"
say() { printf '[bench] %s\n' "$*" >&2; }

if ! command -v jdupes > /dev/null; then
  [ "$(id -u)" -eq 0 ] || { say "error: jdupes is missing; apt-get install jdupes and run again"; exit 1; }
  say "installing jdupes"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jdupes >&2
fi

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
database=filevault_bench_dedup
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"

if [ ! -f "$tree.complete" ]; then
  [ -f "$gen" ] || { say "error: $gen not found (set FILEVAULT_GEN_CORPUS)"; exit 1; }
  say "generating $files files in $tree (once)"
  rm -rf "$tree"
  mkdir -p "$data"
  python3 "$gen" tree "$tree" --files "$files" --content small >&2
  touch "$tree.complete"
fi

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
app="$repo/FileVault.Web/bin/Release/net10.0/FileVault.Web.dll"

psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >&2
rm -f "$tree/.filevault-root"
say "scanning the tree into a fresh catalog (not timed)"
dotnet "$app" scan --root "$tree" --kind full > /dev/null

field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
dedup() {
  local out
  out="$(dotnet "$app" dedup 2>/dev/null)" || { printf '%s\n' "$out" >&2; say "dedup failed"; exit 1; }
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  LAST_DEDUP="$out"
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
say "jdupes (once to warm the page cache, then best of 3)"
jdupes -r -q "$tree" > /dev/null
jdupes_s=""
for _ in 1 2 3; do
  start=$(date +%s.%N); jdupes -r -q "$tree" > "$data/dedup-jdupes.txt"; end=$(date +%s.%N)
  jdupes_s=$(min "$jdupes_s" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
done
# jdupes prints one paragraph (file names, then a blank line) per group.
groups_jdupes=$(awk 'BEGIN { RS = "" } END { print NR }' "$data/dedup-jdupes.txt")

dedup_s=""; dedup_warm_s=""; groups_fv=""
for round in 1 2 3; do
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -qc "TRUNCATE content_hashes" >&2
  say "FileVault round $round, first run (no stored hashes)"; dedup
  dedup_s=$(min "$dedup_s" "$(field "$LAST_DEDUP" dedup_s)")
  [ -z "$groups_fv" ] || [ "$(field "$LAST_DEDUP" groups)" = "$groups_fv" ] || { say "round $round found $(field "$LAST_DEDUP" groups) groups, not $groups_fv"; exit 1; }
  groups_fv=$(field "$LAST_DEDUP" groups)
  say "FileVault round $round, second run (nothing changed)"; dedup
  dedup_warm_s=$(min "$dedup_warm_s" "$(field "$LAST_DEDUP" dedup_s)")
  [ "$(field "$LAST_DEDUP" groups)" = "$groups_fv" ] || { say "a second run found $(field "$LAST_DEDUP" groups) groups, the first $groups_fv"; exit 1; }
  [ "$(field "$LAST_DEDUP" read)" = "0" ] || { say "a second run read $(field "$LAST_DEDUP" read) files again"; exit 1; }
done

echo "jdupes_s: $jdupes_s"
echo "dedup_s: $dedup_s"
echo "dedup_warm_s: $dedup_warm_s"
echo "dedup_ratio: $(awk -v a="$dedup_s" -v b="$jdupes_s" 'BEGIN { printf "%.2f", a / b }')"
echo "groups_jdupes: $groups_jdupes"
echo "groups_fv: $groups_fv"
