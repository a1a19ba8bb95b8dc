#!/usr/bin/env bash
# Makes the throwaway certificates of the TLS tests under var/tls/ (git-ignored), when any is
# missing; otherwise leaves them alone. Safe to run again. Everything here is for tests only:
# the keys are unencrypted and the CAs trust nothing real.
#
#   ca.pem, ca.key                      the test CA ("mts-relay test CA")
#   server.pem, server.key              the broker's: localhost and 127.0.0.1, signed by the test CA
#   client.pem, client.key              a client certificate (CN mts-relay-client, the EXTERNAL login)
#   expired.pem, expired.key            localhost and 127.0.0.1, signed by the test CA, expired
#   untrusted-ca.pem, untrusted-ca.key  a second CA that nothing trusts
#   untrusted-server.pem, .key          localhost and 127.0.0.1, signed by the untrusted CA
#   wronghost.pem, wronghost.key        signed by the test CA for wrong-host.invalid only
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${MTS_RELAY_TLS_DIR:-var/tls}"
files=(ca.pem ca.key server.pem server.key client.pem client.key expired.pem expired.key
  untrusted-ca.pem untrusted-ca.key untrusted-server.pem untrusted-server.key
  wronghost.pem wronghost.key)

complete=1
for file in "${files[@]}"; do
  [ -s "$dir/$file" ] || complete=0
done
if [ "$complete" = 1 ]; then
  exit 0
fi

command -v openssl >/dev/null 2>&1 || {
  echo "make-test-certs: openssl is missing (apt-get install openssl)" >&2
  exit 1
}

echo "make-test-certs: making the test CA and certificates in $dir"
rm -rf "$dir"
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/$1.key" -out "$dir/$1.pem" 2>/dev/null
}

leaf() { # name issuer subject days extensions
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$dir/$1.key" \
    -out "$work/$1.csr" 2>/dev/null
  printf '%s\n' "$5" >"$work/$1.ext"
  # -days -1 puts notAfter a day before notBefore: a certificate that has expired.
  openssl x509 -req -sha256 -in "$work/$1.csr" -CA "$dir/$2.pem" -CAkey "$dir/$2.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days "$4" -extfile "$work/$1.ext" \
    -out "$dir/$1.pem" 2>/dev/null
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1'
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

ca ca "mts-relay test CA"
ca untrusted-ca "mts-relay untrusted test CA"
leaf server ca localhost 3650 "$server_ext"
leaf client ca mts-relay-client 3650 "$client_ext"
leaf expired ca localhost -1 "$server_ext"
leaf untrusted-server untrusted-ca localhost 3650 "$server_ext"
leaf wronghost ca wrong-host.invalid 3650 "${server_ext/DNS:localhost,IP:127.0.0.1/DNS:wrong-host.invalid}"

chmod 0644 "$dir"/*.pem
chmod 0600 "$dir"/*.key
echo "make-test-certs: done"
