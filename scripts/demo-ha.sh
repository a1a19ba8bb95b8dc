#!/usr/bin/env bash
# Two relays, one group, a takeover (issue 15). Sets up RabbitMQ and PostgreSQL when missing,
# builds (release), then runs relays `a` and `b` on the example configuration with the store in
# PostgreSQL (store.url) and a group of their own: `a` takes the lease and consumes, `b` stands
# by. mts-sim plays platform and MTS; after MTS_RELAY_DEMO_HA_KILL_AFTER seconds `a` is killed
# with SIGKILL, and the script prints how long it took from the kill to b's first record. `a`
# is started again and comes back as the standby. At the end `mts-sim check` compares both
# relays' records (each relay writes its own file; repeats must be redelivered) with the run.
#
# Files: var/demo-ha/ (configurations, logs, records). Exit status 1 when the check fails.
#   MTS_RELAY_DEMO_HA_SECONDS (20)  MTS_RELAY_DEMO_HA_RATE (300 exchanges/s)
#   MTS_RELAY_DEMO_HA_KILL_AFTER (6)  MTS_RELAY_STORE_URL (the test database)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${MTS_RELAY_DEMO_HA_SECONDS:-20}"
rate="${MTS_RELAY_DEMO_HA_RATE:-300}"
kill_after="${MTS_RELAY_DEMO_HA_KILL_AFTER:-6}"
store_url="${MTS_RELAY_STORE_URL:-postgresql://mts_relay:mts_relay@127.0.0.1:5432/mts_relay}"
dir=var/demo-ha
declare -A pids=()
say() { echo "demo-ha: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
now_ms() { date +%s%3N; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

stop_all() {
  for node in "${!pids[@]}"; do
    kill -TERM "${pids[$node]}" 2>/dev/null || true
  done
  for node in "${!pids[@]}"; do
    wait "${pids[$node]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

bash scripts/setup.sh
say "building mts-relay and mts-sim (release; the first build takes several minutes)"
swift build -c release --product mts-relay
swift build -c release --product mts-sim
relay=.build/release/mts-relay
sim=.build/release/mts-sim

# A fresh start: no messages left by an earlier run, a group of its own in the database.
for queue in mts-relay.intake mts-relay.replies mts-relay.dead-letter; do
  as_root rabbitmqctl -q purge_queue "$queue" >/dev/null 2>&1 || true
done
rm -rf "$dir"
mkdir -p "$dir"
group="demo-ha-$(date +%H%M%S)-$RANDOM"

# The demo's configuration, with the store in PostgreSQL and each relay's own node name and
# result file. The URL (with its password) stays in the environment, as in production.
for node in a b; do
  sed -e "s|path: var/results.jsonl|path: $dir/$node.jsonl|" \
    -e "s|^  group: default|  group: $group\n  node: $node|" \
    -e '/^  - type: stdout/,/^    name: stdout/d' \
    config/demo.yaml >"$dir/$node.yaml"
  MTS_RELAY_STORE_URL="$store_url" "$relay" check-config --config "$dir/$node.yaml" >/dev/null
done

start() { # node
  MTS_RELAY_STORE_URL="$store_url" "$relay" run --config "$dir/$1.yaml" >>"$dir/$1.log" 2>&1 &
  pids[$1]=$!
}
wait_for() { # node, text, count
  for _ in $(seq 1 150); do
    [ "$(grep -c "$2" "$dir/$1.log" 2>/dev/null || true)" -ge "$3" ] && return 0
    kill -0 "${pids[$1]}" 2>/dev/null || { tail -20 "$dir/$1.log"; say "relay $1 exited"; exit 1; }
    sleep 0.2
  done
  say "relay $1 did not log '$2' in 30 s"
  exit 1
}

say "starting relay a (group $group); it takes the lease"
start a
wait_for a "is ready" 1
say "starting relay b; it stands by"
start b
wait_for b "is standing by" 1

prefix="demo-ha-$(date +%H%M%S)-$RANDOM"
manifest="$dir/$prefix.manifest.jsonl"
say "running mts-sim for ${seconds}s at $rate exchanges/s (replies 5..50 ms after their requests)"
"$sim" run --duration "$seconds" --rate "$rate" --prefix "$prefix" --manifest "$manifest" \
  >"$dir/sim.out" 2>&1 &
sim_pid=$!

sleep "$kill_after"
before=$(size "$dir/b.jsonl")
killed_at=$(now_ms)
say "SIGKILL to relay a (pid ${pids[a]})"
kill -KILL "${pids[a]}"
wait "${pids[a]}" 2>/dev/null || true
unset 'pids[a]'
took=""
for _ in $(seq 1 600); do
  if [ "$(size "$dir/b.jsonl")" -gt "$before" ]; then
    took=$(($(now_ms) - killed_at))
    break
  fi
  sleep 0.05
done
[ -n "$took" ] || { say "relay b wrote no record within 30 s of the kill"; tail -20 "$dir/b.log"; exit 1; }
say "takeover: $took ms from the kill to relay b's first record"
say "starting relay a again; it stands by"
start a
wait_for a "is standing by" 2

wait "$sim_pid"
tail -n 3 "$dir/sim.out"
say "checking both relays' records against the run's manifest"
check_status=1
for _ in $(seq 1 30); do
  cat "$dir/a.jsonl" "$dir/b.jsonl" >"$dir/results.jsonl" 2>/dev/null || true
  if "$sim" check --manifest "$manifest" --check "$dir/results.jsonl" >"$dir/check.out" 2>&1; then
    check_status=0
    break
  fi
  sleep 1
done
stop_all
pids=()

echo
echo "== mts-relay high-availability demo (group $group, prefix $prefix) =="
echo "takeover after SIGKILL: $took ms (kill to the new active's first record; lease 5000 ms)"
for node in a b; do
  records=$(grep -c "\"$prefix" "$dir/$node.jsonl" 2>/dev/null || true)
  echo "relay $node: $records records; $(grep -c 'Took the group' "$dir/$node.log") terms; log $dir/$node.log"
done
tail -n 3 "$dir/check.out"
if [ "$check_status" = 0 ]; then
  echo "check: PASS (every correlation id got the outcomes it was owed; repeats only redelivered)"
else
  echo "check: FAIL (see $dir/check.out)"
fi
exit "$check_status"
