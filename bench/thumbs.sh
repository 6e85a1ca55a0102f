#!/usr/bin/env bash
# Thumbnail benchmark: FileVault's generator against vipsthumbnail (Debian's libvips-tools) on the same photos and the
# same cores, and a cached thumbnail fetched through the HTTP endpoint. Not a timed test: run it by hand.
#   - 200 JPEGs of 4000 × 3000 with camera EXIF (some rotated) from ../shared/bench/gen_corpus.py photos (--small: 20),
#   - vips_<size>_per_s: `vipsthumbnail --size N` to WebP (Q=80, as FileVault's default) over every photo, one process
#     per core (xargs -P), images per second for 150, 300 and 800 px,
#   - fv_<size>_per_s: FileVault's ThumbnailGenerator over the same photos, one worker per core (bench/ThumbProbe),
#   - ratio_<size>: FileVault's rate over vips's (above 1 is faster than vips); target ≥ 0.5, aim 1.0,
#   - cached_p95_ms (p50 on stderr): GET /api/v1/entries/{id}/thumbnail?size=small of photos whose thumbnail is already
#     in Redis, with a bearer token, one curl keeping its connection (curl's %{time_total}); target p95 < 5 ms.
# Each generator runs once unmeasured first (page cache, JIT). Prints exactly these ten `name: value` lines on stdout.
#
#   bench/thumbs.sh [--small]
#
# Installs libvips-tools, exiftool and ImageMagick from Debian when missing (root). The app signs in its first
# SuperAdmin FILEVAULT_ADMIN_EMAIL / FILEVAULT_ADMIN_PASSWORD, created on its first start against the benchmark's
# own database (filevault_bench_thumbs).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count=200
[ "${1:-}" = "--small" ] && count=20
data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
gen="${FILEVAULT_GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}"
root="$data/thumbs-$count"
folder="사진"
corpus="$root/$folder"
workers="$(nproc)"
say() { printf '[bench] %s\n' "$*" >&2; }

missing=()
command -v vipsthumbnail > /dev/null || missing+=(libvips-tools)
command -v exiftool > /dev/null || missing+=(libimage-exiftool-perl)
# gen_corpus.py draws with ImageMagick; a `convert` elsewhere on PATH may be a stand-in that forwards to Debian's.
[ -x /usr/bin/convert ] || command -v magick > /dev/null || missing+=(imagemagick)
for tool in jq curl; do command -v "$tool" > /dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { say "error: missing ${missing[*]}; apt-get install them and run again"; exit 1; }
  say "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

"$repo/scripts/services.sh" start
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=${FILEVAULT_PG_PORT:-55432};Username=postgres;Database=filevault_bench_thumbs"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"
export FILEVAULT_ADMIN_EMAIL="${FILEVAULT_ADMIN_EMAIL:-admin@filevault.local}"
export FILEVAULT_ADMIN_PASSWORD="${FILEVAULT_ADMIN_PASSWORD:-bench-thumbs-admin-pw}"

if [ ! -f "$root/.complete" ]; then
  [ -f "$gen" ] || { say "error: $gen not found (set FILEVAULT_GEN_CORPUS)"; exit 1; }
  say "generating $count photos of 4000 x 3000 in $corpus (once)"
  rm -rf "$root"; mkdir -p "$root"
  python3 "$gen" photos "$corpus" --count "$count" --size 4000x3000 --jobs "$workers" >&2
  touch "$root/.complete"
fi

say "building FileVault and bench/ThumbProbe (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$repo/bench/ThumbProbe" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
bin="$repo/FileVault.Web/bin/Release/net10.0"
app="$bin/FileVault.Web.dll"

work="$(mktemp -d -t fv-bench-thumbs.XXXXXX)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ "$1" -eq 0 ]; then rm -rf "$work"; else say "logs kept: $work/*.log"; fi
}
trap 'cleanup $?' EXIT

per_s() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The p-th percentile (nearest rank) of the numbers on stdin, in milliseconds from seconds.
percentile_ms() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] * 1000 }'; }

# vipsthumbnail: one process per core, each taking 5 photos at a time; thumbnails written to WebP like FileVault's.
vips_pass() {
  rm -rf "$work/vips"; mkdir -p "$work/vips"
  find "$corpus" -name '*.jpg' -print0 | xargs -0 -n 5 -P "$workers" vipsthumbnail --size "$1" -o "$work/vips/%s.webp[Q=80]"
}
say "vipsthumbnail on $count photos, $workers processes: 1 warm-up + 150, 300, 800 px"
vips_pass 150
for size in 150 300 800; do
  start=$(date +%s%N); vips_pass "$size"; end=$(date +%s%N)
  made=$(find "$work/vips" -name '*.webp' | wc -l)
  [ "$made" -eq "$count" ] || { say "vipsthumbnail made $made of $count thumbnails"; exit 1; }
  printf -v "vips_$size" '%s' "$(per_s "$count" "$start" "$end")"
done

say "FileVault's generator on the same photos, $workers workers"
dotnet "$repo/bench/ThumbProbe/bin/Release/net10.0/ThumbProbe.dll" "$corpus" "$workers" > "$work/fv.txt"
field() { awk -F': ' -v k="$2" '$1 == k { print $2 }' "$1"; }
fv_150=$(field "$work/fv.txt" fv_150_per_s)
fv_300=$(field "$work/fv.txt" fv_300_per_s)
fv_800=$(field "$work/fv.txt" fv_800_per_s)

dotnet "$app" scan --root "$root" --kind full >&2
folder_id="$(dotnet "$app" browse --root "$root" --folder "$folder" | awk -F': ' '$1 == "folder_id" { print $2 }')"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
say "starting the app on $url (log: $work/app.log)"
(cd "$bin" && exec env ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Development FileVault__Scanner__SchedulesEnabled=false \
  Serilog__MinimumLevel__Default=Warning dotnet "$app" > "$work/app.log" 2>&1) &
pids+=("$!")
for _ in $(seq 120); do
  curl -sf -o /dev/null "$url/health/ready" && break
  kill -0 "${pids[0]}" 2>/dev/null || { tail -n 30 "$work/app.log" >&2; say "the app stopped"; exit 1; }
  sleep 1
done
token="$(jq -n --arg e "$FILEVAULT_ADMIN_EMAIL" --arg p "$FILEVAULT_ADMIN_PASSWORD" '{email: $e, password: $p}' \
  | curl -sS -H 'Content-Type: application/json' --data @- "$url/api/v1/auth/token" | jq -r '.access_token // empty')"
[ -n "$token" ] || { say "sign-in as $FILEVAULT_ADMIN_EMAIL failed: set FILEVAULT_ADMIN_EMAIL/PASSWORD to the bench database's SuperAdmin, or drop filevault_bench_thumbs"; exit 1; }
curl -sS -H "Authorization: Bearer $token" "$url/api/v1/entries/$folder_id/children?pageSize=1000" \
  | jq -r '.items[] | select(.name | endswith(".jpg")) | .id' > "$work/ids.txt"
[ "$(wc -l < "$work/ids.txt")" -eq "$count" ] || { say "the folder lists $(wc -l < "$work/ids.txt") photos, not $count"; exit 1; }

# The scan queued thumbnail jobs for the photos; the cached figure is the steady state, measured once they are done.
pg_port="${FILEVAULT_PG_PORT:-55432}"
for _ in $(seq 600); do
  waiting="$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d filevault_bench_thumbs -Atc "SELECT count(*) FROM jobs WHERE status IN (0, 1)")"
  [ "$waiting" = "0" ] && break
  sleep 1
done
say "cached thumbnails over HTTP: each made once, then 10 rounds of every photo"
# One curl for all photos (one connection): each URL gets its own -o.
urls=()
while read -r id; do urls+=(-o /dev/null "$url/api/v1/entries/$id/thumbnail?size=small"); done < "$work/ids.txt"
status="$(curl -sS -w '%{http_code}\n' -H "Authorization: Bearer $token" "${urls[@]}" | sort -u | tr '\n' ' ')"
[ "$status" = "200 " ] || { say "making the thumbnails answered HTTP $status"; exit 1; }
for _ in $(seq 10); do
  curl -sS -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "${urls[@]}" >> "$work/cached.txt"
done
grep -qv '^200 ' "$work/cached.txt" && { say "a cached thumbnail did not answer 200"; exit 1; }
cached_p50=$(awk '{ print $2 }' "$work/cached.txt" | percentile_ms 50)
cached_p95=$(awk '{ print $2 }' "$work/cached.txt" | percentile_ms 95)

say "$count photos, $workers workers; cached p50 $cached_p50 ms"
echo "vips_150_per_s: $vips_150"
echo "vips_300_per_s: $vips_300"
echo "vips_800_per_s: $vips_800"
echo "fv_150_per_s: $fv_150"
echo "fv_300_per_s: $fv_300"
echo "fv_800_per_s: $fv_800"
echo "ratio_150: $(div "$fv_150" "$vips_150")"
echo "ratio_300: $(div "$fv_300" "$vips_300")"
echo "ratio_800: $(div "$fv_800" "$vips_800")"
echo "cached_p95_ms: $cached_p95"
