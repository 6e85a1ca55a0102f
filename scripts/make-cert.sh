#!/usr/bin/env bash
# A self-signed TLS certificate for trying FileVault on this machine or a test network:
#
#   scripts/make-cert.sh [DIR] [NAME...]
#
# writes DIR/fullchain.pem and DIR/privkey.pem (DIR defaults to ./certs, what docker-compose.yml mounts into nginx
# as /etc/nginx/certs), valid for localhost, 127.0.0.1, this machine's host name and every NAME given (host names
# or IP addresses). Browsers warn about it until it is trusted by hand; in production use a certificate from the
# company's CA or Let's Encrypt under the same two file names (docs/operations.md).
set -euo pipefail

dir=${1:-certs}
shift || true
command -v openssl >/dev/null || { echo "make-cert.sh: openssl is needed (apt-get install openssl)" >&2; exit 1; }

names=(localhost 127.0.0.1 "$(hostname)" "$@")
san=""
declare -A seen=()
for name in "${names[@]}"; do
    [[ -n $name && -z ${seen[$name]:-} ]] || continue
    seen[$name]=1
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then
        san+="${san:+,}IP:$name"
    else
        san+="${san:+,}DNS:$name"
    fi
done

mkdir -p "$dir"
# The key is made beside its final name and moved into place, so a reader never sees half a key.
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 825 \
    -subj "/CN=${names[2]:-localhost}/O=FileVault self-signed" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/privkey.pem.tmp" -out "$dir/fullchain.pem.tmp" 2>/dev/null
# nginx reads the key as root before dropping privileges; the certificate is public.
chmod 600 "$dir/privkey.pem.tmp"
chmod 644 "$dir/fullchain.pem.tmp"
mv "$dir/privkey.pem.tmp" "$dir/privkey.pem"
mv "$dir/fullchain.pem.tmp" "$dir/fullchain.pem"
echo "make-cert.sh: $dir/fullchain.pem and $dir/privkey.pem for $san"
