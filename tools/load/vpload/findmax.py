# SPDX-License-Identifier: MIT
"""--find-max: add bots step by step (the others keep recording) until a
criterion fails; the last step that passed is the result.

One step loop for every target; what differs is in a target object
(SimconfSteps here, janus_findmax.JanusSteps): how the run starts, where
a bot's files are, the send instant of a chunk's last frame, the
target's own figures and criteria, and how the run ends.

Criteria per step, over its measuring window (find_max.step_hold s after
its joins): frames lost inside vpbot (late + io_overflow, read live from
every meeting.json, + packets the kernel dropped at a bot's full socket
buffer), bots that failed, machine CPU, and the p99 of
send -> durable latency of the chunks written in the window (the chunk's
mtime against the send instant of its last frame, placed from the
timeline origin; no signal decoding while running)."""
import json
import math
import os
import time

import numpy as np

from . import analyze, costs, scenario

SETTLE_S = 2.0


def chunk_latencies(mdir, rate, send_ns_of, since_ns):
    """(inside-loss frames, [latency ms of chunks written after since_ns]);
    send_ns_of(origin_ns, end_sample) is the send instant of the frame
    that ends at end_sample, None when it cannot be placed."""
    f = rate // 50
    try:
        with open(os.path.join(mdir, "meeting.json"), encoding="utf-8") as fh:
            mj = json.load(fh)
    except (OSError, json.JSONDecodeError):
        return 0, []
    loss = sum(s.get("late", 0) + s.get("io_overflow", 0) // f for s in mj.get("streams", []))
    origin = analyze.iso_ns(mj.get("timeline_origin_utc"))
    lat = []
    if origin is None:
        return loss, lat
    for line in analyze.read_jsonl(os.path.join(mdir, "manifest.jsonl")):
        try:
            mt = os.stat(os.path.join(mdir, line["file"])).st_mtime_ns
        except OSError:
            continue
        if mt < since_ns:
            continue
        sent = send_ns_of(origin, line["start_sample"] + line["samples"])
        if sent is not None:
            lat.append((mt - sent) / 1e6)
    return loss, lat


class SimconfSteps:
    """simconf: every meeting declared up front, one bot per meeting; the
    send instants come from simconf's send log."""
    name = "simconf"

    def __init__(self, run):
        self.r = run
        self.t0s = {}

    def setup(self, top):
        self.r.setup(scenario.build(self.r.plan, top, None), top)

    def begin_measure(self):
        self.t0s = {}
        for e in analyze.read_jsonl(os.path.join(self.r.dir, "send.jsonl")):
            if e.get("event") == "bot_joined":
                self.t0s[e["meeting"]] = e["utc_ns"] - e.get("media_ns", 0)

    def bot_state(self, c, since_ns):
        rate = self.r.plan["rate"]
        f = rate // 50
        t0 = self.t0s.get(c.meeting)

        def send_ns_of(origin, end_sample):
            if t0 is None:
                return None
            base = (t0 - origin) * rate / 1e9
            k_last = math.floor((end_sample - base) / f) - 1
            return t0 + (k_last + 1) * analyze.FRAME_NS
        return chunk_latencies(analyze.meeting_dir(self.r.out, c.meeting), rate,
                               send_ns_of, since_ns)

    def figures(self, st, t0, t1):
        sc = costs.cpu_pct(self.r.samples, self.r.simconf.pid, t0, t1)
        n = st["streams"]
        st["simconf_cpu_pct_per_stream"] = round(sc / n, 5) if sc is not None and n else None

    def criteria(self, fm, st):
        return []

    def finish(self):
        pass


def _measure(r, tg, t0, t1, since_ns, loss_before):
    p = r.plan
    alive = [c for c in r.bots if c.poll() is None]
    tg.begin_measure()
    loss, lat = 0, []
    r.sample_udp()
    for c in r.bots:
        lo, la = tg.bot_state(c, since_ns)
        loss += lo + getattr(c, "udp_drops", 0)
        lat += la
    cpu = [costs.cpu_pct(r.samples, c.pid, t0, t1) for c in alive]
    cpu = [v for v in cpu if v is not None]
    pss = [m["pss_kb"] for c in alive for m in (costs.memory(r.mem, c.pid, t0, t1) or {},)
           if m.get("pss_kb")]
    streams = len(alive) * p["publishers"]
    st = {
        "bots": len(r.bots), "bots_running": len(alive),
        "bots_failed": sum(1 for c in r.bots if c.rc not in (None, 0)),
        "streams": streams,
        "machine_cpu_pct": costs.machine_pct(r.samples, t0, t1),
        "bot_cpu_pct_per_stream": round(sum(cpu) / streams, 4) if streams and cpu else None,
        "bot_pss_kb_p50": float(np.median(pss)) if pss else None,
        "inside_loss": loss - loss_before, "inside_loss_total": loss,
        "latency_p50_ms": float(np.percentile(lat, 50)) if lat else None,
        "latency_p99_ms": float(np.percentile(lat, 99)) if lat else None,
    }
    tg.figures(st, t0, t1)
    return st


def _verdict(fm, st, failed_before):
    why = []
    if st["inside_loss"] > fm["max_inside_loss"]:
        why.append(f"{st['inside_loss']} frames lost inside vpbot")
    if st["bots_failed"] > failed_before:
        why.append(f"{st['bots_failed'] - failed_before} bots failed")
    if fm["max_cpu_pct"] is not None and st["machine_cpu_pct"] is not None and \
            st["machine_cpu_pct"] >= fm["max_cpu_pct"]:
        why.append(f"machine CPU {st['machine_cpu_pct']:.0f} %")
    if st["latency_p99_ms"] is None:  # step_hold >= chunk_seconds (plan.py)
        why.append("no chunk written in the step: latency unknown")
    elif st["latency_p99_ms"] > fm["max_latency_p99_ms"]:
        why.append(f"latency p99 {st['latency_p99_ms']:.0f} ms")
    return why


def run(r, tg=None):
    """The step loop; tg: the target's hooks (default: simconf)."""
    tg = tg or SimconfSteps(r)
    p, fm = r.plan, r.plan["find_max"]
    top = p["limits"]["max_bots"]
    tg.setup(top)
    r.mark("start")
    steps, last_good, stop_why = [], None, None
    target, loss_before, failed_before = fm["start"], 0, 0
    deadline = time.monotonic() + p["limits"]["max_seconds"]
    while target <= top and not r.stop_asked:
        need = target - len(r.bots)
        if time.monotonic() + need / p["ramp"] + SETTLE_S + fm["step_hold"] > deadline:
            stop_why = "limits.max_seconds reached"
            break
        if not r.ramp(len(r.bots), need, p["limits"]["max_seconds"] + 30):
            break
        if not r.wait_until(time.monotonic() + SETTLE_S, f"step {len(steps) + 1} settle"):
            break
        since_ns = time.time_ns()
        r.mark("hold_start")
        t0 = time.monotonic()
        if not r.wait_until(t0 + fm["step_hold"], f"step {len(steps) + 1} ({target} bots)"):
            break
        r.mark("hold_end")
        st = _measure(r, tg, t0, time.monotonic(), since_ns, loss_before)
        why = _verdict(fm, st, failed_before) + tg.criteria(fm, st)
        st["passed"], st["failed_because"] = not why, why
        steps.append(st)
        loss_before, failed_before = st["inside_loss_total"], st["bots_failed"]
        if why:
            stop_why = "; ".join(why)
            break
        last_good = st
        target += fm["step"]
    else:
        if not r.stop_asked:
            stop_why = stop_why or f"limits.max_bots ({top}) reached"
    tg.finish()
    r.mark("end")
    return {"find_max": {"target": tg.name, "criteria": fm, "steps": steps,
                         "last_good": last_good,
                         "stopped_because": stop_why or (r.stop_asked and
                                                         f"interrupted ({r.stop_asked})")}}
