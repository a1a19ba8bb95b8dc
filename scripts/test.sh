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

# Tests wait on conditions with deadlines (Tests/TestSupport/Waiting.swift); the only timed
# waits left are letTimePass calls, whose subject is time (a lease, a heartbeat, a stall), and
# sleeps marked "time passes". Anything else is a fixed sleep before an assertion: counted here.
fixed=$(grep -rnE 'Task\.sleep|usleep\(|Thread\.sleep' Tests --include='*.swift' \
  | grep -v '^Tests/TestSupport/' | grep -vE '^[^:]+:[0-9]+: *//' | grep -v 'time passes' || true)
timed=$(grep -rn 'letTimePass(' Tests --include='*.swift' | grep -vc '^Tests/TestSupport/' || true)
echo "test: fixed sleeps before assertions: $(printf '%s' "$fixed" | grep -c . || true); documented time-passing waits: $timed"
[ -z "$fixed" ] || printf '%s\n' "$fixed"

# The broker-restart and broker-alarm suites run alone, because they stop the broker or block
# its publishers under every other test's connections; then everything else, in parallel.
# Each run is bounded: a test that hangs fails the run in minutes instead of holding CI to its
# limit. swift test's child (the test binary) and the relays it started do not die with it:
# they are killed here.
bounded() { # seconds, swift test arguments...
  local limit=$1 status=0
  shift
  timeout -k 10 "$limit" swift test --skip-build "$@" || status=$?
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "test: swift test $* ran past ${limit}s; stopped" >&2
    pkill -9 -f MTSRelayPackageTests.xctest || true
    pkill -9 -f "/debug/mts-relay run" || true
  fi
  return "$status"
}

alarm_status=0
bounded 900 --no-parallel --filter "BrokerRestartTests|BrokerAlarmTests" || alarm_status=$?
# The alarm test clears its memory alarm itself; a run stopped half-way cannot, and every later
# test would hang on a blocked publisher: clear it here too (0.4 is RabbitMQ's default).
rabbitmqctl set_vm_memory_high_watermark 0.4 >/dev/null 2>&1 || true
[ "$alarm_status" = 0 ] || exit "$alarm_status"
# Two relays per test at ~800 pairs/s: alone, so that they neither load the timed tests of the
# other suites nor are loaded by them (a takeover has a 10 s bound).
bounded 900 --filter DaemonHighAvailabilityTests
# End-to-end suites whose verdicts depend on timing (a publisher's pace against the idle
# watermark, an HTTP client's timeout, a TLS refusal's bound, a lease of 3 s, a sink's retry
# backoff, a lease held through a fuzz run, a sink's backlog): one test at a time, so that 60 other suites
# running beside them on a 2-core machine cannot make them fail.
timed="SimulatorSmokeTests|HTTPSinkDaemonTests|SinkIsolationTests|DaemonTLSTests|DaemonEventTimeTests|PostgresLeaseTests|DaemonHostileInputTests|FileSinkFullDiskTests"
bounded 1200 --no-parallel --filter "$timed"
bounded 1800 --skip "BrokerRestartTests|BrokerAlarmTests|DaemonHighAvailabilityTests|$timed"

# The Debian package as an operator installs it: built (a release build, several minutes),
# installed, checked with no Swift toolchain on the PATH, run end to end, purged.
# MTS_RELAY_SKIP_PACKAGE=1 leaves it out of a local run.
if [ "${MTS_RELAY_SKIP_PACKAGE:-0}" = 1 ]; then
  echo "test: the package test was skipped (MTS_RELAY_SKIP_PACKAGE=1)"
else
  timeout -k 10 2400 bash scripts/test-package.sh
fi
