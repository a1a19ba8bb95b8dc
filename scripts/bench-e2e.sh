#!/usr/bin/env bash
# End-to-end benchmark, in one run on the same broker (127.0.0.1:5672, guest/guest):
#   1. ceiling: Benchmarks/ceiling/ceiling.c (raw librabbitmq, -O2), two at once, drains N
#      pre-filled requests and N replies at the relay's default prefetch (1 000), acking per message, then with
#      multiple=true every 100; the broker's CPU (beam.smp) is read around it and around the
#      relay's drain, for the CPU per message of each;
#      fill: the same tool publishes 2N persistent messages (confirm mode, at most FILL_WINDOW
#      unconfirmed) into two queues, then mts-sim publishes N requests and their N replies
#      with the same window, back to back, three rounds: the ratio of their messages/s;
#   2. relay: N requests and their N replies pre-filled (as after a downtime), the release
#      mts-relay (decode, validate, register, match, log of results committed, ack; the file
#      sink reads the log with an fsync per batch)
#      drains both queues, with the built-in timeouts: event time matches every pair however
#      long the fill took;
#   3. live: mts-sim at 25 %, 50 %, 90 % of the batched ceiling for BENCH_LIVE_SECONDS each,
#      relayLatencyMs from the relay's 1 s metrics lines. The ceiling is in messages/s and an
#      exchange is two messages (a request and its reply), so X % of it is X/2 % exchanges/s;
#      each row prints asked and achieved, and flags a row below 95 % of the asked rate;
#      control: mts-sim at the same rates while the C tool, not the relay, drains both queues
#      (what the generator and the broker reach without the relay's share of the cores);
#   4. resident memory with 10 000 pending.
# Replies are mts-sim's (real ticket/cancel/casino replies, a few hundred bytes each).
# Pre-filling is never timed. Queues are BENCH-<pid>-*, deleted at exit.
#   BENCH_N (50000)  BENCH_LIVE_SECONDS (15)  BENCH_LOW_RATE (1000 exchanges/s, an extra live point)
#   BENCH_PREFETCH (1000, the relay's default: the relay's and the ceiling's prefetch; the batched
#   ceiling acks every half)
#   BENCH_SKIP_BUILD=1 to use the existing builds  BENCH_KEEP=1 to keep the temp dir (logs)
#   BENCH_PROFILE=1 records the drain with perf (cpu-clock, call graphs) and prints its top costs
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

N="${BENCH_N:-50000}"
LIVE_SECONDS="${BENCH_LIVE_SECONDS:-15}"
PREFETCH="${BENCH_PREFETCH:-1000}"
ACK_EVERY=$((PREFETCH / 2))   # batched ceiling: multiple=true every prefetch/2 deliveries
FILL_WINDOW=4096         # unconfirmed publishes at most, for the C fill and mts-sim alike
FILL_BODY=390            # bytes: mts-sim's mean message (requests ~432, replies ~350)
PENDING_PROBE=10000
LOW_RATE="${BENCH_LOW_RATE:-1000}"   # an extra live point well below what mts-sim can reach
tag="bench-$$"
work="$(mktemp -d /tmp/mts-relay-bench.XXXXXX)"
relay_pid=""
control_pids=""
say() { echo "bench: $*" >&2; }

cleanup() {
  local status=$?
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true
  fi
  for pid in $control_pids; do kill "$pid" 2>/dev/null || true; done
  if [ -x "$work/ceiling" ]; then
    "$work/ceiling" --delete "$tag.intake" "$tag.replies" "$tag.idle" "$tag.dlq" \
      "$tag.ceil" "$tag.ceil-intake" "$tag.fill-intake" "$tag.fill-replies" "$tag.ctl-intake" "$tag.ctl-replies" "exchange:$tag.dlx" 2>/dev/null || say "could not delete the $tag.* queues"
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
    --in-flight "$FILL_WINDOW" \
    >"$work/fill.out" 2>&1 || { cat "$work/fill.out" >&2; exit 1; }
}

load_before="$(uptime)"
# ---- 1. ceiling ------------------------------------------------------------------------
# Two C consumers at once, one on each queue, as the relay drains its intake and its replies:
# the rate is 2N messages over the time until both are done. The broker's CPU (beam.smp,
# user + system) is read around each drain, so each side's CPU per message can be compared.
beam_cpu() {
  local pid; pid="$(pgrep -o beam.smp || true)"
  [ -n "$pid" ] && awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$pid/stat" || echo 0
}
declare -A C
for mode in per-message batched; do
  every=1; [ "$mode" = batched ] && every=$ACK_EVERY
  say "ceiling ($mode): pre-filling $N requests and $N replies"
  fill "$N" "$tag.ceil-intake" "$tag.ceil"
  beam0="$(beam_cpu)"; t0="$(date +%s.%N)"
  "$work/ceiling" "$tag.ceil-intake" "$N" "$PREFETCH" "$every" >"$work/ceil-intake.out" &
  intake_pid=$!
  "$work/ceiling" "$tag.ceil" "$N" "$PREFETCH" "$every" >"$work/ceil-replies.out"
  wait "$intake_pid"
  t1="$(date +%s.%N)"; beam1="$(beam_cpu)"
  say "ceiling ($mode): intake $(cat "$work/ceil-intake.out"); replies $(cat "$work/ceil-replies.out")"
  C[$mode.rate]="$(python3 -c "print(2 * $N / ($t1 - $t0))")"
  C[$mode.broker_cpu]="$(python3 -c "print($beam1 - $beam0)")"
  for k in cpu_user cpu_sys maxrss_kib; do
    C[$mode.$k]="$(cat "$work/ceil-intake.out" "$work/ceil-replies.out" | sed -n "s/.* $k=\([0-9.]*\).*/\1/p" \
      | python3 -c "import sys; v = [float(x) for x in sys.stdin]; print(max(v) if '$k' == 'maxrss_kib' else sum(v))")"
  done
  C[$mode.maxrss_kib]="${C[$mode.maxrss_kib]%.*}"
  "$work/ceiling" --delete "$tag.ceil-intake" "$tag.ceil"
done

# ---- 1b. fill: C and mts-sim publish the same load, back to back, three rounds ---------
# The order alternates (C first, then mts-sim first, ...) so that a drift in the machine's
# load does not favour either; the ratio is that of the means.
declare -a FILL_C FILL_SIM
fill_c() {
  local out
  out="$("$work/ceiling" --fill "$tag.fill-intake,$tag.fill-replies" $((2 * N)) "$FILL_BODY" "$FILL_WINDOW")"
  say "fill, round $1: $out"
  FILL_C+=("$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$out")")
  "$work/ceiling" --delete "$tag.fill-intake" "$tag.fill-replies"
}
fill_sim() {
  fill "$N" "$tag.fill-intake" "$tag.fill-replies"
  FILL_SIM+=("$(sed -n 's/^elapsed .* messages, \([0-9.]*\) msg\/s.*/\1/p' "$work/fill.out")")
  say "fill, round $1: mts-sim ${FILL_SIM[-1]} messages/s"
  "$work/ceiling" --delete "$tag.fill-intake" "$tag.fill-replies"
}
for round in 1 2 3; do
  if [ $((round % 2)) = 1 ]; then fill_c $round; fill_sim $round; else fill_sim $round; fill_c $round; fi
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
  beam0="$(beam_cpu)"
  drain="$(stats drain "$work/results.jsonl" "$N" "$relay_pid" 600)"
  drain_broker_cpu="$(python3 -c "print($(beam_cpu) - $beam0)")"
  stop_relay
fi
# The store after the drain: N tombstones (within retentionSeconds) and N records in the log.
drain_store_kib="$(du -sk "$work"/pending.sqlite* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
say "relay drain: $drain"

# ---- 3. live load ----------------------------------------------------------------------
fresh_state
start_relay drain
sleep 2
# Each live row starts with both queues empty (ready and unacknowledged): a backlog an earlier
# row left behind would otherwise be measured as this row's latency.
wait_drained() {
  local left=0 deadline=$((SECONDS + 180))
  while [ $SECONDS -lt $deadline ]; do
    left="$(rabbitmqctl list_queues -q name messages 2>/dev/null \
      | awk -v a="$tag.intake" -v b="$tag.replies" '$1 == a || $1 == b { s += $2 } END { print s + 0 }')"
    [ "$left" = 0 ] && return 0
    sleep 0.5
  done
  say "the queues still held $left messages after 180 s; measuring anyway"
}
declare -A L
batched_rate="${C[batched.rate]}"
for pct in 25 50 90 low; do
  # exchanges/s: X % of the ceiling's messages/s, two messages an exchange
  if [ "$pct" = low ]; then rate="$LOW_RATE"; else rate=$(( ${batched_rate%.*} * pct / 200 )); fi
  wait_drained
  say "live: mts-sim --rate $rate for ${LIVE_SECONDS}s"
  from=$(stat -c %s "$work/relay-drain.log")
  "$sim" run --rate "$rate" --duration "$LIVE_SECONDS" --intake "$tag.intake" --replies "$tag.replies" \
    --latency-ms 1 --prefix "$tag-live$pct" >"$work/live.out" 2>&1 \
    || { cat "$work/live.out" >&2; exit 1; }
  sleep 2   # one more metrics line for the tail of the run
  to=$(stat -c %s "$work/relay-drain.log")
  L[$pct.target]=$rate
  L[$pct.achieved]="$(sed -n 's/^publishing: .* s, \([0-9.]*\) requests\/s .*/\1/p' "$work/live.out")"
  say "live $pct %: $(grep '^publishing:' "$work/live.out")"
  L[$pct.lat]="$(stats latency "$work/relay-drain.log" "$from" "$to")"
  say "live $pct %: achieved ${L[$pct.achieved]}/s, ${L[$pct.lat]}"
done
live_rss="$(stats rss "$relay_pid")"
stop_relay

# ---- 3b. live control: the same rates, the C tool draining instead of the relay ---------
for pct in 25 50 90; do
  # A fill of one message each declares both queues (durable) before the consumers start.
  "$work/ceiling" --fill "$tag.ctl-intake,$tag.ctl-replies" 2 "$FILL_BODY" 1 >/dev/null
  control_pids=""
  for queue in "$tag.ctl-intake" "$tag.ctl-replies"; do
    # A count it never reaches: it drains until it is stopped.
    "$work/ceiling" "$queue" 1000000000 "$PREFETCH" "$ACK_EVERY" >/dev/null 2>&1 &
    control_pids="$control_pids $!"
  done
  "$sim" run --rate "${L[$pct.target]}" --duration "$LIVE_SECONDS" --intake "$tag.ctl-intake" \
    --replies "$tag.ctl-replies" --latency-ms 1 --prefix "$tag-ctl$pct" >"$work/control.out" 2>&1 \
    || { cat "$work/control.out" >&2; exit 1; }
  for pid in $control_pids; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  control_pids=""
  L[$pct.control]="$(sed -n 's/^publishing: .* s, \([0-9.]*\) requests\/s .*/\1/p' "$work/control.out")"
  say "live control $pct % (C consumer, no relay): achieved ${L[$pct.control]}/s"
  "$work/ceiling" --delete "$tag.ctl-intake" "$tag.ctl-replies"
done

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
  "${C[batched.broker_cpu]}" "${drain_broker_cpu:-0}" "${drain_store_kib:-0}" \
  "${C[per-message.rate]}" "${C[per-message.cpu_user]}" "${C[per-message.cpu_sys]}" "${C[per-message.maxrss_kib]}" \
  "${C[batched.rate]}" "${C[batched.cpu_user]}" "${C[batched.cpu_sys]}" "${C[batched.maxrss_kib]}" \
  "${L[25.target]}" "${L[25.achieved]}" "${L[25.lat]}" \
  "${L[50.target]}" "${L[50.achieved]}" "${L[50.lat]}" \
  "${L[90.target]}" "${L[90.achieved]}" "${L[90.lat]}" \
  "${L[low.target]}" "${L[low.achieved]}" "${L[low.lat]}" \
  "${FILL_C[*]}" "${FILL_SIM[*]}" "$FILL_WINDOW" "${L[25.control]} ${L[50.control]} ${L[90.control]}" \
  "$load_before" "$load_after" <<'PY'
import json, sys
broker_ceiling, broker_relay, store_kib = float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
a = sys.argv[1:6] + sys.argv[9:]
n, k = int(a[0]), a[1]
drain, live_rss, pend_rss = json.loads(a[2]), json.loads(a[3]), json.loads(a[4])
pm = dict(rate=float(a[5]), cpu=float(a[6]) + float(a[7]), rss=int(a[8]))
bt = dict(rate=float(a[9]), cpu=float(a[10]) + float(a[11]), rss=int(a[12]))
live = {p: (int(a[13 + 3*i]), float(a[14 + 3*i] or 0), json.loads(a[15 + 3*i])) for i, p in enumerate((25, 50, 90, "low"))}
fill_c, fill_sim = [float(x) for x in a[25].split()], [float(x) for x in a[26].split()]
mean = lambda xs: sum(xs) / len(xs)
control = dict(zip((25, 50, 90), (float(x) for x in a[28].split())))
fill_ratio = mean(fill_sim) / mean(fill_c)
per100k = lambda cpu, count: cpu / count * 100000
# The relay drains a request and a reply per pair: messages/s is twice its pairs/s.
relay_rate = 2 * drain["rate"]
ratio = relay_rate / bt["rate"]
mib = lambda kib: kib / 1024
print(f"\nmts-relay end-to-end benchmark: N={n}, prefetch {2 * int(k)}, batched acks every {k}, fill window {a[27]}")
print(f"load before: {a[-2].strip()}\nload after:  {a[-1].strip()}\n")
print(f"{'what':44} {'messages/s':>10} {'CPU s/100k':>11} {'peak RSS':>10}")
print(f"{'ceiling, per-message acks (C, librabbitmq)':44} {pm['rate']:>10.0f} {per100k(pm['cpu'], n):>11.2f} {mib(pm['rss']):>7.1f} MiB")
print(f"{'ceiling, batched acks (multiple every '+k+')':44} {bt['rate']:>10.0f} {per100k(bt['cpu'], n):>11.2f} {mib(bt['rss']):>7.1f} MiB")
print(f"{'mts-relay drain, requests + replies':44} {relay_rate:>10.0f} {per100k(drain['cpu'], 2 * drain['count']):>11.2f} {mib(drain['hwm_kib']):>7.1f} MiB")
print(f"  ({drain['rate']} pairs/s matched; file sink, fsync per batch; CPU per 100 000 messages)")
messages = 2 * drain["count"]
print(f"  context switches per 1 000 messages (all threads): voluntary {drain['voluntary_switches'] / messages * 1000:.0f}, involuntary {drain['involuntary_switches'] / messages * 1000:.0f}")
print(f"{'ratio relay / batched ceiling':44} {ratio:>10.2f}")
us = lambda cpu, count: cpu / count * 1e6
print(f"CPU per message, in microseconds: relay {us(drain['cpu'], messages):.1f}; broker while the relay drains "
      f"{us(broker_relay, messages):.1f} (while the batched ceiling drains {us(broker_ceiling, 2 * n):.1f}; the broker's share "
      f"includes the drains' start and end)")
print()
rounds = "  ".join(f"{c:.0f}" for c in fill_c)
print(f"{'fill, C (librabbitmq, publisher confirms)':44} {mean(fill_c):>10.0f}   rounds: {rounds}")
rounds = "  ".join(f"{x:.0f}" for x in fill_sim)
print(f"{'fill, mts-sim (requests + replies)':44} {mean(fill_sim):>10.0f}   rounds: {rounds}")
print(f"{'ratio mts-sim / C fill':44} {fill_ratio:>10.2f}")
print()
print(f"{'live load (mts-sim)':26} {'asked/s':>8} {'achieved/s':>10} {'of asked':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'no relay':>9}")
for p, (target, achieved, lat) in live.items():
    label = "fixed low rate" if p == "low" else f"{p} % of batched ceiling"
    share = achieved / target if target else 0
    flag = "" if share >= 0.95 else "  BELOW 95 % OF ASKED"
    if flag and p in control and control[p] >= 0.95 * target:
        flag += " (reached without the relay)"
    elif flag and 2 * target > mean(fill_c):
        flag += f" (asks {2 * target} messages/s, above the C fill's {mean(fill_c):.0f})"
    alone = f"{control[p] / target * 100:>8.1f}%" if p in control else f"{'':>9}"
    print(f"{label:26} {target:>8} {achieved:>10.0f} {share * 100:>7.1f}% {lat.get('p50', 0):>7.2f} {lat.get('p99', 0):>7.2f} {lat.get('max', 0):>7.2f} {alone}{flag}")
print("  (rates in exchanges/s = replies/s, each with its request on the intake: X % of the ceiling")
print("   asks X % of its messages/s, half requests, half replies. achieved: the requests mts-sim")
print("   published within the run's duration, per second (the broker's confirms may come later).")
print("   mts-sim publishes what is due every millisecond or so, as fast as it can when behind. p50: median")
print("   of the 1 s intervals' p50; p99, max: worst 1 s interval. no relay: mts-sim's achieved share of")
print("   the asked rate when the C tool drains both queues instead of the relay)")
print(f"store after the drain: {store_kib / 1024:.1f} MiB for {n} pairs, {store_kib * 1024 / n:.0f} bytes a pair "
      f"(its tombstone and its record in the log of results; the log keeps a record store.replayWindowSeconds)")
print(f"relay peak RSS after the live runs: {mib(live_rss['hwm_kib']):.1f} MiB")
print(f"relay with {10000} pending: RSS {mib(pend_rss['rss_kib']):.1f} MiB, peak {mib(pend_rss['hwm_kib']):.1f} MiB\n")
p99_50 = live[50][2].get("p99", float("inf"))
met = lambda ok: "met" if ok else "MISSED"
print(f"target relay >= 0.9 x batched ceiling:       {ratio:.2f} x   {met(ratio >= 0.9)}")
relay_cpu = per100k(drain["cpu"], 2 * drain["count"])
print(f"target relay CPU <= 15 us per message:       {relay_cpu * 10:.1f} us  {met(relay_cpu <= 1.5)}")
note = "" if live[50][1] >= 0.95 * live[50][0] else f" (at {live[50][1]:.0f}/s achieved, not {live[50][0]}/s)"
print(f"target p99 < 5 ms at 50 % of ceiling:        {p99_50:.2f} ms  {met(p99_50 < 5)}{note}")
print(f"target RSS < 64 MiB with 10 000 pending:     {mib(pend_rss['hwm_kib']):.1f} MiB  {met(pend_rss['hwm_kib'] < 64 * 1024)}")
print(f"target mts-sim fill >= 0.9 x C fill:         {fill_ratio:.2f} x   {met(fill_ratio >= 0.9)}")
below = [str(p) for p, (t, ach, _) in live.items() if p != "low" and ach < 0.95 * t]
print(f"target live rows >= 95 % of asked:           {'all' if not below else 'below at ' + ', '.join(p + ' %' for p in below)}  {met(not below)}")
below = [str(p) for p, ach in control.items() if ach < 0.95 * live[p][0]]
print(f"  the same, C tool draining, no relay:       {'all' if not below else 'below at ' + ', '.join(p + ' %' for p in below)}  {met(not below)}")
PY
