#!/usr/bin/env python3
"""Helpers for scripts/demo.sh and scripts/bench-e2e.sh: read mts-relay's metrics lines
(json or logfmt) and file sink, poll a running relay. Standard library only.

  relaystats.py wait-pending LOG N SECONDS      until a metrics line says pending >= N
  relaystats.py drain RESULTS N PID SECONDS     time the drain of N matched records (JSON out)
  relaystats.py rss PID                         VmHWM and VmRSS in KiB (JSON out)
  relaystats.py latency LOG FROM_BYTE [TO_BYTE] relayLatencyMs over the metrics lines (JSON out)
  relaystats.py demo-summary RESULTS PREFIX LOG
"""
import json
import os, re, sys, time

TICKS = os.sysconf("SC_CLK_TCK")


def metrics_lines(text):
    """Yields every metrics line of a log as a flat dict of dotted keys."""
    for raw in text.splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if obj.get("msg") != "metrics":
                continue
            flat = {}

            def walk(prefix, value):
                if isinstance(value, dict):
                    for k, v in value.items():
                        walk(f"{prefix}.{k}" if prefix else k, v)
                else:
                    flat[prefix] = value
            walk("", obj)
            yield flat
        elif "msg=metrics" in raw or 'message=metrics' in raw or " metrics " in f" {raw} ":
            flat = dict(re.findall(r'([\w.\-]+)=("[^"]*"|\S+)', raw))
            if flat.get("msg", flat.get("message", "")).strip('"') != "metrics" and "relayLatencyMs.p50" not in flat:
                continue
            yield flat


def num(v, default=0.0):
    try:
        return float(str(v).strip('"'))
    except (TypeError, ValueError):
        return default


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def context_switches(pid):
    """Voluntary and involuntary context switches of every thread of the process (each thread
    counts its own in /proc/PID/task/TID/status)."""
    voluntary = involuntary = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        involuntary += int(line.split()[1])
        except FileNotFoundError:
            continue  # a thread that ended meanwhile
    return voluntary, involuntary


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0])
    return {"hwm_kib": out.get("VmHWM", 0), "rss_kib": out.get("VmRSS", 0)}


def wait_pending(log, n, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(log) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        pendings = [num(m.get("pending")) for m in metrics_lines(text)]
        if pendings and pendings[-1] >= n:
            print(int(pendings[-1]))
            return 0
        time.sleep(0.2)
    print(f"relaystats: pending did not reach {n} within {seconds}s", file=sys.stderr)
    return 1


def drain(results, n, pid, seconds):
    """Polls the file sink every 5 ms. The clock and the CPU reading start when the first
    record is there (the relay's start-up and store loading are not counted) and stop when
    N matched records are."""
    deadline = time.time() + seconds
    matched, offset, buf = 0, 0, b""
    t0 = cpu0 = None
    first_count = 0
    while time.time() < deadline:
        try:
            with open(results, "rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            offset += len(chunk)
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            got = sum(1 for l in lines if b'"outcome":"matched"' in l)
            if t0 is None and got:
                t0, cpu0, first_count = time.time(), cpu_seconds(pid), got
                switches0 = context_switches(pid)
            matched += got
            if matched >= n:
                t1, cpu1 = time.time(), cpu_seconds(pid)
                switches1 = context_switches(pid)
                counted = matched - first_count
                secs = max(t1 - t0, 1e-6)
                out = {"count": counted, "seconds": round(secs, 3), "rate": round(counted / secs),
                       "cpu": round(cpu1 - cpu0, 3),
                       "voluntary_switches": switches1[0] - switches0[0],
                       "involuntary_switches": switches1[1] - switches0[1]}
                out.update(rss(pid))
                print(json.dumps(out))
                return 0
        else:
            time.sleep(0.005)
    print(f"relaystats: only {matched} of {n} matched records within {seconds}s", file=sys.stderr)
    return 1


def latency(log, start, end=None):
    with open(log, "rb") as f:
        f.seek(start)
        data = f.read() if end is None else f.read(end - start)
    lines = [m for m in metrics_lines(data.decode(errors="replace"))
             if num(m.get("relayLatencyMs.count")) > 0]
    if not lines:
        print(json.dumps({"intervals": 0}))
        return 0
    p50s = sorted(num(m["relayLatencyMs.p50"]) for m in lines)
    out = {
        "intervals": len(lines),
        "count": int(sum(num(m["relayLatencyMs.count"]) for m in lines)),
        "p50": p50s[len(p50s) // 2],  # median of the per-interval medians
        "p90": max(num(m["relayLatencyMs.p90"]) for m in lines),  # worst interval
        "p99": max(num(m["relayLatencyMs.p99"]) for m in lines),  # worst interval
        "max": max(num(m["relayLatencyMs.max"]) for m in lines),
    }
    print(json.dumps(out))
    return 0


def demo_summary(results, prefix, log):
    outcomes, replied_at = {}, []
    with open(results) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            cid = r.get("correlationId") or ""
            if not cid.startswith(prefix) and not (r.get("outcome") == "invalid" and not cid):
                continue
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
            if r.get("repliedAt") is not None or r.get("outcome") in ("unmatched", "invalid"):
                replied_at.append(r.get("emittedAt"))
    print("results per outcome (this run): " + "  ".join(
        f"{k}={outcomes.get(k, 0)}" for k in ("matched", "timeout", "late", "duplicate", "unmatched", "invalid")))
    with open(log, "rb") as f:
        text = f.read().decode(errors="replace")
    lines = [m for m in metrics_lines(text) if num(m.get("relayLatencyMs.count")) > 0]
    if lines:
        p50s = sorted(num(m["relayLatencyMs.p50"]) for m in lines)
        print("relay latency (ms, %d metrics intervals): p50 %.2f (median interval)  p90 %.2f  p99 %.2f  max %.2f (worst interval)" % (
            len(lines), p50s[len(p50s) // 2], max(num(m["relayLatencyMs.p90"]) for m in lines),
            max(num(m["relayLatencyMs.p99"]) for m in lines), max(num(m["relayLatencyMs.max"]) for m in lines)))
        waits = [m for m in lines if num(m.get("waitMs.count")) > 0]
        if waits:
            print("wait for a request or the intake watermark (ms, replies that waited: %d): p50 %.2f (median interval)  p99 %.2f  max %.2f" % (
                int(sum(num(m["waitMs.count"]) for m in waits)),
                sorted(num(m["waitMs.p50"]) for m in waits)[len(waits) // 2],
                max(num(m["waitMs.p99"]) for m in waits), max(num(m["waitMs.max"]) for m in waits)))
            print("  (by design, not in the relay latency: a reply-first or unknown reply waits for its request)")
    else:
        print("relay latency: no metrics line with replies yet")
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "wait-pending":
        return wait_pending(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "drain":
        return drain(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    if cmd == "rss":
        print(json.dumps(rss(int(argv[2]))))
        return 0
    if cmd == "latency":
        return latency(argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else None)
    if cmd == "demo-summary":
        return demo_summary(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
