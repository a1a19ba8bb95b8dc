#!/usr/bin/env bash
# Builds the Debian package (scripts/package.sh), installs it with apt-get, and checks it as an
# operator's host would see it, then purges it:
#   1. check-config passes on the installed /etc/mts-relay/mts-relay.yaml with only the broker
#      URL set;
#   2. ldd shows no Swift runtime library (from the toolchain or anywhere);
#   3. systemd-analyze verify accepts the installed unit;
#   4. the installed binary runs end to end against the local broker with no Swift toolchain on
#      its PATH (env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin): mts-sim (built from the tree) plays
#      platform and MTS, and `mts-sim check` compares the relay's file sink with what it owed;
#   5. apt-get purge removes it and its configuration.
# Needs root (apt-get) and the broker of scripts/setup.sh. MTS_RELAY_SKIP_BUILD=1 packages the
# existing release build; MTS_RELAY_DEB=path tests a package already built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { echo "test-package: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent LANG=C.UTF-8)

bash scripts/setup.sh >&2
deb="${MTS_RELAY_DEB:-}"
[ -n "$deb" ] || deb="$(bash scripts/package.sh | tail -1)"
[ -f "$deb" ] || fail "no package at $deb"
swift build --product mts-sim >&2
sim="$(swift build --show-bin-path)/mts-sim"

work="$(mktemp -d /tmp/mts-relay-test-package.XXXXXX)"
relay_pid=""
cleanup() {
  local status=$?
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then kill -TERM "$relay_pid"; wait "$relay_pid" || true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mts-relay >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

say "installing $deb"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(realpath "$deb")" >&2
dpkg -s mts-relay | grep -E '^(Version|Depends):' >&2
[ -x /usr/bin/mts-relay ] || fail "/usr/bin/mts-relay is not installed"
[ "$(stat -c %a /etc/mts-relay/env)" = 600 ] || fail "/etc/mts-relay/env is not mode 0600"
getent passwd mts-relay >/dev/null || fail "no mts-relay user"
[ -d /var/lib/mts-relay ] || fail "no /var/lib/mts-relay"
[ -f /usr/share/bash-completion/completions/mts-relay ] || fail "no bash completion"
[ -f /usr/share/man/man1/mts-relay.1.gz ] || fail "no man page"
"${clean_env[@]}" /usr/bin/mts-relay --version >&2

say "1. check-config on the installed configuration, only MTS_RELAY_BROKER_URL set"
as_root "${clean_env[@]}" MTS_RELAY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/ \
  /usr/bin/mts-relay check-config --config /etc/mts-relay/mts-relay.yaml >"$work/check-config.out" \
  || fail "check-config: $(cat "$work/check-config.out")"

say "2. ldd: no Swift runtime"
ldd /usr/bin/mts-relay >"$work/ldd.out"
cat "$work/ldd.out" >&2
if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|toolchain' "$work/ldd.out"; then
  fail "the binary links a Swift runtime library"
fi
grep -q "not found" "$work/ldd.out" && fail "a library is missing"

say "3. systemd-analyze verify on the installed unit"
systemd-analyze verify --man=no /lib/systemd/system/mts-relay.service 2>"$work/verify.out" \
  || fail "systemd-analyze verify: $(cat "$work/verify.out")"
if grep -q "mts-relay.service:" "$work/verify.out"; then fail "$(cat "$work/verify.out")"; fi

say "4. end to end: the installed binary, no toolchain on PATH"
tag="pkg-test-$$"
cat >"$work/relay.yaml" <<YAML
broker: {url: "amqp://guest:guest@127.0.0.1:5672/", connectionName: $tag}
intake: {queue: $tag.intake}
replies: {queues: [$tag.replies]}
deadLetter: {exchange: $tag.dlx, queue: $tag.dlq}
store: {path: $work/pending.sqlite}
timeouts: {ticket-cancel: 3000}
sinks: [{type: file, name: results, path: $work/results.jsonl}]
metrics: {intervalSeconds: 1}
YAML
"${clean_env[@]}" /usr/bin/mts-relay run --config "$work/relay.yaml" >"$work/relay.log" 2>&1 &
relay_pid=$!
for _ in $(seq 1 100); do
  grep -q "is ready" "$work/relay.log" && break
  kill -0 "$relay_pid" 2>/dev/null || fail "the relay exited: $(tail -5 "$work/relay.log")"
  sleep 0.2
done
grep -q "is ready" "$work/relay.log" || fail "the relay did not get ready: $(tail -5 "$work/relay.log")"
grep "mts-relay starting" "$work/relay.log" >&2
"$sim" run --intake "$tag.intake" --replies "$tag.replies" --count 200 --rate 200 --prefix "$tag" \
  --manifest "$work/manifest.jsonl" --drop 0.1 --duplicate 0.05 --unsolicited 0.05 --malformed 0.05 \
  --timeouts ticket-cancel=3000 --max-timeout-wait-ms 3000 --unmatched-grace-ms 2000 >&2
"$sim" check --manifest "$work/manifest.jsonl" --check "$work/results.jsonl" --wait-seconds 30 >&2 \
  || fail "mts-sim check: the relay's results differ from what the run owed"
kill -TERM "$relay_pid"
wait "$relay_pid" || fail "the relay exited with $? on SIGTERM"
relay_pid=""
for queue in intake replies dlq; do
  as_root rabbitmqctl -q delete_queue "$tag.$queue" >/dev/null 2>&1 || true
done

say "5. purge"
as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mts-relay >&2
[ ! -e /usr/bin/mts-relay ] || fail "purge left /usr/bin/mts-relay"
[ ! -e /etc/mts-relay ] || fail "purge left /etc/mts-relay"
say "PASS ($deb)"
