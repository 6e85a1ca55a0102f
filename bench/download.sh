#!/usr/bin/env bash
# Download benchmark: FileVault's downloads against what the same machine does without it, in one run, on about
# 1,024 MiB of mixed files (--small: 128 MiB) from ../shared/bench/gen_corpus.py mixed, in one folder tree:
#   - one file, the corpus's largest, fetched by curl from three places, interleaved round by round:
#       nginx_static  the repository's nginx.conf serving it as a plain static file (the anchor): a location
#                     /_bench_static/ aliased to the corpus folder, added only to this script's rendered copy,
#       app_direct    the app's own port, GET /api/v1/entries/{id}/content with a personal access token: the app
#                     checks and streams the bytes,
#       app_accel     the same request through that nginx to an app with FileVault:Downloads:AccelRedirectRoot set
#                     to the storage root: the app checks and answers X-Accel-Redirect, nginx sends the bytes;
#   - the whole corpus folder as a ZIP: `zip -r -q -1` (the anchor; it deflates everything, also the videos and photos
#     the app stores) against POST /api/v1/downloads/zip with the folder's id on the app's own port, written to a file
#     by curl and checked with `unzip -tq`.
# Two app processes run side by side, one per mode, against the same bench database: one without AccelRedirectRoot
# (it always streams), one with it behind nginx (nginx marks its requests with X-FileVault-Accel, and only those are
# answered with X-Accel-Redirect). Both running at once lets every round measure all three single-file paths under
# the same load of this shared machine.
# Warm cache: each measurement runs once unmeasured, then five times (the median counts). Speeds are curl's
# %{speed_download} in MB/s (10^6 bytes per second); sizes in MiB. Prints `name: value` lines; `<key>_ratio` is the
# app's figure over its anchor's (for speeds above 1 is faster than the anchor, for zip_ratio below 1 is).
#
#   bench/download.sh [--small]
#
# The app signs in its first SuperAdmin FILEVAULT_ADMIN_EMAIL / FILEVAULT_ADMIN_PASSWORD (defaults below), created
# on the first start against the benchmark's own database (filevault_bench_download). Needs nginx, zip, unzip, jq.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mib=1024
[ "${1:-}" = "--small" ] && mib=128
data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
gen="${FILEVAULT_GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}"
nginx_bin="${FILEVAULT_NGINX:-/usr/sbin/nginx}"
# The storage root FileVault catalogs; the corpus is one folder in it, since a root cannot be downloaded whole.
root="$data/download-$mib"
folder="공용 자료"
corpus="$root/$folder"
say() { printf '[bench] %s\n' "$*" >&2; }

for tool in "$nginx_bin" zip unzip jq curl; do
  command -v "$tool" > /dev/null || { say "error: $tool not found"; exit 1; }
done

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=filevault_bench_download"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"
export FILEVAULT_ADMIN_EMAIL="${FILEVAULT_ADMIN_EMAIL:-admin@filevault.local}"
export FILEVAULT_ADMIN_PASSWORD="${FILEVAULT_ADMIN_PASSWORD:-bench-download-admin-pw}"

if [ ! -f "$root/.complete" ]; then
  [ -f "$gen" ] || { say "error: $gen not found (set FILEVAULT_GEN_CORPUS)"; exit 1; }
  say "generating $mib MiB of mixed files in $corpus (once)"
  rm -rf "$root"; mkdir -p "$root"
  python3 "$gen" mixed "$corpus" --mib "$mib" >&2
  touch "$root/.complete"
fi

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
bin="$repo/FileVault.Web/bin/Release/net10.0"
app="$bin/FileVault.Web.dll"
dotnet "$app" scan --root "$root" --kind full >&2

field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
# The median of the numbers on stdin, printed with the format $1.
median() { sort -g | awk -v f="$1" '{ v[NR] = $1 } END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf f, a / b }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A path's names percent-encoded one by one, for a URL.
url_path() { jq -rn --arg p "$1" '$p | split("/") | map(@uri) | join("/")'; }

# The largest file, and its entry id: the first child of its folder by size (the corpus's folders hold files only).
read -r file_bytes file_rel < <(cd "$corpus" && find . -type f -printf '%s %P\n' | sort -k1,1nr | head -n 1)
file_dir="${file_rel%/*}"
corpus_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
say "largest file: $file_rel ($file_bytes bytes)"
folder_id="$(field "$(dotnet "$app" browse --root "$root" --folder "$folder")" folder_id)"
file_folder_id="$(field "$(dotnet "$app" browse --root "$root" --folder "$folder/$file_dir")" folder_id)"

work="$(mktemp -d -t fv-bench-download.XXXXXX)"
pids=()
# Stops nginx and the apps; keeps their logs when the run failed.
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ "$1" -eq 0 ]; then rm -rf "$work"; else say "logs kept: $work/*.log"; fi
}
trap 'cleanup $?' EXIT

# start_app NAME [VAR=VALUE...]: the app on a free loopback port, ready; sets $url.
start_app() {
  local name="$1" port pid; shift
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  say "starting the app ($name) on $url (log: $work/$name.log)"
  # Development, as scripts/run.sh and bench/browse.sh. No scheduled scans mid-run.
  (cd "$bin" && exec env "$@" ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Development FileVault__Scanner__SchedulesEnabled=false \
    dotnet "$app" > "$work/$name.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 120); do
    curl -sf -o /dev/null "$url/health/ready" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$work/$name.log" >&2; say "the app stopped"; exit 1; }
    sleep 1
  done
  say "the app was not ready within 120 s"; exit 1
}
start_app direct FileVault__Downloads__AccelRedirectRoot=
direct_url="$url"
start_app accel FileVault__Downloads__AccelRedirectRoot="$root"
accel_url="$url"

# The repository's nginx.conf in front of the accel app, rendered as FileVault.Tests/Infrastructure/NginxProxy.cs does
# (each rewritten line must appear exactly once), plus the bench's static location for the anchor.
nginx_port="$(free_port)"
nginx_url="http://127.0.0.1:$nginx_port"
mkdir -p "$work/nginx"
python3 - "$repo/nginx.conf" "$work/nginx" "$nginx_port" "${accel_url##*:}" "$root" "$corpus" > "$work/nginx/nginx.conf" <<'PY'
import os, re, sys
source, directory, port, app_port, files, static = sys.argv[1:]
config = open(source, encoding="utf-8").read()
def once(pattern, replacement):
    global config
    config, count = re.subn(pattern, lambda m: m.expand(replacement), config, flags=re.M)
    if count != 1:
        sys.exit(f"nginx.conf has {count} lines matching /{pattern}/; bench/download.sh rewrites exactly one")
once(r"^user\s[^;]*;", "user root;" if os.geteuid() == 0 else "")
once(r"^pid\s+[^\s;]+", f'pid "{directory}/nginx.pid"')
once(r"^error_log\s+[^\s;]+", f'error_log "{directory}/error.log"')
once(r"^(\s*)access_log\s+[^\s;]+", rf'\1access_log "{directory}/access.log"')
once(r"^(\s*)listen\s[^;]*;", rf"\1listen 127.0.0.1:{port};")
once(r"^(\s*)server\s+app:8080;", rf"\1server 127.0.0.1:{app_port};")
once(r"^(\s*)alias\s+/srv/files/;", rf'\1alias "{files.rstrip("/")}/";')
temp = " ".join(f'{kind}_temp_path "{directory}/{kind}_temp";' for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
once(r"^http\s*\{", "http {\n    " + temp)
# The anchor: the same file as a plain static file, no app involved.
once(r"^(\s*)(location /_protected/ \{)",
     rf'\1location /_bench_static/ {{\n\1    alias "{static.rstrip("/")}/";\n\1}}\n\n\1\2')
print(config, end="")
PY
say "starting nginx on $nginx_url (config: $work/nginx/nginx.conf)"
"$nginx_bin" -p "$work/nginx/" -c "$work/nginx/nginx.conf" -g 'daemon off;' > "$work/nginx.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$nginx_url/_bench_static/")" != 000 ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/nginx.log" "$work/nginx/error.log" >&2 2>/dev/null; say "nginx stopped"; exit 1; }
  sleep 0.2
done

say "API: personal access token for $FILEVAULT_ADMIN_EMAIL"
jwt="$(jq -n --arg e "$FILEVAULT_ADMIN_EMAIL" --arg p "$FILEVAULT_ADMIN_PASSWORD" '{email: $e, password: $p}' \
  | curl -sS -H 'Content-Type: application/json' --data @- "$direct_url/api/v1/auth/token" | jq -r '.access_token // empty')"
[ -n "$jwt" ] || { say "sign-in as $FILEVAULT_ADMIN_EMAIL failed: set FILEVAULT_ADMIN_EMAIL/PASSWORD to the bench database's SuperAdmin, or drop filevault_bench_download"; exit 1; }
curl -sS -o "$work/pat.json" -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json' \
  --data '{"name": "bench/download.sh", "scope": "read", "expiresInDays": 1}' "$direct_url/api/v1/me/tokens"
pat="$(jq -r '.secret // empty' "$work/pat.json")"
[ -n "$pat" ] || { say "could not create a personal access token: $(head -c 300 "$work/pat.json")"; exit 1; }

curl -sS -o "$work/children.json" -H "Authorization: Bearer $pat" \
  "$direct_url/api/v1/entries/$file_folder_id/children?sort=Size&desc=true&pageSize=1"
file_id="$(jq -r --arg n "${file_rel##*/}" '.items[0] | select(.name == $n) | .id' "$work/children.json")"
[ -n "$file_id" ] || { say "$file_rel is not the first file of its folder by size: $(head -c 300 "$work/children.json")"; exit 1; }

# fetch NAME URL [curl options]: one download to /dev/null, its speed (bytes/s) and time to the first byte (s) on
# stdout; fails unless all of the file's bytes came.
fetch() {
  local name="$1" target="$2" status size speed first; shift 2
  read -r status size speed first < <(curl -sS -o /dev/null "$@" \
    -w '%{http_code} %{size_download} %{speed_download} %{time_starttransfer}\n' "$target")
  if [ "$status" != 200 ] || [ "$size" != "$file_bytes" ]; then
    say "$name: HTTP $status, $size of $file_bytes bytes from $target"; exit 1
  fi
  printf '%s %s\n' "$speed" "$first"
}
static_url="$nginx_url/_bench_static/$(url_path "$file_rel")"
content="/api/v1/entries/$file_id/content"
auth=(-H "Authorization: Bearer $pat")
head="$(curl -sS -I "${auth[@]}" -H 'X-FileVault-Accel: on' "$accel_url$content")"
grep -qi '^X-Accel-Redirect: /_protected/' <<< "$head" || { say "the accel app did not answer X-Accel-Redirect: $head"; exit 1; }

say "single file: nginx static, app direct, app through nginx (X-Accel-Redirect); 1 warm-up + 5 rounds"
for run in 0 1 2 3 4 5; do
  static=$(fetch nginx_static "$static_url")
  direct=$(fetch app_direct "$direct_url$content" "${auth[@]}")
  accel=$(fetch app_accel "$nginx_url$content" "${auth[@]}")
  [ "$run" -gt 0 ] && printf '%s %s %s\n' "$static" "$direct" "$accel" >> "$work/single.txt"
done
mbps() { awk -v c="$1" '{ print $c / 1e6 }' "$work/single.txt" | median '%.1f'; }
nginx_static_mbps=$(mbps 1)
app_direct_mbps=$(mbps 3)
app_accel_mbps=$(mbps 5)
time_to_first_byte_ms=$(awk '{ print $4 * 1000 }' "$work/single.txt" | median '%.1f')

say "ZIP of $folder: zip -r -q -1 and POST /api/v1/downloads/zip; 1 warm-up + 5 rounds"
zip_request="$(jq -n --argjson id "$folder_id" '{ids: [$id], name: "bench"}')"
for run in 0 1 2 3 4 5; do
  rm -f "$work/cli.zip"
  start=$(date +%s%N); (cd "$root" && zip -r -q -1 "$work/cli.zip" "$folder"); end=$(date +%s%N)
  cli=$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a) / 1e9 }')
  read -r status seconds < <(curl -sS -o "$work/app.zip" -w '%{http_code} %{time_total}\n' "${auth[@]}" \
    -H 'Content-Type: application/json' --data "$zip_request" "$direct_url/api/v1/downloads/zip")
  [ "$status" = 200 ] || { say "the ZIP download answered $status: $(head -c 300 "$work/app.zip")"; exit 1; }
  [ "$run" -gt 0 ] && printf '%s %s\n' "$cli" "$seconds" >> "$work/zip.txt"
done
unzip -tq "$work/app.zip" >&2 || { say "the app's ZIP does not test clean"; exit 1; }
say "entries: zip $(unzip -Z1 "$work/cli.zip" | wc -l), app $(unzip -Z1 "$work/app.zip" | wc -l)"
zip_cli_s=$(awk '{ print $1 }' "$work/zip.txt" | median '%.2f')
zip_app_s=$(awk '{ print $2 }' "$work/zip.txt" | median '%.2f')
size_mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }

curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $jwt" "$direct_url/api/v1/me/tokens/$(jq -r '.token.id' "$work/pat.json")"

echo "file_mib: $(awk -v b="$file_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
echo "nginx_static_mbps: $nginx_static_mbps"
echo "app_direct_mbps: $app_direct_mbps"
echo "app_direct_ratio: $(div "$app_direct_mbps" "$nginx_static_mbps" '%.2f')"
echo "time_to_first_byte_ms: $time_to_first_byte_ms"
echo "app_accel_mbps: $app_accel_mbps"
echo "app_accel_ratio: $(div "$app_accel_mbps" "$nginx_static_mbps" '%.2f')"
echo "corpus_mib: $(awk -v b="$corpus_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
echo "zip_cli_s: $zip_cli_s"
echo "zip_app_s: $zip_app_s"
echo "zip_ratio: $(div "$zip_app_s" "$zip_cli_s" '%.2f')"
echo "zip_cli_mib: $(size_mib "$work/cli.zip")"
echo "zip_app_mib: $(size_mib "$work/app.zip")"
