# SPDX-License-Identifier: MIT
"""The floor beside the bots, measured in the same run.

The floor of one received stream is what no recording bot can avoid per
20 ms frame: SRTP unprotect + Opus decode at the plan's rate + appending
the PCM to a WAV file (docs/performance.md). tools/perf/floor_bench times
it with the libraries alone over a real Opus capture that rtpgen makes at
the senders' settings (VOIP, 32 kbit/s, in-band FEC: simconf and jpub
encode so), and prints one JSON line.

It runs before the bots start and, with --find-max, again after the last
step (the bots stopped). Of two measurements the lower total is used for
the ratio: CPU time per frame only grows with interference from the
machine's other work (caches, frequency, a busy sibling thread), never
shrinks, so the lower is the closer estimate of the floor, and it never
flatters the bots."""
import datetime
import json
import os
import shutil
import subprocess
import sys

CAPTURE = ["--seconds", "20", "--voip", "--bitrate", "32000"]
PARTS = ("srtp_unprotect_us", "opus_decode_us", "wav_write_us")
CHOICE = ("the lower total of the measurements: interference from other work "
          "only ever adds CPU time, so the lower is the closer floor and never "
          "flatters the bots")


def _utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


class Floor:
    """floor_bench runs for one vpbot-load run; measure() per instant."""

    def __init__(self, bins, run_dir, rate, progress=True):
        self.bins, self.rate, self.progress = bins, rate, progress
        self.dir = os.path.join(run_dir, "floor")
        self.cap = None
        self.measurements = []

    def _capture(self):
        os.makedirs(self.dir, exist_ok=True)
        prefix = os.path.join(self.dir, "capture")
        r = subprocess.run([self.bins["rtpgen"], prefix, *CAPTURE], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0 or not os.path.exists(prefix + ".pcap"):
            raise RuntimeError(f"rtpgen exited {r.returncode}: {r.stderr.strip()[-300:]}")
        self.cap = prefix + ".pcap"

    def measure(self, when):
        """One floor_bench run; the result (or its error) is kept and returned."""
        if self.progress:
            print(f"vpbot-load: measuring the floor ({when})", file=sys.stderr)
        m = {"when": when, "measured_utc": _utc(), "loadavg": _loadavg()}
        try:
            if not self.bins.get("floor_bench") or not self.bins.get("rtpgen"):
                raise RuntimeError("floor_bench or rtpgen not known (pass --floor-bench, --rtpgen)")
            if self.cap is None:
                self._capture()
            r = subprocess.run([self.bins["floor_bench"], self.cap, self.dir,
                                "--rate", str(self.rate)],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                raise RuntimeError(f"floor_bench exited {r.returncode}: "
                                   f"{r.stderr.strip()[-300:]}")
            m.update(json.loads(r.stdout))
            m["pct_per_stream"] = m.pop("floor_pct_per_stream")
            m["capture"] = {"made_by": "rtpgen " + " ".join(CAPTURE),
                            "kbps": m.pop("capture_kbps"), "opus_modes": m.pop("opus_modes")}
        except (OSError, RuntimeError, ValueError, KeyError,
                subprocess.TimeoutExpired) as e:
            m["error"] = str(e)
            print(f"vpbot-load: the floor was not measured: {e}", file=sys.stderr)
        self.measurements.append(m)
        return m

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def used(self):
        ok = [m for m in self.measurements if "error" not in m]
        return min(ok, key=lambda m: m["total_us"]) if ok else None


def ratio(bot_pct, floor):
    if bot_pct is None or not floor or not floor.get("pct_per_stream"):
        return None
    return round(bot_pct / floor["pct_per_stream"], 3)


def attach(rep, fl):
    """report.json: `floor` (the one used, with every measurement), and
    bot_cpu_vs_floor in the summary and in every find-max step."""
    used = fl.used()
    if used is None:
        rep["floor"] = {"error": "; ".join(m.get("error", "") for m in fl.measurements)
                        or "not measured", "measurements": fl.measurements}
    else:
        rep["floor"] = dict(used, measurements=fl.measurements,
                            used=CHOICE if len(fl.measurements) > 1 else "the one measurement")
    s = rep["summary"]
    s["floor_pct_per_stream"] = used and used["pct_per_stream"]
    s["bot_cpu_vs_floor"] = ratio(s.get("bot_cpu_pct_per_stream"), used)
    for st in (rep.get("find_max") or {}).get("steps") or []:
        st["floor_pct_per_stream"] = used and used["pct_per_stream"]
        st["bot_cpu_vs_floor"] = ratio(st.get("bot_cpu_pct_per_stream"), used)


def text(pct, r):
    """'0.34 %/stream = 1.52× floor' for the terminal's lines"""
    if r is None:
        return f"{pct} %/stream (floor not measured)"
    return f"{pct} %/stream = {r:.2f}× floor"
