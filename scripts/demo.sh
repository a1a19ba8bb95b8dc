#!/usr/bin/env bash
# The README's first command: sets up what is missing, starts RabbitMQ on 127.0.0.1 when none
# answers, builds (release), and runs the main job: mts-relay on config/demo.yaml while
# mts-sim plays platform and MTS for ~20 s with every fate (matched, reply-first, timeout,
# late, duplicate, unmatched, invalid). Then `mts-sim check` compares the relay's file sink
# with what the run owed, and a short summary is printed. Exit status 1 when the check fails.
#
# The relay's stdout sink and its log go to var/relay.log. The relay runs on
# var/demo-relay.yaml: the demo's config (config/demo.yaml, which stays as it is) plus a jackpot
# section pointing at the Bet Engine `mts-sim jackpot` plays on 127.0.0.1:18089, so the demo
# places jackpot tickets too (every answer of the table, a wrong body, never a POST twice). Each run starts fresh: the demo queues are purged, var/pending.sqlite removed,
# var/results.jsonl truncated, and the correlation ids get a new prefix.
#   MTS_RELAY_DEMO_SECONDS (20)  MTS_RELAY_DEMO_RATE (200 exchanges/s)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${MTS_RELAY_DEMO_SECONDS:-20}"
rate="${MTS_RELAY_DEMO_RATE:-200}"
config=var/demo-relay.yaml
jackpot_port="${MTS_RELAY_DEMO_JACKPOT_PORT:-18089}"
relay_pid=""
say() { echo "demo: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

stop_relay() {
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
  fi
  relay_pid=""
}
trap stop_relay EXIT
trap 'exit 130' INT TERM

bash scripts/setup.sh
mkdir -p var   # the demo's configuration keeps its store and result file here
say "building mts-relay and mts-sim (release; the first build takes several minutes)"
swift build -c release --product mts-relay
swift build -c release --product mts-sim
relay=.build/release/mts-relay
sim=.build/release/mts-sim

# A fresh start: no messages left by an earlier run, no pending requests, no old results.
for queue in mts-relay.intake mts-relay.replies mts-relay.dead-letter mts-relay.jackpot; do
  as_root rabbitmqctl -q purge_queue "$queue" >/dev/null 2>&1 || true
done
rm -f var/pending.sqlite var/pending.sqlite-wal var/pending.sqlite-shm var/relay.log
rm -f var/pending.jackpot.sqlite var/pending.jackpot.sqlite-wal var/pending.jackpot.sqlite-shm
: >var/results.jsonl

# The demo's configuration plus the jackpot side (the Bet Engine is mts-sim's; a demo secret).
cp config/demo.yaml "$config"
cat >>"$config" <<YAML

jackpot:
  queue: mts-relay.jackpot
  url: http://127.0.0.1:$jackpot_port/be/tickets
  operatorName: demo-operator
  timeoutMs: 5000
YAML
MTS_RELAY_JACKPOT_SECRET="demo-secret-$RANDOM$RANDOM"
export MTS_RELAY_JACKPOT_SECRET

"$relay" check-config --config "$config" >/dev/null
say "starting mts-relay (log and stdout sink: var/relay.log)"
"$relay" run --config "$config" >var/relay.log 2>&1 &
relay_pid=$!
for _ in $(seq 1 50); do
  grep -q "is ready" var/relay.log 2>/dev/null && break
  kill -0 "$relay_pid" 2>/dev/null || { tail -20 var/relay.log; say "mts-relay exited"; exit 1; }
  sleep 0.2
done

prefix="demo-$(date +%H%M%S)-$RANDOM"
manifest="var/demo-$prefix.manifest.jsonl"
# Mixed scenario. drop and late go to ticket-cancel only (its 5 s timeout in the config;
# --max-timeout-wait-ms keeps them off the 17 s ticket placements), so they show within the run.
say "running mts-sim jackpot alongside: 200 jackpot tickets at 10/s against its Bet Engine on port $jackpot_port"
jackpot_status=0
"$sim" jackpot --queue mts-relay.jackpot --port "$jackpot_port" --count 200 --rate 10 \
  --prefix "jp-$prefix" --results var/results.jsonl --timeout-ms 5000 --wait-seconds 30 \
  >var/demo-jackpot.out 2>&1 &
jackpot_pid=$!
say "running mts-sim for ${seconds}s at $rate exchanges/s, prefix $prefix"
"$sim" run --duration "$seconds" --rate "$rate" --prefix "$prefix" --manifest "$manifest" \
  --drop 0.04 --late 0.04 --duplicate 0.04 --unsolicited 0.03 --malformed 0.03 \
  --reply-first 0.04 --anonymous-malformed 0.2 --error-replies 0.05 \
  --timeouts ticket-cancel=5000 --max-timeout-wait-ms 5000 | tail -n 4

say "checking var/results.jsonl against the run's manifest"
check_status=0
.build/release/mts-sim check --manifest "$manifest" --check var/results.jsonl --wait-seconds 30 \
  >var/demo-check.out 2>&1 || check_status=$?
wait "$jackpot_pid" || jackpot_status=$?
stop_relay

echo
echo "== mts-relay demo summary (prefix $prefix) =="
python3 scripts/lib/relaystats.py demo-summary var/results.jsonl "$prefix" var/relay.log
python3 - "$prefix" <<'PY'
import json, sys
from datetime import datetime
prefix, times = sys.argv[1], []
for line in open("var/results.jsonl"):
    try: r = json.loads(line)
    except ValueError: continue
    if (r.get("correlationId") or "").startswith(prefix) and r.get("repliedAt"):
        times.append(datetime.fromisoformat(r["emittedAt"].replace("Z", "+00:00")).timestamp())
if len(times) > 1:
    span = max(times) - min(times)
    print(f"throughput: {len(times)} replies with a request in {span:.1f} s = {len(times)/span:.0f} replies/s (the simulator's pace, timeouts' tail included)")
PY
grep -E "^(jackpot|Bet Engine)" var/demo-jackpot.out | grep -v "jackpot check:" || true
grep -E "^jackpot\.(sent|answered|retried|outcomeUnknown)" <(grep "msg=metrics" var/relay.log | tail -1 | tr ' ' '\n') \
  | tr '\n' ' ' | sed 's/^/relay jackpot metrics: /; s/ $/\n/' || true
tail -n 3 var/demo-check.out
if [ "$check_status" = 0 ]; then
  echo "check: PASS (every correlation id got the outcomes it was owed)"
else
  echo "check: FAIL (exit $check_status; see var/demo-check.out)"
fi
grep -E "^jackpot check:" var/demo-jackpot.out || echo "jackpot check: FAIL (exit $jackpot_status; see var/demo-jackpot.out)"
[ "$check_status" = 0 ] || exit "$check_status"
exit "$jackpot_status"
