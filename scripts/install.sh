#!/usr/bin/env bash
# Installs FileVault on one Debian machine (12 or newer) without Docker, or upgrades it: run as root from a checkout.
#
#   scripts/install.sh --files /mnt/fileserver [--server-name files.example.com] [--share-group GROUP]
#                      [--admin-email admin@example.com]
#   scripts/install.sh                   # again later, from a newer checkout: the upgrade
#
# First run: PostgreSQL, Redis and nginx from Debian's packages; a system user `filevault` that runs the service and
# can read and write the share (added to --share-group when the share is writable by a group); a database and a
# generated password; /etc/filevault/filevault.env; a self-signed certificate in /etc/nginx/certs unless one is
# there; the repository's nginx.conf as /etc/nginx/nginx.conf; the systemd unit. Every run: publish this checkout to
# /opt/filevault/releases/<time>-<commit>, back up the database, migrate it with the new build (`FileVault.Web
# migrate`: a failed migration stops here, with the old build still serving), point /opt/filevault/current at the
# new build, restart, and wait until /health/ready answers. The three newest releases are kept for a rollback
# (docs/operations.md, "Upgrades").
#
# Needs the .NET 10 SDK on this machine to build (scripts/ensure-dotnet.sh says how to get it); Node and npm for the
# browser libraries come from Debian.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

files="" server_name="" share_group="" admin_email="" render_nginx_to=""
certs=/etc/nginx/certs
app_url=http://127.0.0.1:5000
while [ $# -gt 0 ]; do
  case "$1" in
    # For scripts/check-deploy.sh: only write the nginx.conf this script would install (certificates from --certs) and stop.
    --render-nginx-to) render_nginx_to="${2:?}"; shift 2 ;;
    --certs) certs="${2:?}"; shift 2 ;;
    --files) files="${2:?--files needs a directory}"; shift 2 ;;
    --server-name) server_name="${2:?--server-name needs a host name}"; shift 2 ;;
    --share-group) share_group="${2:?--share-group needs a group}"; shift 2 ;;
    --admin-email) admin_email="${2:?--admin-email needs an address}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

service_user=filevault
prefix=/opt/filevault
config_dir=/etc/filevault
env_file="$config_dir/filevault.env"
backups=/var/backups/filevault

# The repository's nginx.conf, with the lines that name the compose containers and volumes pointed at this machine.
render_nginx() {
  sed -e 's|^user nginx;|user www-data;|' \
      -e "s|^\(\s*\)server app:8080;|\1server ${app_url#http://};|" \
      -e "s|^\(\s*\)alias /srv/files/;|\1alias \"$files/\";|" \
      -e "s|/etc/nginx/certs/|$certs/|g" \
      "$repo/nginx.conf"
}
if [ -n "$render_nginx_to" ]; then
  [ -n "$files" ] || die "--render-nginx-to needs --files"
  render_nginx > "$render_nginx_to"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 ...)"
[ -f /etc/debian_version ] || die "this script is for Debian; docs/operations.md lists the steps for other systems"
# FILEVAULT_INSTALL_ALLOW_NO_SYSTEMD=1 is a test hook, never for a real install: scripts/test-install.sh sets it
# together with a stand-in systemctl first in PATH (scripts/test-install/systemctl) on machines without systemd.
if [ "${FILEVAULT_INSTALL_ALLOW_NO_SYSTEMD:-}" = 1 ]; then
  say "test hook: not checking that systemd runs (FILEVAULT_INSTALL_ALLOW_NO_SYSTEMD=1); systemctl is $(command -v systemctl)"
else
  { command -v systemctl >/dev/null && [ -d /run/systemd/system ]; } || die "systemd is not running here"
fi

first_run=true
[ -f "$env_file" ] && first_run=false
if $first_run; then
  [ -n "$files" ] || die "the first run needs --files DIR, the mounted file server"
else
  # The storage root of an installed system stays what it was; --files on an upgrade must agree with it.
  installed_files="$(sed -n 's/^FileVault__Seed__StorageRoot="\(.*\)"$/\1/p' "$env_file")"
  [ -z "$files" ] || [ "$files" = "$installed_files" ] || die "--files $files differs from the installed storage root $installed_files ($env_file)"
  files="$installed_files"
fi
files="$(cd "$files" 2>/dev/null && pwd)" || die "$files is not a directory (is the share mounted?)"

# --- packages -------------------------------------------------------------------------------------------------------
# tzdata: each reader's time zone (the browser's IANA id) is looked up in /usr/share/zoneinfo.
packages=(postgresql redis-server nginx openssl curl tzdata)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# Node and npm by their commands, not Debian's package names: NodeSource's nodejs package brings its own npm and
# conflicts with Debian's, so asking apt for `npm` there fails the whole install.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$repo/scripts/ensure-dotnet.sh"
dotnet="$(readlink -f "$(command -v dotnet)")"
systemctl enable --now postgresql redis-server >/dev/null

# --- the service user and the share ---------------------------------------------------------------------------------
if ! id "$service_user" >/dev/null 2>&1; then
  say "creating the system user $service_user"
  useradd --system --home-dir /var/lib/filevault --no-create-home --shell /usr/sbin/nologin "$service_user"
fi
if [ -n "$share_group" ]; then
  getent group "$share_group" >/dev/null || die "group $share_group does not exist"
  usermod -a -G "$share_group" "$service_user"
  # nginx sends downloads from the share too (X-Accel-Redirect), as www-data, reading only.
  usermod -a -G "$share_group" www-data
fi
# Read, write and enter: what uploads, moves and the trash need. On CIFS the mount's uid=/gid=/file_mode/dir_mode decide
# this, not chmod (docs/operations.md, "Mounting the file server").
runuser -u "$service_user" -- test -r "$files" -a -w "$files" -a -x "$files" \
  || die "$service_user cannot read and write $files: mount it with uid=$(id -u "$service_user") (CIFS), give it a group the user is in (--share-group), or chown it"
runuser -u www-data -- test -r "$files" -a -x "$files" \
  || say "warning: nginx (www-data) cannot read $files; downloads will fail until it can (--share-group, or the mount's gid)"

# --- PostgreSQL and the configuration -------------------------------------------------------------------------------
install -d -m 0750 -o root -g "$service_user" "$config_dir"
if $first_run; then
  password="$(openssl rand -hex 24)"
  say "creating the PostgreSQL role and database filevault"
  if runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'filevault'" | grep -q 1; then
    runuser -u postgres -- psql -q -c "ALTER ROLE filevault WITH LOGIN PASSWORD '$password'"
  else
    runuser -u postgres -- psql -q -c "CREATE ROLE filevault WITH LOGIN PASSWORD '$password'"
  fi
  runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'filevault'" | grep -q 1 \
    || runuser -u postgres -- createdb -O filevault -E UTF8 -T template0 filevault
  # Values in double quotes: systemd's EnvironmentFile strips them, and the shell that migrates reads the same file.
  umask 027
  cat > "$env_file" <<EOF
# FileVault's settings, read by the service (EnvironmentFile) and by scripts/install.sh. Names as in appsettings.json,
# ':' written as '__' (README, "Configuration"). After a change: systemctl restart filevault
ASPNETCORE_URLS="$app_url"
ASPNETCORE_ENVIRONMENT="Production"
ConnectionStrings__Postgres="Host=127.0.0.1;Port=5432;Username=filevault;Password=$password;Database=filevault"
ConnectionStrings__Redis="127.0.0.1:6379,abortConnect=false"
FileVault__Seed__StorageRoot="$files"
FileVault__Downloads__AccelRedirectRoot="$files"
# nginx on this machine is the only proxy whose X-Forwarded-For/-Proto are believed.
FileVault__ForwardedHeaders__KnownProxies__0="127.0.0.1"
FILEVAULT_ADMIN_EMAIL="${admin_email:-admin@$(hostname -f 2>/dev/null || hostname)}"
EOF
  umask 022
  chown root:"$service_user" "$env_file"
  chmod 0640 "$env_file"
fi

# --- build ----------------------------------------------------------------------------------------------------------
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
release="$prefix/releases/$(date -u +%Y%m%d%H%M%S)-$commit"
say "publishing $commit to $release"
install -d -m 0755 "$prefix/releases"
dotnet publish "$repo/FileVault.Web/FileVault.Web.csproj" -c Release -p:UseAppHost=false -nologo -v quiet -o "$release"
install -d "$release/docs"
cp "$repo/docs/operations.md" "$release/docs/"
chown -R root:root "$release"

# --- migrate (after a backup) ---------------------------------------------------------------------------------------
if ! $first_run; then
  install -d -m 0700 "$backups"
  dump="$backups/before-$(basename "$release").dump"
  say "backing up the database to $dump"
  runuser -u postgres -- pg_dump -Fc filevault > "$dump"
fi
say "migrating the database"
# The new build, as the service user, with the service's settings; nothing has been switched yet.
install -d -m 0750 -o "$service_user" -g "$service_user" /var/lib/filevault
# shellcheck source=/dev/null
(set -a; . "$env_file"; set +a; cd "$release" && runuser -u "$service_user" -- "$dotnet" FileVault.Web.dll migrate) \
  || die "migration failed; the running version is unchanged (the new build stays in $release)"

# --- the service ----------------------------------------------------------------------------------------------------
unit=/etc/systemd/system/filevault.service
sed "s|/usr/bin/dotnet|$dotnet|" "$repo/scripts/filevault.service" > "$unit"
install -d /etc/systemd/system/filevault.service.d
cat > /etc/systemd/system/filevault.service.d/storage.conf <<EOF
# Written by scripts/install.sh: the share is the one place the service writes; start only once it is mounted.
[Unit]
RequiresMountsFor=$files
[Service]
ReadWritePaths=$files
EOF
if [ -n "$share_group" ]; then
  printf 'SupplementaryGroups=%s\n' "$share_group" >> /etc/systemd/system/filevault.service.d/storage.conf
fi
systemd-analyze verify "$unit" || die "systemd rejects $unit"

ln -sfn "$release" "$prefix/current.new"
mv -T "$prefix/current.new" "$prefix/current"
systemctl daemon-reload
systemctl enable filevault >/dev/null
systemctl restart filevault
say "waiting for FileVault to turn ready"
ready=false
for _ in $(seq 1 120); do
  if curl -fs -o /dev/null "$app_url/health/ready"; then ready=true; break; fi
  sleep 1
done
$ready || die "FileVault did not turn ready within 2 minutes: journalctl -u filevault -n 100"

# --- nginx ----------------------------------------------------------------------------------------------------------
install -d -m 0755 "$certs" /var/www/acme
if [ ! -f "$certs/fullchain.pem" ]; then
  say "no certificate in $certs: making a self-signed one (replace it: docs/operations.md, \"TLS certificates\")"
  "$repo/scripts/make-cert.sh" "$certs" ${server_name:+"$server_name"}
fi
[ -f /etc/nginx/nginx.conf.before-filevault ] || cp /etc/nginx/nginx.conf /etc/nginx/nginx.conf.before-filevault
render_nginx > /etc/nginx/nginx.conf.new
nginx -t -q -c /etc/nginx/nginx.conf.new || die "nginx rejects the rendered configuration (/etc/nginx/nginx.conf.new)"
mv /etc/nginx/nginx.conf.new /etc/nginx/nginx.conf
systemctl enable nginx >/dev/null
systemctl reload-or-restart nginx

# --- old releases ---------------------------------------------------------------------------------------------------
find "$prefix/releases" -mindepth 1 -maxdepth 1 -type d | sort | head -n -3 | while read -r old; do
  [ "$old" = "$(readlink -f "$prefix/current")" ] || rm -rf "$old"
done

say "FileVault $commit is running: https://${server_name:-$(hostname -f 2>/dev/null || hostname)}/"
if $first_run; then
  say "the first SuperAdmin's generated password is in the log once: journalctl -u filevault | grep -i password"
fi
