#!/usr/bin/env bash
# Installs what mts-relay needs to build and run on Debian (the Swift toolchain is assumed),
# then makes sure a RabbitMQ server and a PostgreSQL server answer on 127.0.0.1. Safe to run
# again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# systemd provides systemd-analyze, which the tests use to rate the unit's hardening; openssl
# makes the TLS tests' certificates (scripts/make-test-certs.sh); postgresql is the store the
# PostgreSQL tests use (scripts/start-postgresql.sh); prometheus brings promtool, whose parser
# the /metrics test runs on a real scrape.
packages=(pkg-config librabbitmq-dev libsqlite3-dev rabbitmq-server systemd python3 gcc openssl postgresql prometheus)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  # policy-rc.d may refuse to start the service at install time (containers); start-rabbitmq
  # starts it afterwards either way.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/start-rabbitmq.sh
bash scripts/start-postgresql.sh
