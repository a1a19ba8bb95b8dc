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

# The broker-restart suite runs alone, because it stops and starts the broker under every
# other test's connections; then everything else, in parallel.
swift test --skip-build --filter BrokerRestartTests
swift test --skip-build --skip BrokerRestartTests
