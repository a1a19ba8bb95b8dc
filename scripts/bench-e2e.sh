#!/usr/bin/env bash
# End-to-end benchmark, in one run on the same broker (127.0.0.1:5672, guest/guest):
#   1. ceiling: Benchmarks/ceiling/ceiling.c (raw librabbitmq, -O2) drains N pre-filled
#      replies at prefetch 200, acking per message, then with multiple=true every 100;
#   2. relay: N requests and their N replies pre-filled (as after a downtime), the release
#      mts-relay (decode, validate, register, match, file sink with fsync per batch, ack)
#      drains both queues, with the built-in timeouts: event time matches every pair however
#      long the fill took;
#   3. live: mts-sim at 25 %, 50 %, 90 % of the batched ceiling for BENCH_LIVE_SECONDS each,
#      relayLatencyMs from the relay's 1 s metrics lines;
#   4. resident memory with 10 000 pending.
# Replies are mts-sim's (real ticket/cancel/casino replies, a few hundred bytes each).
# Pre-filling is never timed. Queues are BENCH-<pid>-*, deleted at exit.
#   BENCH_N (50000)  BENCH_LIVE_SECONDS (15)  BENCH_LOW_RATE (1000 exchanges/s, an extra live point)
#   BENCH_SKIP_BUILD=1 to use the existing builds  BENCH_KEEP=1 to keep the temp dir (logs)
#   BENCH_PROFILE=1 records the drain with perf (cpu-clock, call graphs) and prints its top costs
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

N="${BENCH_N:-50000}"
LIVE_SECONDS="${BENCH_LIVE_SECONDS:-15}"
PREFETCH=200
ACK_EVERY=100            # batched ceiling: multiple=true every prefetch/2 deliveries
PENDING_PROBE=10000
LOW_RATE="${BENCH_LOW_RATE:-1000}"   # an extra live point well below what mts-sim can reach
tag="bench-$$"
work="$(mktemp -d /tmp/mts-relay-bench.XXXXXX)"
relay_pid=""
say() { echo "bench: $*" >&2; }

cleanup() {
  local status=$?
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true
  fi
  if [ -x "$work/ceiling" ]; then
    "$work/ceiling" --delete "$tag.intake" "$tag.replies" "$tag.idle" "$tag.dlq" \
      "$tag.ceil" "$tag.ceil-intake" "exchange:$tag.dlx" 2>/dev/null || say "could not delete the $tag.* queues"
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/start-rabbitmq.sh >&2
say "building the ceiling consumer and (release) mts-relay, mts-sim"
cc -O2 -Wall -o "$work/ceiling" Benchmarks/ceiling/ceiling.c $(pkg-config --cflags --libs librabbitmq)
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product mts-relay >&2
  swift build -c release --product mts-sim >&2
fi
relay="$root/.build/release/mts-relay"
sim="$root/.build/release/mts-sim"
stats() { python3 "$root/scripts/lib/relaystats.py" "$@"; }
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# $1 = name, $2 = reply queue, $3 = more YAML. The drain keeps the built-in timeouts
# (ticket-placement 17 s): the replies' own timestamps decide, not when the relay reads them.
write_config() {
  cat >"$work/$1.yaml" <<YAML
broker:
  url: amqp://guest:guest@127.0.0.1:5672/
  connectionName: $tag
intake:
  queue: $tag.intake
  prefetch: $PREFETCH
replies:
  queues: [$2]
  prefetch: $PREFETCH
deadLetter:
  exchange: $tag.dlx
  queue: $tag.dlq
store:
  path: $work/pending.sqlite
sinks:
  - type: file
    name: results-file
    path: $work/results.jsonl
log:
  format: json
  level: info
metrics:
  intervalSeconds: 1
${3:-}
YAML
}
write_config drain "$tag.replies"
# The memory probe holds 10 000 requests pending with nothing to answer them (an idle reply
# queue): timeouts of an hour, so that none resolves while it is measured.
write_config register "$tag.idle" "timeouts: {default: 3600000, ticket-placement: 3600000, ticket-cancel: 3600000}"

start_relay() { "$relay" run --config "$work/$1.yaml" >>"$work/relay-$1.log" 2>&1 & relay_pid=$!; }
stop_relay() { kill -TERM "$relay_pid"; wait "$relay_pid" || { say "relay exited with $?"; }; relay_pid=""; }
fresh_state() { rm -f "$work"/pending.sqlite* "$work/results.jsonl"; "$work/ceiling" --delete "$tag.intake" "$tag.replies" >/dev/null; }
# fill COUNT INTAKE REPLIES: mts-sim publishes COUNT requests and their replies (all normal)
fill() {
  "$sim" run --count "$1" --intake "$2" --replies "$3" --latency-ms 1 --prefix "$tag-$RANDOM" \
    >"$work/fill.out" 2>&1 || { cat "$work/fill.out" >&2; exit 1; }
}

load_before="$(uptime)"
# ---- 1. ceiling ------------------------------------------------------------------------
declare -A C
for mode in per-message batched; do
  every=1; [ "$mode" = batched ] && every=$ACK_EVERY
  say "ceiling ($mode): pre-filling $N replies"
  fill "$N" "$tag.ceil-intake" "$tag.ceil"
  out="$("$work/ceiling" "$tag.ceil" "$N" "$PREFETCH" "$every")"
  say "$out"
  for k in rate cpu_user cpu_sys maxrss_kib; do
    C[$mode.$k]="$(sed -n "s/.* $k=\([0-9.]*\).*/\1/p" <<<"$out")"
  done
  "$work/ceiling" --delete "$tag.ceil-intake" "$tag.ceil"
done

# ---- 2. relay drain --------------------------------------------------------------------
fresh_state
say "relay: pre-filling $N requests and $N replies"
fill "$N" "$tag.intake" "$tag.replies"
say "relay: draining $N requests and $N replies"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  # perf with the software cpu-clock event (no hardware counters in this VM), call graphs.
  perf record -q -e cpu-clock -F 2000 -g -o "$work/perf.data" \
    "$relay" run --config "$work/drain.yaml" >>"$work/relay-drain.log" 2>&1 &
  relay_pid=$!
  for _ in $(seq 1 100); do pgrep -P "$relay_pid" >/dev/null && break; sleep 0.05; done
  drain="$(stats drain "$work/results.jsonl" "$N" "$(pgrep -P "$relay_pid")" 600)"
  kill -TERM "$(pgrep -P "$relay_pid")"; wait "$relay_pid" || true; relay_pid=""
  perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -8 >&2 || true
  perf report -i "$work/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep '%' | head -40 >&2 || true
  say "profile: $work/perf.data, kept with BENCH_KEEP=1 (a profiled drain is slower: its figures are not the benchmark's)"
else
  start_relay drain
  drain="$(stats drain "$work/results.jsonl" "$N" "$relay_pid" 600)"
  stop_relay
fi
say "relay drain: $drain"

# ---- 3. live load ----------------------------------------------------------------------
fresh_state
start_relay drain
sleep 2
declare -A L
batched_rate="${C[batched.rate]}"
for pct in 25 50 90 low; do
  if [ "$pct" = low ]; then rate="$LOW_RATE"; else rate=$(( ${batched_rate%.*} * pct / 100 )); fi
  say "live: mts-sim --rate $rate for ${LIVE_SECONDS}s"
  from=$(stat -c %s "$work/relay-drain.log")
  "$sim" run --rate "$rate" --duration "$LIVE_SECONDS" --intake "$tag.intake" --replies "$tag.replies" \
    --latency-ms 1 --prefix "$tag-live$pct" >"$work/live.out" 2>&1 \
    || { cat "$work/live.out" >&2; exit 1; }
  sleep 2   # one more metrics line for the tail of the run
  to=$(stat -c %s "$work/relay-drain.log")
  L[$pct.target]=$rate
  L[$pct.achieved]="$(sed -n 's/.*(\([0-9.]*\) requests\/s).*/\1/p' "$work/live.out" | head -1)"
  L[$pct.lat]="$(stats latency "$work/relay-drain.log" "$from" "$to")"
  say "live $pct %: achieved ${L[$pct.achieved]}/s, ${L[$pct.lat]}"
done
live_rss="$(stats rss "$relay_pid")"
stop_relay

# ---- 4. memory with 10 000 pending -----------------------------------------------------
fresh_state
fill "$PENDING_PROBE" "$tag.intake" "$tag.replies"
start_relay register
stats wait-pending "$work/relay-register.log" "$PENDING_PROBE" 300 >/dev/null
sleep 1
pending_rss="$(stats rss "$relay_pid")"
stop_relay
load_after="$(uptime)"

# ---- table -----------------------------------------------------------------------------
python3 - "$N" "$ACK_EVERY" "$drain" "$live_rss" "$pending_rss" \
  "${C[per-message.rate]}" "${C[per-message.cpu_user]}" "${C[per-message.cpu_sys]}" "${C[per-message.maxrss_kib]}" \
  "${C[batched.rate]}" "${C[batched.cpu_user]}" "${C[batched.cpu_sys]}" "${C[batched.maxrss_kib]}" \
  "${L[25.target]}" "${L[25.achieved]}" "${L[25.lat]}" \
  "${L[50.target]}" "${L[50.achieved]}" "${L[50.lat]}" \
  "${L[90.target]}" "${L[90.achieved]}" "${L[90.lat]}" \
  "${L[low.target]}" "${L[low.achieved]}" "${L[low.lat]}" "$load_before" "$load_after" <<'PY'
import json, sys
a = sys.argv[1:]
n, k = int(a[0]), a[1]
drain, live_rss, pend_rss = json.loads(a[2]), json.loads(a[3]), json.loads(a[4])
pm = dict(rate=float(a[5]), cpu=float(a[6]) + float(a[7]), rss=int(a[8]))
bt = dict(rate=float(a[9]), cpu=float(a[10]) + float(a[11]), rss=int(a[12]))
live = {p: (int(a[13 + 3*i]), float(a[14 + 3*i] or 0), json.loads(a[15 + 3*i])) for i, p in enumerate((25, 50, 90, "low"))}
per100k = lambda cpu, count: cpu / count * 100000
# The relay drains a request and a reply per pair: messages/s is twice its pairs/s.
relay_rate = 2 * drain["rate"]
ratio = relay_rate / bt["rate"]
mib = lambda kib: kib / 1024
print(f"\nmts-relay end-to-end benchmark: N={n}, prefetch 200, batched acks every {k}")
print(f"load before: {a[-2].strip()}\nload after:  {a[-1].strip()}\n")
print(f"{'what':44} {'messages/s':>10} {'CPU s/100k':>11} {'peak RSS':>10}")
print(f"{'ceiling, per-message acks (C, librabbitmq)':44} {pm['rate']:>10.0f} {per100k(pm['cpu'], n):>11.2f} {mib(pm['rss']):>7.1f} MiB")
print(f"{'ceiling, batched acks (multiple every '+k+')':44} {bt['rate']:>10.0f} {per100k(bt['cpu'], n):>11.2f} {mib(bt['rss']):>7.1f} MiB")
print(f"{'mts-relay drain, requests + replies':44} {relay_rate:>10.0f} {per100k(drain['cpu'], 2 * drain['count']):>11.2f} {mib(drain['hwm_kib']):>7.1f} MiB")
print(f"  ({drain['rate']} pairs/s matched; file sink, fsync per batch; CPU per 100 000 messages)")
messages = 2 * drain["count"]
print(f"  context switches per 1 000 messages (all threads): voluntary {drain['voluntary_switches'] / messages * 1000:.0f}, involuntary {drain['involuntary_switches'] / messages * 1000:.0f}")
print(f"{'ratio relay / batched ceiling':44} {ratio:>10.2f}")
print()
print(f"{'live load (mts-sim)':26} {'asked/s':>8} {'achieved/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
for p, (target, achieved, lat) in live.items():
    label = "fixed low rate" if p == "low" else f"{p} % of batched ceiling"
    print(f"{label:26} {target:>8} {achieved:>10.0f} {lat.get('p50', 0):>7.2f} {lat.get('p99', 0):>7.2f} {lat.get('max', 0):>7.2f}")
print("  (rates in exchanges/s = replies/s, each with its request on the intake; mts-sim publishes")
print("   as fast as it can when asked for more than it reaches. p50: median of the 1 s intervals'")
print("   p50; p99, max: worst 1 s interval)")
print(f"relay peak RSS after the live runs: {mib(live_rss['hwm_kib']):.1f} MiB")
print(f"relay with {10000} pending: RSS {mib(pend_rss['rss_kib']):.1f} MiB, peak {mib(pend_rss['hwm_kib']):.1f} MiB\n")
p99_50 = live[50][2].get("p99", float("inf"))
met = lambda ok: "met" if ok else "MISSED"
print(f"target relay >= 0.9 x batched ceiling:       {ratio:.2f} x   {met(ratio >= 0.9)}")
note = "" if live[50][1] >= 0.95 * live[50][0] else f" (at {live[50][1]:.0f}/s achieved, not {live[50][0]}/s)"
print(f"target p99 < 5 ms at 50 % of ceiling:        {p99_50:.2f} ms  {met(p99_50 < 5)}{note}")
print(f"target RSS < 64 MiB with 10 000 pending:     {mib(pend_rss['hwm_kib']):.1f} MiB  {met(pend_rss['hwm_kib'] < 64 * 1024)}")
PY
