#!/usr/bin/env bash
# Duplicate-finder benchmark: jdupes (Debian) and FileVault's duplicate search on the same tree, in one run.
#
#   bench/dedup.sh            200,000 files
#   bench/dedup.sh --small    20,000 files
#
# The tree comes from ../shared/bench/gen_corpus.py tree --content small (real bytes, files up to 16 KiB, plus exact
# copies of 1-256 KiB and decoys of the same size and first 4 KiB); generated once, then reused. FileVault scans it
# first (registering it as a root; not timed). Both tools run on a warm page cache: jdupes runs once unmeasured, then
# `jdupes -r -q` is timed (process wall time, best of three; the machine is shared). FileVault's search runs as the
# app runs it, a dedup job in the jobs table taken by the job runner (`FileVault.Web dedup --rounds 3`, one process
# standing in for the server); its time is the job's own, started_at to finished_at in the ledger, so neither the
# runner's pickup nor how the command notices the end is counted (pickup is printed to stderr). Each of three
# rounds forgets the stored hashes, then searches twice:
#   - dedup_s: the first search, nothing stored (every candidate read), best of the rounds,
#   - dedup_warm_s: the second, nothing changed (stored hashes reused while size, mtime, ctime and inode hold).
# The first search of the process also pays for code compiled on first use; it is printed to stderr
# (dedup_first_in_process_s), not counted in the best-of.
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

say "FileVault: 3 rounds of a first search (no stored hashes) and a second (nothing changed), each a dedup job"
out="$(dotnet "$app" dedup --rounds 3)" || { say "dedup failed"; exit 1; }
printf '%s\n' "$out" | sed 's/^/    /' >&2
dedup_s=$(field "$out" dedup_s)
dedup_warm_s=$(field "$out" dedup_warm_s)
groups_fv=$(field "$out" groups)
[ "$(field "$out" warm_read)" = "0" ] || { say "a second search read $(field "$out" warm_read) files again"; exit 1; }

echo "jdupes_s: $jdupes_s"
echo "dedup_s: $dedup_s"
echo "dedup_warm_s: $dedup_warm_s"
echo "dedup_ratio: $(awk -v a="$dedup_s" -v b="$jdupes_s" 'BEGIN { printf "%.2f", a / b }')"
echo "groups_jdupes: $groups_jdupes"
echo "groups_fv: $groups_fv"
