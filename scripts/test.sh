#!/usr/bin/env bash
# Sets up everything and runs every test: unit tests and the integration tests against a
# real RabbitMQ server on 127.0.0.1 (MTS_RELAY_AMQP_URL overrides the address).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "test: building (warnings in this package's sources fail the build)"
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$PWD/(Sources|Tests)/.*: warning:" "$log"; then
  echo "test: the build printed warnings (above); fix them" >&2
  exit 1
fi

swift test --skip-build
