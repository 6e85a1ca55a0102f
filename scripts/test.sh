#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL, Redis and Chromium, installing and starting what is missing.
#
#   scripts/test.sh            every test
#   scripts/test.sh FILTER     a subset: a `dotnet test --filter` expression, or a word matched against test names
#
# Ends with one line "N passed, N failed, N skipped" summed from the test results (TRX).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf '[test] %s\n' "$*" >&2; }

"$repo/scripts/ensure-dotnet.sh"

# Browser tests drive Debian's Chromium (no browser downloads here); Korean needs a CJK font to render.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Not grep -q: it would stop reading early, fc-list would die of SIGPIPE, and pipefail would call the font missing.
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# nginx's test certificate comes from scripts/make-cert.sh.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The tus upload tests drive the real tus-js-client from Node.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# scripts/check-deploy.sh (DeploymentFilesTests) lints the shell scripts.
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "error: missing ${missing[*]}; install them (apt-get install ${missing[*]}) and run again"
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

"$repo/scripts/services.sh" start

# The tus upload tests drive the real tus-js-client from Node; its packages come from the npm registry, once per lock file.
tus="$repo/FileVault.Tests/tus-client"
if [ ! -f "$tus/node_modules/.package-lock.json" ] || [ "$tus/package-lock.json" -nt "$tus/node_modules/.package-lock.json" ]; then
  say "installing tus-js-client for the upload tests"
  (cd "$tus" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
fi

# scripts/check-deploy.sh's linters for the compose files and the Dockerfile, likewise.
lint="$repo/scripts/lint"
if [ ! -f "$lint/node_modules/.package-lock.json" ] || [ "$lint/package-lock.json" -nt "$lint/node_modules/.package-lock.json" ]; then
  say "installing the deployment linters (dclint, dockerfile-utils)"
  (cd "$lint" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
fi

# Per clone, not per data directory: worktrees sharing one PostgreSQL must not overwrite each other's results.
results="${FILEVAULT_TEST_RESULTS:-$repo/.data/test-results}"
rm -rf "$results"
mkdir -p "$results"
export FILEVAULT_TEST_ARTIFACTS="$results/artifacts"

filter=()
if [ $# -gt 0 ] && [ -n "$1" ]; then
  case "$1" in
    *[=~\&\|]*) filter=(--filter "$1") ;;
    *) filter=(--filter "FullyQualifiedName~$1") ;;
  esac
fi

say "building"
dotnet build FileVault.sln -c Debug -nologo -v quiet -clp:ErrorsOnly >&2

say "running tests"
set +e
dotnet test FileVault.Tests/FileVault.Tests.csproj -c Debug --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "${filter[@]}"
rc=$?
set -e

trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  count() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total="$(count total)"; executed="$(count executed)"; passed="$(count passed)"; failed="$(count failed)"
  errors="$(count error)"; timeouts="$(count timeout)"; aborted="$(count aborted)"
  failed=$((failed + errors + timeouts + aborted))
  skipped=$((total - executed))
  echo "$passed passed, $failed failed, $skipped skipped"
  if [ "$rc" -eq 0 ] && [ "$failed" -gt 0 ]; then rc=1; fi
  if [ "$rc" -eq 0 ] && [ "$executed" -eq 0 ]; then say "no test ran"; rc=1; fi
else
  echo "0 passed, 1 failed"
  say "no test results were written (the test host did not start)"
  [ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
