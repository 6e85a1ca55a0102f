#!/usr/bin/env bash
# Upload benchmark: FileVault's tus endpoint (/api/v1/uploads) against a plain tus server and a plain HTTP PUT, in one
# run, on one random file of 1 GiB (--small: 200 MiB) and on 1,000 files of 10 KiB (--small: 200):
#   - the big file uploaded by tus-js-client 4.3.1 in node (bench/transfer/client.mjs: chunks of the size the app
#     announces to its UI in FileVault-Chunk-Size; metadata filename + destination; the file's SHA-256 sent
#     with the last PATCH in FileVault-Sha256, as the UI does, which FileVault verifies) to FileVault, with a personal access token
#     of the admin, into a folder made for the run through the API (POST /api/v1/folders; its id is the destination),
#   - the same client against the tus reference server, @tus/server with @tus/file-store (bench/transfer/server.mjs,
#     no checksum, no auth) on a free loopback port,
#   - `curl -T` (HTTP PUT) of the same file to a private nginx (dav_methods PUT) on a free loopback port,
#   - `dd conv=fdatasync` of the same file on the same file system: the disk's pace for bytes made durable, which
#     bounds FileVault (it fsyncs each chunk before answering) and not the other two (disk_sync_write_mbps),
#   rounds interleaved, three of them (the median counts); each FileVault copy's SHA-256 on disk is compared with the
#   source's;
#   - the small files sent as a folder upload sends them (three at a time, each one tus creation carrying the whole file
#     and its SHA-256) to FileVault and to the reference server, three rounds interleaved (median);
#   - before any of it, uncounted, a warm-up: the small files (twice) and the big file (as often as it takes for 64 requests)
#     to each server, then a wait until the app is idle, so that the app is measured warm (see below);
#   - FileVault's resident memory: VmRSS of the app process before the first upload and its maximum during the run,
#     sampled every 0.2 s (upload_rss_growth_mb, the issue's key, counts the warm-up too); and apart, its VmRSS once
#     warmed up and idle, and what the measured rounds added to that (upload_rss_growth_measured_mb).
# All three servers write to the same file system ($FILEVAULT_BENCH_DIR/transfer-<MiB>). Speeds are MB/s (10^6 bytes
# per second) from the client's start to the server's last answer. Prints `name: value` lines; `upload_ratio` is
# upload_mbps / tus_reference_mbps. Each round also logs the CPU time the app and PostgreSQL used (and the reference
# server), which load on the machine disturbs less than the speeds.
#
#   bench/transfer.sh [--small] [--small-files-only]        (FILEVAULT_BENCH_ROUNDS: rounds, default 3;
#                                                            FILEVAULT_BENCH_KEEP_LOGS=1: keep the app's log and the others)
#
# --small-files-only skips the big file and the nginx PUT (upload_mbps, tus_reference_mbps, curl_put_mbps and
# upload_ratio are then not printed): the small files' rounds alone, for measuring per-file costs quickly.
#
# The app signs in its first SuperAdmin FILEVAULT_ADMIN_EMAIL / FILEVAULT_ADMIN_PASSWORD (defaults below), created
# on the first start against the benchmark's own database (filevault_bench_transfer). Needs node + npm (the client and
# the reference server come from bench/transfer/package-lock.json, restored with npm ci), nginx, jq, curl.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mib=1024
small_files=1000
small_only=false
for arg in "$@"; do
  case "$arg" in
    --small) mib=200; small_files=200 ;;
    --small-files-only) small_only=true ;;
    *) printf '[bench] unknown option %s (--small, --small-files-only)\n' "$arg" >&2; exit 2 ;;
  esac
done
rounds="${FILEVAULT_BENCH_ROUNDS:-3}"
data="${FILEVAULT_BENCH_DIR:-${FILEVAULT_DATA_DIR:-$repo/.data}/bench}"
nginx_bin="${FILEVAULT_NGINX:-/usr/sbin/nginx}"
base="$data/transfer-$mib"
say() { printf '[bench] %s\n' "$*" >&2; }

for tool in "$nginx_bin" node npm jq curl sha256sum; do
  command -v "$tool" > /dev/null || { say "error: $tool not found"; exit 1; }
done

"$repo/scripts/services.sh" start
pg_port="${FILEVAULT_PG_PORT:-55432}"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=filevault_bench_transfer"
export ConnectionStrings__Redis="127.0.0.1:${FILEVAULT_REDIS_PORT:-56379},abortConnect=false"
export FILEVAULT_ADMIN_EMAIL="${FILEVAULT_ADMIN_EMAIL:-admin@filevault.local}"
export FILEVAULT_ADMIN_PASSWORD="${FILEVAULT_ADMIN_PASSWORD:-bench-transfer-admin-pw}"

say "restoring bench/transfer (npm ci)"
(cd "$repo/bench/transfer" && npm ci --no-audit --no-fund --loglevel=error >&2)

say "building FileVault (Release)"
dotnet build "$repo/FileVault.Web" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
bin="$repo/FileVault.Web/bin/Release/net10.0"
app="$bin/FileVault.Web.dll"

# The source files, made once; what the servers stored is laid anew on every run.
src="$base/source"
if [ ! -f "$src/.complete" ]; then
  say "creating a random file of $mib MiB and $small_files files of 10 KiB in $src (once)"
  rm -rf "$src"; mkdir -p "$src/small"
  head -c "$((mib * 1048576))" /dev/urandom > "$src/big.bin"
  for i in $(seq -w 1 "$small_files"); do head -c 10240 /dev/urandom > "$src/small/file_$i.bin"; done
  sha256sum "$src/big.bin" | cut -c1-64 > "$src/big.sha256"
  touch "$src/.complete"
fi
big_bytes=$(stat -c %s "$src/big.bin")
big_sha256=$(cat "$src/big.sha256")
# FileVault's storage root, the reference server's store and nginx's PUT folder, side by side on one file system.
# The root holds one folder, uploads/, cataloged by a scan on the first run; each run uploads into a new folder in it
# and deletes that folder's files from the disk when it ends (the catalog keeps their rows: no scan runs again).
# A root is named after its folder and names are unique in the bench database, which every FILEVAULT_BENCH_DIR shares:
# the folder's name carries the size and a checksum of the directory, so another bench directory is another root.
root="$base/transfer-$mib-root-$(printf '%s' "$base" | cksum | cut -d' ' -f1)"
store="$base/tus-reference"
www="$base/nginx-www"
rm -rf "$store" "$www" "$root"/uploads/run-*
mkdir -p "$root/uploads" "$store" "$www/put"
field() { printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'; }
uploads_id="$(field "$(dotnet "$app" browse --root "$root" --folder uploads 2>/dev/null)" folder_id)"
if [ -z "$uploads_id" ]; then
  dotnet "$app" scan --root "$root" --kind full >&2
  uploads_id="$(field "$(dotnet "$app" browse --root "$root" --folder uploads)" folder_id)"
fi
[ -n "$uploads_id" ] || { say "no folder id for $root/uploads"; exit 1; }

median() { sort -g | awk -v f="$1" '{ v[NR] = $1 } END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf f, a / b }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

work="$(mktemp -d -t fv-bench-transfer.XXXXXX)"
pids=()
# Stops the sampler, the servers and the app; keeps their logs when the run failed.
cleanup() {
  local pid
  # (the sampler dies of the TERM, 143: not a failure of the run)
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
  rm -rf "$store" "$www" "$root"/uploads/run-*
  if [ "$1" -eq 0 ] && [ -z "${FILEVAULT_BENCH_KEEP_LOGS:-}" ]; then rm -rf "$work"; else say "logs kept: $work/*.log"; fi
}
trap 'cleanup $?' EXIT

# waits until `curl URL` answers anything while PID lives.
wait_up() {
  local name="$1" target="$2" pid="$3" log="$4"
  for _ in $(seq 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$target")" != 000 ] && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; say "$name stopped"; exit 1; }
    sleep 0.5
  done
  say "$name did not answer within 60 s"; exit 1
}

port="$(free_port)"
url="http://127.0.0.1:$port"
say "starting the app on $url, storage root $root (log: $work/app.log)"
# Development, as scripts/run.sh and the other benchmarks. No scheduled scans mid-run.
(cd "$bin" && ASPNETCORE_URLS="$url" ASPNETCORE_ENVIRONMENT=Development FileVault__Scanner__SchedulesEnabled=false \
  exec dotnet "$app" > "$work/app.log" 2>&1) &
app_pid=$!
pids+=("$app_pid")
for _ in $(seq 120); do
  curl -sf -o /dev/null "$url/health/ready" && break
  kill -0 "$app_pid" 2>/dev/null || { tail -n 30 "$work/app.log" >&2; say "the app stopped"; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$url/health/ready" || { say "the app was not ready within 120 s"; exit 1; }

ref_port="$(free_port)"
ref_url="http://127.0.0.1:$ref_port/files/"
say "starting the tus reference server on $ref_url (store: $store)"
node "$repo/bench/transfer/server.mjs" "$ref_port" "$store" > "$work/reference.log" 2>&1 &
ref_pid=$!
pids+=("$ref_pid")
wait_up "the reference server" "$ref_url" "${pids[-1]}" "$work/reference.log"

nginx_port="$(free_port)"
nginx_url="http://127.0.0.1:$nginx_port/put"
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 1;
pid "$work/nginx/nginx.pid";
error_log "$work/nginx/error.log";
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path "$www/.client_body_temp";
    proxy_temp_path "$work/nginx/proxy_temp";
    fastcgi_temp_path "$work/nginx/fastcgi_temp";
    uwsgi_temp_path "$work/nginx/uwsgi_temp";
    scgi_temp_path "$work/nginx/scgi_temp";
    server {
        listen 127.0.0.1:$nginx_port;
        client_max_body_size 0;
        location /put/ {
            root "$www";
            dav_methods PUT;
            dav_access user:rw;
        }
    }
}
EOF
say "starting nginx on $nginx_url (config: $work/nginx/nginx.conf)"
"$nginx_bin" -p "$work/nginx/" -c "$work/nginx/nginx.conf" -g 'daemon off;' > "$work/nginx.log" 2>&1 &
pids+=("$!")
wait_up nginx "$nginx_url/" "${pids[-1]}" "$work/nginx/error.log"

say "API: personal access token for $FILEVAULT_ADMIN_EMAIL"
jwt="$(jq -n --arg e "$FILEVAULT_ADMIN_EMAIL" --arg p "$FILEVAULT_ADMIN_PASSWORD" '{email: $e, password: $p}' \
  | curl -sS -H 'Content-Type: application/json' --data @- "$url/api/v1/auth/token" | jq -r '.access_token // empty')"
[ -n "$jwt" ] || { say "sign-in as $FILEVAULT_ADMIN_EMAIL failed: set FILEVAULT_ADMIN_EMAIL/PASSWORD to the bench database's SuperAdmin, or drop filevault_bench_transfer"; exit 1; }
curl -sS -o "$work/pat.json" -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json' \
  --data '{"name": "bench/transfer.sh", "scope": "read-write", "expiresInDays": 1}' "$url/api/v1/me/tokens"
pat="$(jq -r '.secret // empty' "$work/pat.json")"
[ -n "$pat" ] || { say "could not create a personal access token: $(head -c 300 "$work/pat.json")"; exit 1; }
auth=(-H "Authorization: Bearer $pat")

# A folder of this run in uploads/ (created through the API, as the UI's New folder does); its id is the destination.
run_name="run-$(date -u +%Y%m%dT%H%M%S)"
folder_id="$(jq -n --argjson p "$uploads_id" --arg n "$run_name" '{parentId: $p, name: $n}' \
  | curl -sS "${auth[@]}" -H 'Content-Type: application/json' --data @- "$url/api/v1/folders" | jq -r '.id // empty')"
[ -n "$folder_id" ] || { say "could not create the folder $run_name in uploads/ (entry $uploads_id)"; exit 1; }
say "uploading into uploads/$run_name (entry $folder_id)"

# FileVault's memory: the baseline now, the maximum while it receives.
rss_before_kb=$(rss_kb "$app_pid")
( while kill -0 "$app_pid" 2>/dev/null; do rss_kb "$app_pid"; sleep 0.2; done ) > "$work/rss.txt" &
pids+=("$!")

# The chunk size the app tells its browser client (tus discovery, FileVault-Chunk-Size): both servers get the same.
chunk_bytes=$(curl -sS -X OPTIONS -D - -o /dev/null "$url/api/v1/uploads" | tr -d '\r' | awk -F': ' 'tolower($1) == "filevault-chunk-size" { print $2 }')
[ -n "$chunk_bytes" ] || { say "the app announced no FileVault-Chunk-Size"; exit 1; }
say "chunks of $((chunk_bytes / 1024 / 1024)) MiB (the app's FileVault-Chunk-Size)"
client() { FILEVAULT_CHUNK_BYTES="$chunk_bytes" node "$repo/bench/transfer/client.mjs" "$@"; }
seconds() { jq -r '.seconds'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f\n", b / s / 1e6 }'; }

# Where the CPU goes (stderr only): the app, PostgreSQL (its live processes and those it reaped), Redis and the
# reference server, from /proc before and after each round (clock ticks; all processes of the machine compete for the
# same 2 cores, so this is what each one spent, not what it waited). Load disturbs it less than the speeds.
hz=$(getconf CLK_TCK)
pg_pid=$(head -n 1 "${FILEVAULT_DATA_DIR:-$repo/.data}/pg/data/postmaster.pid" 2>/dev/null || echo 0)
redis_pid=$(cat "${FILEVAULT_DATA_DIR:-$repo/.data}/redis/redis.pid" 2>/dev/null || echo 0)
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local total child
  total=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pg_pid/stat" 2>/dev/null || echo 0)
  for child in $(cat "/proc/$pg_pid/task/$pg_pid/children" 2>/dev/null); do total=$((total + $(ticks "$child"))); done
  echo "$total"
}
cpu_sample() { echo "$(ticks "$app_pid") $(pg_ticks) $(ticks "$redis_pid") $(ticks "$ref_pid")"; }
# CPU ms per file of each process between two samples.
cpu_ms() { awk -v a="$1" -v b="$2" -v hz="$hz" -v n="$small_files" 'BEGIN { split(a, x, " "); split(b, y, " ");
  printf "app %.1f, postgres %.1f, redis %.1f, reference %.1f", (y[1] - x[1]) * 1000 / hz / n, (y[2] - x[2]) * 1000 / hz / n,
    (y[3] - x[3]) * 1000 / hz / n, (y[4] - x[4]) * 1000 / hz / n }'; }
# CPU seconds of the app + PostgreSQL, and of the reference server, between two samples.
cpu_big() { awk -v a="$1" -v b="$2" -v hz="$hz" 'BEGIN { split(a, x, " "); split(b, y, " ");
  printf "CPU %.2f s app + %.2f s postgres, %.2f s reference", (y[1] - x[1]) / hz, (y[2] - x[2]) / hz, (y[4] - x[4]) / hz }'; }
# Waits (at most 60 s) until the app has used under 0.05 s of CPU in a second: the compiler's background work that the
# warm-up set off (the hot code compiled again, optimized) is over, as in a server that has been up for a while.
wait_idle() {
  local before after waited=0
  while [ "$waited" -lt 60 ]; do
    before=$(ticks "$app_pid"); sleep 1; after=$(ticks "$app_pid"); waited=$((waited + 1))
    [ $(( (after - before) * 100 )) -lt $((5 * hz)) ] && break
  done
  say "the app was idle after ${waited} s"
}
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Both servers are measured warm, as servers that have been up for a while are: first some uploads to each, not
# counted. A fresh .NET process compiles its code on first use, and again, optimized, once a method has run some thirty
# times; perf showed that work taking 40-70% of the app's CPU in rounds that came before it was done. So the warm-up
# runs every request path at least 64 times: a round of the small files (each one creation carrying the whole file), and
# the big file as often as it takes for 64 PATCH requests. Then the app must have gone idle.
# Twice: .NET compiles a hot method three times (quick, then instrumented, then optimized with what the instrumentation
# saw), each after some thirty calls and a short delay, so after one round of the small files perf still found 43 % of
# the app's CPU in the compiler during the first measured round.
say "warming up (not counted): $small_files small files to each server, twice"
for w in 1 2; do
  client small "$url/api/v1/uploads" "$pat" "$src/small" "$folder_id" "w$w-" > /dev/null
  client small "$ref_url" - "$src/small" - "w$w-" > /dev/null
  rm -rf "${store:?}"/*
done
if ! $small_only; then
  chunks=$(( (big_bytes + chunk_bytes - 1) / chunk_bytes ))
  warm_big=$(( (64 + chunks - 1) / chunks ))
  say "warming up (not counted): the big file $warm_big times to each server ($chunks requests each)"
  for w in $(seq "$warm_big"); do
    client big "$url/api/v1/uploads" "$pat" "$src/big.bin" "$folder_id" "$big_sha256" "big-warm-$w.bin" > /dev/null
    rm -f "$root/uploads/$run_name/big-warm-$w.bin"
    client big "$ref_url" - "$src/big.bin" - "$big_sha256" "big-warm-$w.bin" > /dev/null
    rm -rf "${store:?}"/*
  done
fi
wait_idle
# The memory a warmed-up app holds before the measured rounds: what the rounds add to it is printed apart from what the
# start and the warm-up added (compiled code, pools, the GC's first budgets).
rss_warm_kb=$(rss_kb "$app_pid")
rss_warm_line=$(wc -l < "$work/rss.txt")
$small_only || say "big file ($mib MiB): FileVault, reference, curl PUT to nginx; $rounds rounds"
for run in $($small_only || seq "$rounds"); do
  before=$(cpu_sample)
  s=$(client big "$url/api/v1/uploads" "$pat" "$src/big.bin" "$folder_id" "$big_sha256" "big-$run.bin" | seconds)
  fv=$(mbps "$big_bytes" "$s")
  fv_cpu=$(cpu_big "$before" "$(cpu_sample)" | sed 's/, [^,]* reference$//')
  on_disk="$root/uploads/$run_name/big-$run.bin"
  [ -f "$on_disk" ] || { say "FileVault's upload is not at $on_disk"; exit 1; }
  [ "$(sha256sum "$on_disk" | cut -c1-64)" = "$big_sha256" ] || { say "$on_disk differs from the source"; exit 1; }
  rm -f "$on_disk"
  before=$(cpu_sample)
  s=$(client big "$ref_url" - "$src/big.bin" - "$big_sha256" "big-$run.bin" | seconds)
  ref=$(mbps "$big_bytes" "$s")
  ref_cpu=$(cpu_big "$before" "$(cpu_sample)" | sed 's/.*, /CPU /')
  rm -rf "${store:?}"/*
  read -r status speed < <(curl -sS -o /dev/null -T "$src/big.bin" -w '%{http_code} %{speed_upload}\n' "$nginx_url/big-$run.bin")
  case "$status" in 201|204) ;; *) say "nginx answered the PUT with $status"; exit 1 ;; esac
  put=$(awk -v s="$speed" 'BEGIN { printf "%.1f\n", s / 1e6 }')
  rm -f "$www/put/big-$run.bin"
  # The disk's own pace for a file made durable: what FileVault, which fsyncs every chunk before it answers (R-UP-6),
  # cannot pass, and what neither the reference server nor nginx waits for (they leave the bytes to the page cache).
  t0=$(date +%s.%N)
  dd if="$src/big.bin" of="$base/dd-$run.bin" bs=1M conv=fdatasync status=none
  disk=$(mbps "$big_bytes" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')")
  rm -f "$base/dd-$run.bin"
  say "round $run: FileVault $fv MB/s ($fv_cpu), reference $ref MB/s ($ref_cpu), curl PUT $put MB/s, dd + fdatasync $disk MB/s"
  printf '%s %s %s %s\n' "$fv" "$ref" "$put" "$disk" >> "$work/big.txt"
done

say "$small_files files of 10 KiB, 3 at a time: FileVault, reference; $rounds rounds"
for run in $(seq "$rounds"); do
  before=$(cpu_sample)
  out=$(client small "$url/api/v1/uploads" "$pat" "$src/small" "$folder_id" "r$run-")
  after=$(cpu_sample)
  s=$(seconds <<< "$out")
  fv=$(awk -v n="$small_files" -v s="$s" 'BEGIN { printf "%.1f\n", n / s }')
  fv_cpu="$(cpu_ms "$before" "$after"), client $(jq -r --argjson n "$small_files" '.cpu_ms / $n * 10 | round / 10' <<< "$out")"
  before=$(cpu_sample)
  out=$(client small "$ref_url" - "$src/small" - "r$run-")
  after=$(cpu_sample)
  s=$(seconds <<< "$out")
  ref=$(awk -v n="$small_files" -v s="$s" 'BEGIN { printf "%.1f\n", n / s }')
  ref_cpu="$(cpu_ms "$before" "$after"), client $(jq -r --argjson n "$small_files" '.cpu_ms / $n * 10 | round / 10' <<< "$out")"
  rm -rf "${store:?}"/*
  say "round $run: FileVault $fv files/s, reference $ref files/s"
  say "  CPU ms per file, FileVault's round: $fv_cpu"
  say "  CPU ms per file, reference's round: $ref_cpu"
  printf '%s %s\n' "$fv" "$ref" >> "$work/small.txt"
done
landed=$(find "$root/uploads/$run_name" -maxdepth 1 -name 'r*-file_*.bin' | wc -l)
[ "$landed" -eq $((rounds * small_files)) ] || { say "$landed small files landed in $root/uploads/$run_name, not $((rounds * small_files))"; exit 1; }
rss_max_kb=$(sort -n "$work/rss.txt" | tail -n 1)
rss_measured_max_kb=$(tail -n +"$((rss_warm_line + 1))" "$work/rss.txt" | sort -n | tail -n 1)
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared with other work: figures are noisy)"

curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $jwt" "$url/api/v1/me/tokens/$(jq -r '.token.id' "$work/pat.json")"

if ! $small_only; then
  upload_mbps=$(awk '{ print $1 }' "$work/big.txt" | median '%.1f')
  tus_reference_mbps=$(awk '{ print $2 }' "$work/big.txt" | median '%.1f')
  echo "file_mib: $mib"
  echo "upload_mbps: $upload_mbps"
  echo "tus_reference_mbps: $tus_reference_mbps"
  echo "curl_put_mbps: $(awk '{ print $3 }' "$work/big.txt" | median '%.1f')"
  echo "upload_ratio: $(div "$upload_mbps" "$tus_reference_mbps" '%.2f')"
  echo "disk_sync_write_mbps: $(awk '{ print $4 }' "$work/big.txt" | median '%.1f')"
fi
echo "small_files: $small_files"
echo "small_files_per_s: $(awk '{ print $1 }' "$work/small.txt" | median '%.1f')"
echo "small_files_reference_per_s: $(awk '{ print $2 }' "$work/small.txt" | median '%.1f')"
echo "upload_rss_before_mb: $(awk -v k="$rss_before_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "upload_rss_growth_mb: $(awk -v a="$rss_before_kb" -v m="$rss_max_kb" 'BEGIN { printf "%.1f", (m > a ? m - a : 0) / 1024 }')"
echo "upload_rss_after_warmup_mb: $(awk -v k="$rss_warm_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "upload_rss_growth_measured_mb: $(awk -v a="$rss_warm_kb" -v m="${rss_measured_max_kb:-0}" 'BEGIN { printf "%.1f", (m > a ? m - a : 0) / 1024 }')"
