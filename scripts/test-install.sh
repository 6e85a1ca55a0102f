#!/usr/bin/env bash
# Runs scripts/install.sh for real on this machine, twice (a first install, then the upgrade), and removes everything
# it installed again at the end, whatever happened. For a Debian machine or CI container where systemd is not PID 1:
# scripts/test-install/systemctl stands in for systemctl (docs/operations.md, "How the install is verified").
#
#   sudo scripts/test-install.sh [--keep]      # --keep: leave the installed system running for a look (no cleanup)
#
# It changes the machine while it runs: it takes ports 80, 443, 5000 (the app), 5432 (the Debian PostgreSQL cluster)
# and 6379 (Debian's redis-server), /etc/nginx/nginx.conf, /opt/filevault, /etc/filevault, the user `filevault`. It
# refuses to start when any of those is already in use, so it never stops what it did not start. Not part of
# scripts/test.sh for that reason.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep=false
[ "${1:-}" = "--keep" ] && keep=true

say() { printf '[test-install] %s\n' "$*" >&2; }
fail() { printf '[test-install] FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs packages, a user and services"
[ -f /etc/debian_version ] || fail "install.sh is for Debian"

# --- refuse to touch what someone else runs -------------------------------------------------------------------------
for path in /opt/filevault /etc/filevault /etc/systemd/system/filevault.service; do
  [ ! -e "$path" ] || fail "$path exists: an installed FileVault (or a leftover) that this test would remove"
done
! id filevault >/dev/null 2>&1 || fail "the user filevault exists already"
for port in 80 443 5000 5432 6379; do
  ! ss -Hltn "sport = :$port" | grep -q . || fail "port $port is in use by something this test did not start"
done

tmp="$(mktemp -d /tmp/filevault-test-install.XXXXXX)"
chmod 0755 "$tmp"
shim="$tmp/bin"
export FILEVAULT_SHIM_STATE="$tmp/shim"
install -d "$shim" "$FILEVAULT_SHIM_STATE"
install -m 0755 "$repo/scripts/test-install/systemctl" "$shim/systemctl"

# What was there before, so the cleanup puts back exactly that.
cp -p /etc/nginx/nginx.conf "$tmp/nginx.conf.before"
certs_existed=false; [ -e /etc/nginx/certs ] && certs_existed=true
acme_existed=false; [ -e /var/www/acme ] && acme_existed=true
nginx_conf_backup_existed=false; [ -e /etc/nginx/nginx.conf.before-filevault ] && nginx_conf_backup_existed=true
redis_dump_existed=false; [ -e /var/lib/redis/dump.rdb ] && redis_dump_existed=true
share_group=fvtestshare

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if $keep; then
    say "--keep: left running; the shim's state and logs are in $FILEVAULT_SHIM_STATE"
    exit $status
  fi
  say "cleaning up"
  # Each step on its own: one failing must not leave the rest behind.
  PATH="$shim:$PATH" systemctl stop filevault 2>/dev/null || true
  if [ -f /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
  for _ in $(seq 1 50); do [ -f /run/nginx.pid ] || break; sleep 0.1; done
  if pg_ctlcluster 15 main status >/dev/null 2>&1 || PATH="$shim:$PATH" systemctl is-active postgresql >/dev/null 2>&1; then
    runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS filevault WITH (FORCE)" 2>/dev/null || true
    runuser -u postgres -- psql -q -c "DROP ROLE IF EXISTS filevault" 2>/dev/null || true
  fi
  PATH="$shim:$PATH" systemctl stop postgresql redis-server 2>/dev/null || true
  $redis_dump_existed || rm -f /var/lib/redis/dump.rdb
  cp -p "$tmp/nginx.conf.before" /etc/nginx/nginx.conf
  $nginx_conf_backup_existed || rm -f /etc/nginx/nginx.conf.before-filevault
  rm -f /etc/nginx/nginx.conf.new
  $certs_existed || rm -rf /etc/nginx/certs
  $acme_existed || rm -rf /var/www/acme
  rm -rf /opt/filevault /etc/filevault /var/lib/filevault /var/backups/filevault \
    /etc/systemd/system/filevault.service /etc/systemd/system/filevault.service.d
  if id filevault >/dev/null 2>&1; then userdel filevault 2>/dev/null || true; fi
  if getent group filevault >/dev/null; then groupdel filevault 2>/dev/null || true; fi
  if id -nG www-data | grep -qw "$share_group"; then gpasswd -q -d www-data "$share_group" 2>/dev/null || true; fi
  if getent group "$share_group" >/dev/null; then groupdel "$share_group" 2>/dev/null || true; fi
  if [ $status -ne 0 ] && [ -f "$FILEVAULT_SHIM_STATE/filevault.log" ]; then
    say "the app's last output:"; tail -n 40 "$FILEVAULT_SHIM_STATE/filevault.log" >&2 || true
  fi
  # The machine as it was: a leftover fails the run.
  cmp -s "$tmp/nginx.conf.before" /etc/nginx/nginx.conf || { say "leftover: /etc/nginx/nginx.conf differs"; status=1; }
  for _ in $(seq 1 50); do ss -Hltn '( sport = :80 or sport = :443 or sport = :5000 or sport = :5432 or sport = :6379 )' | grep -q . || break; sleep 0.2; done
  if ss -Hltn '( sport = :80 or sport = :443 or sport = :5000 or sport = :5432 or sport = :6379 )' | grep -q .; then
    say "leftover: still listening: $(ss -Hltnp '( sport = :80 or sport = :443 or sport = :5000 or sport = :5432 or sport = :6379 )' | tr -s ' ' | tr '\n' ';')"; status=1
  fi
  if id filevault >/dev/null 2>&1 || [ -e /opt/filevault ] || [ -e /etc/filevault ]; then say "leftover: the user, /opt/filevault or /etc/filevault"; status=1; fi
  rm -rf "$tmp"
  if [ $status -eq 0 ]; then say "PASSED"; else say "FAILED (exit $status)"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a share with a few files, as a file server would have them ----------------------------------------------------
share="$tmp/share"
groupadd --system "$share_group"
install -d -m 2775 -g "$share_group" "$share" "$share/회의록" "$share/Projects"
printf 'minutes\n' > "$share/회의록/2026년 12월 회의록.txt"
# The same word in NFD (decomposed), as macOS clients write it.
nfd_name="$(printf '\xe1\x84\x87\xe1\x85\xa9\xe1\x84\x80\xe1\x85\xa9\xe1\x84\x89\xe1\x85\xa5.txt')"  # 보고서.txt
printf 'report\n' > "$share/Projects/$nfd_name"
printf 'plan\n' > "$share/Projects/plan.md"
chgrp -R "$share_group" "$share"
chmod -R g+rw "$share"

run_install() {
  PATH="$shim:$PATH" FILEVAULT_INSTALL_ALLOW_NO_SYSTEMD=1 timeout 1200 "$repo/scripts/install.sh" "$@"
}

wait_ready() {
  for _ in $(seq 1 120); do
    curl -kfs -o /dev/null https://localhost/health/ready && return 0
    sleep 1
  done
  fail "https://localhost/health/ready (through nginx) did not answer 200 within 2 minutes"
}

api() {  # api METHOD PATH [curl args...]
  local method="$1" path="$2"; shift 2
  curl -kfsS -X "$method" -H "Authorization: Bearer $token" "https://localhost/api/v1$path" "$@"
}

sign_in() {
  local body
  body="$(jq -nc --arg e "$admin_email" --arg p "$admin_password" '{email: $e, password: $p}')"
  token="$(curl -kfsS -H 'Content-Type: application/json' -d "$body" https://localhost/api/v1/auth/token | jq -r .access_token)"
  { [ -n "$token" ] && [ "$token" != null ]; } || fail "signing in as $admin_email through nginx gave no access token"
}

# search WORD: waits until the API's search finds an entry named with WORD (the share was scanned).
# serving RELEASE: the process on 127.0.0.1:5000 runs as filevault from RELEASE; prints its pid.
expect_serving() {
  local release="$1" pid
  pid="$(ss -Hltnp 'sport = :5000' | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)"
  [ -n "$pid" ] || fail "nothing listens on 127.0.0.1:5000"
  [ "$(stat -c %U "/proc/$pid")" = filevault ] || fail "the app (pid $pid) runs as $(stat -c %U "/proc/$pid"), not filevault"
  [ "$(readlink -f "/proc/$pid/cwd")" = "$release" ] || fail "the app (pid $pid) runs from $(readlink -f "/proc/$pid/cwd"), not $release"
  echo "$pid"
}

expect_found() {
  local word="$1" found=0
  for _ in $(seq 1 90); do
    found="$(api GET "/search" -G --data-urlencode "q=$word" | jq '.total')" || found=0
    [ "${found:-0}" -ge 1 ] && return 0
    sleep 1
  done
  fail "search for '$word' found nothing within 90 s: the share was not indexed"
}

command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq; }

# --- 1. the first install -------------------------------------------------------------------------------------------
admin_email=admin@install.test
say "first install (share $share)"
run_install --files "$share" --share-group "$share_group" --admin-email "$admin_email" --server-name localhost
wait_ready
say "ready through nginx over TLS"
curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' http://localhost/ | grep -q '^301 https://' \
  || fail "http://localhost/ does not redirect to HTTPS"

admin_password="$(sed -n 's/^ *password: *//p' "$FILEVAULT_SHIM_STATE/filevault.log" | tail -n 1)"
[ -n "$admin_password" ] || fail "no generated admin password in the service's output ($FILEVAULT_SHIM_STATE/filevault.log)"
sign_in
say "signed in as $admin_email"
expect_found "회의록"
expect_found "보고서"   # NFC query for the NFD name
say "the share is indexed: search finds the Korean names (NFC and NFD)"
roots="$(api GET /roots)"
printf '%s' "$roots" | jq -e 'length >= 1' >/dev/null || fail "GET /api/v1/roots lists no folder: $roots"
runuser -u filevault -- touch "$share/written-by-the-service-user" || fail "the service user cannot write the share"
rm -f "$share/written-by-the-service-user"

first_release="$(readlink -f /opt/filevault/current)"
first_pid="$(expect_serving "$first_release")"
[ "$(stat -c '%a %U:%G' /etc/filevault/filevault.env)" = "640 root:filevault" ] \
  || fail "/etc/filevault/filevault.env is $(stat -c '%a %U:%G' /etc/filevault/filevault.env), not 640 root:filevault"
say "first release: $first_release, served by pid $first_pid as filevault"

# --- 2. the upgrade -------------------------------------------------------------------------------------------------
sleep 1  # release directories are named by the second
say "upgrade: install.sh again"
run_install
wait_ready
second_release="$(readlink -f /opt/filevault/current)"
[ "$second_release" != "$first_release" ] || fail "the upgrade did not switch to a new release directory"
[ -d "$first_release" ] || fail "the previous release $first_release was removed (a rollback needs it)"
second_pid="$(expect_serving "$second_release")"
[ "$second_pid" != "$first_pid" ] || fail "the app was not restarted by the upgrade (still pid $first_pid)"
! kill -0 "$first_pid" 2>/dev/null || fail "the old build (pid $first_pid) still runs after the upgrade"
ls /var/backups/filevault/before-"$(basename "$second_release")".dump >/dev/null 2>&1 \
  || fail "no database backup taken before the upgrade in /var/backups/filevault"
[ -s /var/backups/filevault/before-"$(basename "$second_release")".dump ] || fail "the pre-upgrade backup is empty"
sign_in
expect_found "회의록"
say "after the upgrade: $second_release serves, $first_release kept, backup taken, the same admin signs in, the catalog is there"

# --- 3. an upgrade whose migration fails leaves the running build alone ----------------------------------------------
# The database refuses the service's role (NOLOGIN): `migrate` fails, as a broken migration would. The running app
# keeps its open connections; what is checked is that install.sh stops before the switch and the restart.
say "an upgrade whose migration fails"
runuser -u postgres -- psql -q -c "ALTER ROLE filevault NOLOGIN"
sleep 1
if run_install > "$tmp/failed-upgrade.log" 2>&1; then
  cat "$tmp/failed-upgrade.log" >&2; fail "install.sh succeeded although its migration could not connect"
fi
runuser -u postgres -- psql -q -c "ALTER ROLE filevault LOGIN"
grep -q "migration failed; the running version is unchanged" "$tmp/failed-upgrade.log" \
  || { cat "$tmp/failed-upgrade.log" >&2; fail "install.sh failed, but not at the migration"; }
[ "$(readlink -f /opt/filevault/current)" = "$second_release" ] || fail "a failed migration still switched /opt/filevault/current"
kill -0 "$second_pid" 2>/dev/null || fail "a failed migration still stopped the running app (pid $second_pid)"
wait_ready
say "the failed upgrade stopped at the migration: $second_release still current, pid $second_pid still serving"
