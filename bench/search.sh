#!/usr/bin/env bash
# Search benchmark: plocate and FileVault's search over the same tree, in one run.
#
#   bench/search.sh            1,000,000 files (about 1.04M entries) from ../shared/bench/gen_corpus.py tree
#   bench/search.sh --small    100,000 files
#
# In one run:
#   - find's walk of the tree (the scanner's anchor), then FileVault's first full scan of it into an empty catalog with
#     the search index in place (first_full_scan_s: the scan to its commit, the index's triggers included) and the
#     search index brought up to date after it (search_index_s, what the app's background indexer does next);
#   - plocate: updatedb over the tree, then each substring of the mix as its own process (plocate_p50_ms);
#   - GET /api/v1/search on the app this script starts, a fixed query mix, each query 1 + REPS times (the first not
#     counted), as the SuperAdmin and as a User with Read on 10 folders two levels down. Times are curl's time_total on
#     loopback. Prints `<role>_<class>_p95_ms` and `_p50_ms` per class and role, and the plan the engine chose.
#   - deep_page is page 101 of 보고서 (rows 5,000-5,049) as a reader reaches it: through the `next` cursor of page 100
#     (pages 1-100 walked once, untimed, to get it); for a reader with fewer pages, their last page
#     (`<role>_deep_page_number`). The same rows by offset, a jump, print apart as `<role>_deep_offset_p95_ms` (no
#     target: an offset reads every row before it), and `<role>_deep_page_same_rows` says whether both gave one page.
# Targets (issue 14): every class of 2+ characters p95 < 50 ms, 1 character < 150 ms, for both roles.
#
# FILEVAULT_BENCH_REUSE=1 keeps the catalog of the previous run (no find, scan or plocate; their keys print "skipped"):
# for trying a change to the engine on the same data in a minute rather than ten.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=1000000
[ "${1:-}" = "--small" ] && files=100000
reps="${FILEVAULT_BENCH_REPS:-20}"

data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
tree="$data/tree-$files"
gen="${FILEVAULT_GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}"
say() { printf '[bench] %s\n' "$*" >&2; }

for tool in plocate jq curl; do
  command -v "$tool" >/dev/null 2>&1 && continue
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $tool"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >&2
  else
    say "error: $tool is missing (apt-get install $tool)"; exit 1
  fi
done

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
database=filevault_bench_search
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"
export FILEVAULT_ADMIN_EMAIL="${FILEVAULT_ADMIN_EMAIL:-admin@filevault.local}"
export FILEVAULT_ADMIN_PASSWORD="${FILEVAULT_ADMIN_PASSWORD:-bench-search-admin-pw}"
psql_() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -X -qAt "$@"; }

if [ ! -f "$tree/.complete" ]; then
  [ -f "$gen" ] || { say "error: $gen not found (set FILEVAULT_GEN_CORPUS)"; exit 1; }
  say "generating $files files in $tree (once)"
  rm -rf "$tree"; mkdir -p "$data"
  python3 "$gen" tree "$tree" --files "$files" >&2
  touch "$tree/.complete"
fi

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
bin="$repo/FileVault.Web/bin/Release/net10.0"
app="$bin/FileVault.Web.dll"
work="$(mktemp -d -t fv-bench-search.XXXXXX)"
trap 'rm -rf "$work"' EXIT
field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p + 0.5) + 1; printf "%.1f", v[i] }'; }

reuse="${FILEVAULT_BENCH_REUSE:-0}"
if [ "$reuse" = 1 ] && [ "$(psql_ -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$database'")" = 1 ]; then
  say "reusing the catalog in $database"
  find_walk_s=skipped; scan=$'scan_s: skipped\nsearch_index_s: skipped'; plocate_p50_ms=skipped
  entries="$(psql_ -d "$database" -c "SELECT count(*) FROM entries WHERE state = 0")"
else
reuse=0
say "find walk (warm)"
find "$tree" -printf '%p %s %T@\n' > /dev/null
start=$(date +%s.%N); find "$tree" -printf '%p %s %T@\n' > /dev/null; end=$(date +%s.%N)
find_walk_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')

say "first full scan into an empty catalog"
psql_ -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >&2
rm -f "$tree/.filevault-root"
scan="$(dotnet "$app" scan --root "$tree" --kind full 2>/dev/null)" || { printf '%s\n' "$scan" >&2; say "scan failed"; exit 1; }
printf '%s\n' "$scan" | sed 's/^/    /' >&2
entries="$(field "$scan" seen)"

say "plocate: updatedb over the tree, then each substring"
updatedb_bin="$(command -v updatedb.plocate || command -v updatedb)"
"$updatedb_bin" -l 0 -U "$tree" -o "$work/plocate.db" >&2
substrings=(report 견 회의 보고서 953209 zqxjvk)
plocate_times=()
for s in "${substrings[@]}"; do
  # plocate exits 1 when nothing matches.
  plocate -d "$work/plocate.db" -c "$s" > /dev/null || true
  for _ in $(seq 5); do
    start=$(date +%s%N); plocate -d "$work/plocate.db" -c "$s" > /dev/null || true; end=$(date +%s%N)
    plocate_times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a) / 1e6 }')")
  done
done
plocate_p50_ms="$(printf '%s\n' "${plocate_times[@]}" | percentile 0.5)"
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
say "starting the app on $url (log: $work/app.log)"
# The job runner is off: the first scan queues a thumbnail job per image (27,113 at 1M files), and making them while the
# queries are timed put SkiaSharp on one of two cores and a 25-38 ms queue poll before every job, which is what a p95 then
# measured. The search index has its own worker (SearchIndexWorker), which stays on.
(cd "$bin" && ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Development FileVault__Scanner__SchedulesEnabled=false \
  FileVault__Jobs__RunnerEnabled=false \
  exec dotnet "$app" > "$work/app.log" 2>&1) &
app_pid=$!
stop_app() {
  kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  if [ "$1" -eq 0 ]; then rm -rf "$work"; else say "kept: $work"; fi
}
trap 'stop_app $?' EXIT
for _ in $(seq 120); do
  curl -sf -o /dev/null "$url/health/ready" && break
  kill -0 "$app_pid" 2>/dev/null || { tail -n 30 "$work/app.log" >&2; say "the app stopped"; exit 1; }
  sleep 1
done

# A migration may have queued every entry again (new tokens): the app's indexer rebuilds the index; measure after it.
for _ in $(seq 600); do
  [ "$(psql_ -d "$database" -c "SELECT count(*) FROM (SELECT 1 FROM search_outbox LIMIT 1) q")" = 0 ] && break
  sleep 1
done

token() {
  jq -n --arg e "$1" --arg p "$2" '{email: $e, password: $p}' \
    | curl -sS -H 'Content-Type: application/json' --data @- "$url/api/v1/auth/token" | jq -r '.access_token // empty'
}
admin="$(token "$FILEVAULT_ADMIN_EMAIL" "$FILEVAULT_ADMIN_PASSWORD")"
[ -n "$admin" ] || { say "sign-in as $FILEVAULT_ADMIN_EMAIL failed"; exit 1; }

say "a User with Read on 10 folders two levels down"
user_email="searcher@filevault.local"; user_password="bench-search-user-pw-1"
user_id=""
[ "$reuse" = 1 ] && user_id="$(psql_ -d "$database" -c "SELECT id FROM users WHERE normalized_email = upper('$user_email')")"
[ -n "$user_id" ] || user_id="$(jq -n --arg e "$user_email" --arg p "$user_password" '{email: $e, displayName: "Searcher", password: $p, roles: ["User"]}' \
  | curl -sS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' --data @- "$url/api/v1/admin/users" | jq -r '.user.id // .id // empty')"
[ -n "$user_id" ] || { say "could not create the User"; exit 1; }
root_id="$(psql_ -d "$database" -c "SELECT id FROM storage_roots ORDER BY id LIMIT 1")"
granted="$(psql_ -d "$database" -c "SELECT count(*) FROM folder_grants WHERE user_id = '$user_id'")"
if [ "$granted" -eq 0 ]; then
  while IFS= read -r folder; do
    jq -n --argjson r "$root_id" --arg p "$folder" --arg u "$user_id" \
      '{rootId: $r, relativePath: $p, userId: $u, groupId: null, permissions: "Read", effect: "Allow"}' \
      | curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        --data @- "$url/api/v1/admin/grants" | grep -q '^20' && granted=$((granted + 1))
  done < <(psql_ -d "$database" -c "
    SELECT relative_path FROM entries
    WHERE root_id = $root_id AND kind = 0 AND state = 0 AND relative_path ~ '^[^/]+/[^/]+$'
    ORDER BY md5(relative_path) LIMIT 10")
fi
# The User's folder scope: the first of its granted folders.
user_scope="$(psql_ -d "$database" -c "
  SELECT e.id FROM folder_grants g JOIN entries e ON e.root_id = g.root_id AND e.relative_path = g.relative_path
  WHERE g.user_id = '$user_id' ORDER BY md5(g.relative_path) LIMIT 1")"
[ "$granted" -eq 10 ] || { say "only $granted of 10 grants were made"; exit 1; }
user="$(token "$user_email" "$user_password")"
readable="$(psql_ -d "$database" -c "
  SELECT count(*) FROM entries e WHERE e.state = 0 AND EXISTS (
    SELECT 1 FROM folder_grants g WHERE g.user_id = '$user_id' AND g.root_id = e.root_id
      AND (e.relative_path = g.relative_path OR (e.relative_path > g.relative_path || '/' AND e.relative_path < g.relative_path || '0')))")"

say "waiting for the search index to catch up"
for _ in $(seq 600); do
  [ "$(psql_ -d "$database" -c "SELECT count(*) FROM search_outbox")" = 0 ] && break
  sleep 1
done

rare="$(psql_ -d "$database" -c "SELECT substring(name_key from '_([0-9]{5,6})[^_]*\$') FROM entries WHERE kind = 1 AND name_key ~ '_[0-9]{6}\\.' ORDER BY id LIMIT 1 OFFSET 4242")"
scope="$(psql_ -d "$database" -c "SELECT id FROM entries WHERE root_id = $root_id AND kind = 0 AND relative_path ~ '^[^/]+\$' ORDER BY md5(relative_path) LIMIT 1")"
declare -A mix=(
  [ascii]="q=report"
  [ko1]="q=%EA%B2%AC"
  [ko2]="q=%ED%9A%8C%EC%9D%98"
  [ko3]="q=%EB%B3%B4%EA%B3%A0%EC%84%9C"
  [two_words]="q=%ED%9A%8C%EC%9D%98%EB%A1%9D%20final"
  [rare]="q=$rare"
  [nothing]="q=zqxjvk"
  [chosung]="q=%E3%85%8E%E3%85%87%E3%84%B9"
  [filters]="q=%EB%B3%B4%EA%B3%A0%EC%84%9C&ext=pdf&minSize=1000&maxSize=100000000&modifiedFrom=2020-01-01"
  [type]="type=images"
  [folder]="q=%EB%B3%B4%EA%B3%A0%EC%84%9C&folder=SCOPE"
  [sort_size]="q=%ED%9A%8C%EC%9D%98&sort=size&desc=true"
  [deep_page]="q=%EB%B3%B4%EA%B3%A0%EC%84%9C"
)
deep_offset=5000
classes=(ascii ko1 ko2 ko3 two_words rare nothing chosung filters type folder sort_size deep_page)

# time_query ROLE KEY BEARER QUERY: the query once untimed, then REPS times; prints KEY's p50, p95, total and plan.
time_query() {
  local role="$1" key="$2" bearer="$3" query="$4" status seconds times
  curl -sS -o "$work/$role-$key.json" -H "Authorization: Bearer $bearer" "$url/api/v1/search?$query"
  times=()
  for _ in $(seq "$reps"); do
    read -r status seconds < <(curl -sS -o "$work/$role-$key.json" -w '%{http_code} %{time_total}\n' \
      -H "Authorization: Bearer $bearer" "$url/api/v1/search?$query")
    [ "$status" = 200 ] || { say "$role $key: HTTP $status $(head -c 300 "$work/$role-$key.json")"; exit 1; }
    times+=("$(awk -v s="$seconds" 'BEGIN { print s * 1000 }')")
  done
  echo "${role}_${key}_p50_ms: $(printf '%s\n' "${times[@]}" | percentile 0.5)"
  echo "${role}_${key}_p95_ms: $(printf '%s\n' "${times[@]}" | percentile 0.95)"
  echo "${role}_${key}_total: $(jq -r '"\(.total)\(if .totalIsCapped then "+" else "" end) plan=\(.plan)"' "$work/$role-$key.json")"
}

# after_page BEARER QUERY PAGE: "N query-with-cursor" for page N = PAGE, or the last page when there are fewer (pages
# 1..N-1 followed by their `next` cursor).
after_page() {
  local bearer="$1" query="$2" page="$3" next="" cursor="" n=1
  while [ "$n" -lt "$page" ]; do
    next="$(curl -sS -H "Authorization: Bearer $bearer" "$url/api/v1/search?$query${cursor:+&after=$cursor}" | jq -r '.next // empty')"
    [ -n "$next" ] || break
    cursor="$next"; n=$((n + 1))
  done
  printf '%s %s%s' "$n" "$query" "${cursor:+&after=$cursor}"
}

run_mix() {
  # The folder scope is a department for the SuperAdmin, one of its granted folders for the User.
  local role="$1" bearer="$2" scope_id="$3" class query same deep
  for class in "${classes[@]}"; do
    query="${mix[$class]/SCOPE/$scope_id}"
    if [ "$class" = deep_page ]; then
      # Page 101 (rows 5,000-5,049), or the last page for a reader with fewer matches: by cursor, then the same rows by offset.
      deep="$(after_page "$bearer" "$query" $((deep_offset / 50 + 1)))" || exit 1
      time_query "$role" deep_page "$bearer" "${deep#* }"
      time_query "$role" deep_offset "$bearer" "$query&offset=$(( (${deep%% *} - 1) * 50 ))"
      same="$(cmp -s <(jq -c '[.items[].id]' "$work/$role-deep_page.json") <(jq -c '[.items[].id]' "$work/$role-deep_offset.json") && echo yes || echo no)"
      echo "${role}_deep_page_number: ${deep%% *}"
      echo "${role}_deep_page_same_rows: $same"
    else
      time_query "$role" "$class" "$bearer" "$query"
    fi
  done
}

# Fresh 15-minute tokens: the index wait above may have taken a while.
admin="$(token "$FILEVAULT_ADMIN_EMAIL" "$FILEVAULT_ADMIN_PASSWORD")"
user="$(token "$user_email" "$user_password")"
say "query mix as the SuperAdmin and as the User ($reps repetitions each)"
admin_lines="$(run_mix admin "$admin" "$scope")"
user_lines="$(run_mix user "$user" "$user_scope")"

echo "entries: $entries"
echo "user_readable_entries: $readable"
echo "find_walk_s: $find_walk_s"
echo "first_full_scan_s: $(field "$scan" scan_s)"
echo "first_full_scan_ratio: $(awk -v a="$(field "$scan" scan_s)" -v b="$find_walk_s" 'BEGIN { printf "%.2f", a / b }')"
echo "search_index_s: $(field "$scan" search_index_s)"
echo "plocate_p50_ms: $plocate_p50_ms"
printf '%s\n' "$admin_lines" "$user_lines"
# The offset jump has no target (it is there to say what a jump costs).
worst="$(printf '%s\n' "$admin_lines" "$user_lines" | awk -F': ' '/_p95_ms/ && !/_deep_offset_/ { if ($2 > m) m = $2 } END { print m }')"
echo "worst_p95_ms: $worst"
echo "worst_p95_vs_plocate_p50: $(awk -v a="$worst" -v b="$plocate_p50_ms" 'BEGIN { printf "%.2f", a / b }')"
