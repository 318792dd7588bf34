# SPDX-License-Identifier: MIT
"""--find-max: add bots step by step (the others keep recording) until a
criterion fails; the last step that passed is the result.

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


def _bot_state(run, c, t0_ns_by_meeting, since_ns):
    """(inside-loss frames, [latency ms of chunks written after since_ns])"""
    mdir = os.path.join(run.out, f"sim-{c.meeting}")
    f = run.plan["rate"] // 50
    try:
        with open(os.path.join(mdir, "meeting.json"), encoding="utf-8") as fh:
            mj = json.load(fh)
    except (OSError, json.JSONDecodeError):
        return 0, []
    loss = sum(s.get("late", 0) + s.get("io_overflow", 0) // f for s in mj.get("streams", []))
    t0 = t0_ns_by_meeting.get(c.meeting)
    origin = analyze.iso_ns(mj.get("timeline_origin_utc"))
    lat = []
    if t0 is None or origin is None:
        return loss, lat
    base = (t0 - origin) * run.plan["rate"] / 1e9
    for line in analyze.read_jsonl(os.path.join(mdir, "manifest.jsonl")):
        try:
            mt = os.stat(os.path.join(mdir, line["file"])).st_mtime_ns
        except OSError:
            continue
        if mt < since_ns:
            continue
        k_last = math.floor((line["start_sample"] + line["samples"] - base) / f) - 1
        lat.append((mt - (t0 + (k_last + 1) * analyze.FRAME_NS)) / 1e6)
    return loss, lat


def _t0s(run):
    out = {}
    for e in analyze.read_jsonl(os.path.join(run.dir, "send.jsonl")):
        if e.get("event") == "bot_joined":
            out[e["meeting"]] = e["utc_ns"] - e.get("media_ns", 0)
    return out


def _measure(run, t0, t1, since_ns, loss_before):
    p = run.plan
    alive = [c for c in run.bots if c.poll() is None]
    t0s = _t0s(run)
    loss, lat = 0, []
    run.sample_udp()
    for c in run.bots:
        lo, la = _bot_state(run, c, t0s, since_ns)
        loss += lo + getattr(c, "udp_drops", 0)
        lat += la
    cpu = [costs.cpu_pct(run.samples, c.pid, t0, t1) for c in alive]
    cpu = [v for v in cpu if v is not None]
    pss = [m["pss_kb"] for c in alive for m in (costs.memory(run.mem, c.pid, t0, t1) or {},)
           if m.get("pss_kb")]
    sc = costs.cpu_pct(run.samples, run.simconf.pid, t0, t1)
    streams = len(alive) * p["publishers"]
    return {
        "bots": len(run.bots), "bots_running": len(alive),
        "bots_failed": sum(1 for c in run.bots if c.rc not in (None, 0)),
        "streams": streams,
        "machine_cpu_pct": costs.machine_pct(run.samples, t0, t1),
        "bot_cpu_pct_per_stream": round(sum(cpu) / streams, 4) if streams and cpu else None,
        "simconf_cpu_pct_per_stream": round(sc / streams, 5) if sc is not None and streams else None,
        "bot_pss_kb_p50": float(np.median(pss)) if pss else None,
        "inside_loss": loss - loss_before, "inside_loss_total": loss,
        "latency_p99_ms": float(np.percentile(lat, 99)) if lat else None,
    }


def _verdict(fm, st, failed_before):
    why = []
    if st["inside_loss"] > fm["max_inside_loss"]:
        why.append(f"{st['inside_loss']} frames lost inside vpbot")
    if st["bots_failed"] > failed_before:
        why.append(f"{st['bots_failed'] - failed_before} bots failed")
    if fm["max_cpu_pct"] is not None and st["machine_cpu_pct"] is not None and \
            st["machine_cpu_pct"] >= fm["max_cpu_pct"]:
        why.append(f"machine CPU {st['machine_cpu_pct']:.0f} %")
    if st["latency_p99_ms"] is not None and st["latency_p99_ms"] > fm["max_latency_p99_ms"]:
        why.append(f"latency p99 {st['latency_p99_ms']:.0f} ms")
    return why


def run(r):
    p, fm = r.plan, r.plan["find_max"]
    top = p["limits"]["max_bots"]
    r.setup(scenario.build(p, top, None), top)
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
        st = _measure(r, t0, time.monotonic(), since_ns, loss_before)
        why = _verdict(fm, st, failed_before)
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
    r.mark("end")
    return {"find_max": {"criteria": fm, "steps": steps, "last_good": last_good,
                         "stopped_because": stop_why or (r.stop_asked and f"interrupted ({r.stop_asked})")}}
