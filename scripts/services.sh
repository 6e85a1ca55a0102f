#!/usr/bin/env bash
# Private PostgreSQL and Redis instances for FileVault, bound to 127.0.0.1 on project ports.
#
#   scripts/services.sh start|stop|status|env
#
# Installs PostgreSQL (15+, with contrib for pg_trgm) and Redis from the OS packages when missing.
# Data lives in <repo>/.data, or, where the postgres user cannot reach the repo (a clone under a
# private home or mktemp folder), under /var/lib/filevault/<repo path>/ so two clones never collide.
# Idempotent: starting what already runs is a no-op. Sourcing this file defines the functions and
# variables without running anything.
#
# Environment: FILEVAULT_PG_PORT (default 55432), FILEVAULT_REDIS_PORT (default 56379),
#              FILEVAULT_DATA_DIR (default <repo>/.data).
set -euo pipefail

FV_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FV_PG_PORT="${FILEVAULT_PG_PORT:-55432}"
FV_REDIS_PORT="${FILEVAULT_REDIS_PORT:-56379}"
FV_DATA="${FILEVAULT_DATA_DIR:-$FV_REPO/.data}"

fv_say() { printf '[services] %s\n' "$*" >&2; }
fv_die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

fv_is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the user that owns the PostgreSQL cluster (postgres when we are root).
fv_as_pg() {
  if fv_is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

fv_pg_bindir() {
  local dir best="" bestver=0 ver
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] || continue
    ver="$(basename "$(dirname "$dir")")"
    ver="${ver%%.*}"
    if [ "$ver" -ge 15 ] && [ "$ver" -gt "$bestver" ]; then best="$dir"; bestver="$ver"; fi
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

fv_apt_install() {
  command -v apt-get >/dev/null 2>&1 || fv_die "cannot install $*: apt-get not found. Install them with your package manager and run again."
  fv_is_root || fv_die "cannot install $*: installing OS packages needs root. Run 'sudo apt-get install $*' and run again."
  fv_say "installing $* (apt-get)"
  apt-get update -qq >&2 || fv_die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || fv_die "apt-get could not install $*"
}

fv_ensure_packages() {
  local missing=()
  if [ -z "$(fv_pg_bindir)" ]; then missing+=(postgresql postgresql-contrib); fi
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then fv_apt_install "${missing[@]}"; fi
  [ -n "$(fv_pg_bindir)" ] || fv_die "PostgreSQL 15 or newer was not found under /usr/lib/postgresql after install"
  local ver; ver="$(basename "$(dirname "$(fv_pg_bindir)")")"
  if [ ! -f "/usr/share/postgresql/$ver/extension/pg_trgm.control" ]; then
    fv_apt_install postgresql-contrib
  fi
}

# Where the cluster lives: inside the repo when the cluster's owner can reach it, else a folder
# named after the repo path.
fv_pg_home() {
  if ! fv_is_root; then printf '%s\n' "$FV_DATA/pg"; return; fi
  mkdir -p "$FV_DATA"
  if runuser -u postgres -- test -x "$FV_DATA" 2>/dev/null; then
    printf '%s\n' "$FV_DATA/pg"
  else
    local key
    key="$(printf '%s' "$FV_DATA" | sed 's#[^A-Za-z0-9._-]#_#g')"
    printf '%s\n' "/var/lib/filevault/$key/pg"
  fi
}

fv_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fv_pg_running() {
  local home; home="$(fv_pg_home)"
  [ -f "$home/data/PG_VERSION" ] && fv_as_pg "$(fv_pg_bindir)/pg_ctl" -D "$home/data" status >/dev/null 2>&1
}

fv_redis_running() {
  [ -f "$FV_DATA/redis/redis.pid" ] && kill -0 "$(cat "$FV_DATA/redis/redis.pid")" 2>/dev/null
}

fv_start_pg() {
  local bin home
  bin="$(fv_pg_bindir)"; home="$(fv_pg_home)"
  if fv_pg_running; then fv_say "PostgreSQL already running on 127.0.0.1:$FV_PG_PORT ($home/data)"; return; fi
  if fv_port_busy "$FV_PG_PORT"; then
    fv_die "port $FV_PG_PORT is taken by another program; set FILEVAULT_PG_PORT to a free port"
  fi
  mkdir -p "$home/run"
  if fv_is_root; then chown -R postgres:postgres "$home"; fi
  chmod 700 "$home"
  if [ ! -f "$home/data/PG_VERSION" ]; then
    fv_say "creating PostgreSQL cluster in $home/data"
    # trust on loopback only: a private, per-clone development instance that listens on 127.0.0.1.
    fv_as_pg "$bin/initdb" -D "$home/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1 \
      || { cat "$home/initdb.log" >&2; fv_die "initdb failed"; }
  fi
  fv_as_pg "$bin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
    -o "-p $FV_PG_PORT -c listen_addresses=127.0.0.1 -k $home/run -c max_connections=300 -c fsync=on -c shared_buffers=256MB" \
    start >/dev/null || { tail -20 "$home/postgres.log" >&2; fv_die "PostgreSQL did not start"; }
  fv_say "PostgreSQL running on 127.0.0.1:$FV_PG_PORT ($home/data)"
}

fv_start_redis() {
  if fv_redis_running; then fv_say "Redis already running on 127.0.0.1:$FV_REDIS_PORT"; return; fi
  if fv_port_busy "$FV_REDIS_PORT"; then
    fv_die "port $FV_REDIS_PORT is taken by another program; set FILEVAULT_REDIS_PORT to a free port"
  fi
  mkdir -p "$FV_DATA/redis"
  redis-server --port "$FV_REDIS_PORT" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --dir "$FV_DATA/redis" --pidfile "$FV_DATA/redis/redis.pid" --logfile "$FV_DATA/redis/redis.log" \
    --save "" --appendonly no >/dev/null
  local _
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$FV_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      fv_say "Redis running on 127.0.0.1:$FV_REDIS_PORT"; return
    fi
    sleep 0.1
  done
  tail -20 "$FV_DATA/redis/redis.log" >&2 || true
  fv_die "Redis did not start"
}

fv_start() { fv_ensure_packages; fv_start_pg; fv_start_redis; }

fv_stop() {
  local bin home
  bin="$(fv_pg_bindir || true)"
  if [ -n "$bin" ] && fv_pg_running; then
    home="$(fv_pg_home)"
    fv_as_pg "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null && fv_say "PostgreSQL stopped"
  else
    fv_say "PostgreSQL not running"
  fi
  if fv_redis_running; then
    redis-cli -h 127.0.0.1 -p "$FV_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$FV_DATA/redis/redis.pid")"
    fv_say "Redis stopped"
  else
    fv_say "Redis not running"
  fi
}

fv_status() {
  local rc=0
  if [ -n "$(fv_pg_bindir || true)" ] && fv_pg_running; then
    echo "postgresql: running on 127.0.0.1:$FV_PG_PORT ($(fv_pg_home)/data)"
  else
    echo "postgresql: stopped"; rc=3
  fi
  if fv_redis_running; then
    echo "redis: running on 127.0.0.1:$FV_REDIS_PORT ($FV_DATA/redis)"
  else
    echo "redis: stopped"; rc=3
  fi
  return $rc
}

# Connection settings for the app and the tests, as environment assignments.
fv_env() {
  echo "ConnectionStrings__Postgres=Host=127.0.0.1;Port=$FV_PG_PORT;Username=postgres;Database=filevault"
  echo "ConnectionStrings__Redis=127.0.0.1:$FV_REDIS_PORT,abortConnect=false"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) fv_start ;;
    stop) fv_stop ;;
    status) fv_status ;;
    env) fv_env ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
  esac
fi
