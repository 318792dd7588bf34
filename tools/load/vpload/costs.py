# SPDX-License-Identifier: MIT
"""CPU and memory per process over a window, from the run's samples."""
import numpy as np


def cpu_pct(samples, pid, t0, t1):
    """% of one core pid used between t0 and t1 (monotonic), over the part
    of the window it was alive and sampled."""
    pts = [(s["t"], s["cpu"][pid]) for s in samples
           if pid in s["cpu"] and t0 - 0.6 <= s["t"] <= t1 + 0.6]
    if len(pts) < 2 or pts[-1][0] <= pts[0][0]:
        return None
    return 100 * (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


def machine_pct(samples, t0, t1):
    pts = [s for s in samples if t0 - 0.6 <= s["t"] <= t1 + 0.6]
    if len(pts) < 2 or pts[-1]["total"] <= pts[0]["total"]:
        return None
    return 100 * (pts[-1]["busy"] - pts[0]["busy"]) / (pts[-1]["total"] - pts[0]["total"])


def memory(mem, pid, t0, t1):
    """Median of the memory samples inside the window (else the last)."""
    ms = mem.get(pid, [])
    inside = [m for m in ms if t0 <= m["t"] <= t1] or ms[-1:]
    if not inside:
        return None
    out = {}
    for k in ("pss_kb", "private_kb", "rss_kb"):
        out[k] = float(np.median([m[k] for m in inside]))
    out["peak_rss_kb"] = max(m.get("VmHWM", 0) for m in ms)
    if len(ms) >= 2 and ms[-1]["t"] > ms[0]["t"]:
        dt = ms[-1]["t"] - ms[0]["t"]
        out["wakeups_per_s"] = (ms[-1].get("voluntary_ctxt_switches", 0) -
                                ms[0].get("voluntary_ctxt_switches", 0)) / dt
    return out
