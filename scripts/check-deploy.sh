#!/usr/bin/env bash
# Validates the deployment files without a Docker engine, offline, in a few seconds; run by the test suite
# (FileVault.Tests/Deployment/DeploymentFilesTests.cs) and by hand after editing any of them:
#
#   scripts/check-deploy.sh [DIR]      DIR: a checkout (default: this one)
#
# - docker-compose*.yml: each file against the Compose Specification's JSON schema and dclint's rules (dclint; the
#   client here has no `docker compose` plugin to run `docker compose config`). Rules left out, in
#   scripts/lint/.dclintrc: key and service ordering (style); build together with image (image names what build
#   makes, so a production upgrade is a new tag); unbound port interfaces (the interface is ${FILEVAULT_BIND},
#   which dclint cannot see through); a name in every file (the override files take the base file's).
# - Dockerfile: parsed and validated by dockerfile-utils (no hadolint in Debian or npm), plus the checklist
#   hadolint would not know: two stages, a non-root USER, a HEALTHCHECK, the storage root as a VOLUME.
# - docker-compose*.yml and .env.example together (scripts/lint/compose-wiring.mjs): every variable read without a
#   default is listed in .env.example, and the `search` profile's Meilisearch is wired to the app.
# - scripts/*.sh and scripts/test-install/systemctl (the stand-in systemctl of test-install.sh): shellcheck.
# - scripts/filevault.service: systemd-analyze verify.
# - the nginx.conf that scripts/install.sh renders: nginx -t (the shipped one has its own test, NginxConfigTests).
#
# The linters come from scripts/lint/package-lock.json (npm ci; scripts/test.sh installs them) and Debian
# (shellcheck, systemd, nginx, openssl). Prints one line per check and exits non-zero when any failed.
# The check functions below are called through `check`, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(cd "${1:-$here}" && pwd)"
lint="$here/scripts/lint"
failed=0

check() {
  local name="$1"; shift
  local output
  if output="$("$@" 2>&1)"; then
    printf 'ok: %s\n' "$name"
  else
    printf 'FAILED: %s\n%s\n' "$name" "$output"
    failed=1
  fi
}

# dockerfile-utils exits 0 whatever it finds; anything it prints is a finding.
dockerfile_utils_silent() {
  local output
  output="$("$lint/node_modules/.bin/dockerfile-utils" lint "$1" 2>&1)" || { printf '%s\n' "$output"; return 1; }
  [ -z "$output" ] || { printf '%s\n' "$output"; return 1; }
}

dockerfile_checklist() {
  local file="$1" problems=()
  [ "$(grep -c '^FROM ' "$file")" -ge 2 ] || problems+=("not multi-stage: the SDK would ship in the image")
  grep -q '^FROM .* AS build' "$file" || problems+=("no named build stage")
  local user
  user="$(grep '^USER ' "$file" | tail -n 1 | awk '{print $2}')"
  [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || problems+=("the last USER is not a non-root user")
  grep -q '^HEALTHCHECK ' "$file" || problems+=("no HEALTHCHECK")
  grep -q '^VOLUME /srv/files' "$file" || problems+=("the storage root /srv/files is not a VOLUME")
  grep -q 'apt-get install' "$file" && ! grep -q 'rm -rf /var/lib/apt/lists' "$file" && problems+=("apt lists left in a layer")
  [ ${#problems[@]} -eq 0 ] || { printf '%s\n' "${problems[@]}"; return 1; }
}

installed_nginx_conf() {
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  mkdir -p "$work/files"
  "$dir/scripts/make-cert.sh" "$work/certs" >/dev/null || return 1
  "$dir/scripts/install.sh" --files "$work/files" --certs "$work/certs" --render-nginx-to "$work/nginx.conf" || return 1
  # As not installed: its own pid and logs, and workers as whoever runs this.
  sed -i -e '/^user /d' -e "s|/var/run/nginx.pid|$work/nginx.pid|" -e "s|/var/log/nginx/|$work/|g" "$work/nginx.conf"
  nginx -t -q -p "$work/" -c "$work/nginx.conf" -g "error_log $work/error.log;" 2>&1 | grep -v '^$' && return 1
  return 0
}

[ -x "$lint/node_modules/.bin/dclint" ] || { echo "FAILED: linters not installed: (cd scripts/lint && npm ci)"; exit 1; }

check "compose files (dclint: schema and rules)" "$lint/node_modules/.bin/dclint" -c "$lint/.dclintrc" --color false "$dir"/docker-compose*.yml
check "compose variables and the search profile (compose-wiring.mjs)" node "$lint/compose-wiring.mjs" "$dir"
check "Dockerfile syntax (dockerfile-utils)" dockerfile_utils_silent "$dir/Dockerfile"
check "Dockerfile checklist" dockerfile_checklist "$dir/Dockerfile"
check "shellcheck scripts/*.sh" shellcheck -f gcc "$dir"/scripts/*.sh "$dir"/scripts/test-install/systemctl
check "systemd-analyze verify filevault.service" systemd-analyze verify "$dir/scripts/filevault.service"
check "nginx -t of the nginx.conf install.sh installs" installed_nginx_conf
exit "$failed"
