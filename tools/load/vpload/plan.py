# SPDX-License-Identifier: MIT
"""The plan file: what to start, how fast, for how long, and the limits.

Every field is checked; an unknown field or a value out of range is an
error naming the field. check_machine() refuses a plan the machine cannot
start (memory, processes, open files, disk) with one clear line."""
import json
import math
import os
import re
import resource
import shutil

DEFAULTS = {
    "target": "simconf",
    "rooms": 10,            # simconf: one vpbot per room (meeting)
    "publishers": 2,        # per room: streams each bot receives
    "subscribers": 1,       # per room (simconf hosts one bot per meeting)
    "ramp": 5.0,            # joins per second
    "hold": 15.0,           # s with every bot in, after the ramp
    "rate": 16000,          # vpbot --rate
    "chunks": True,         # false: bots write to tmpfs (no disk I/O)
    "chunk_seconds": 2,
    "limits": {},
    "find_max": {},
    "janus": {},            # target janus only (JANUS_DEFAULTS)
    "comment": "",
}
JANUS_DEFAULTS = {
    "url": "janus+ws://127.0.0.1:8188",  # the running Janus (loopback)
    "netns": None,          # the network namespace it runs in (required)
    "admin_url": None,      # e.g. http://127.0.0.1:7088/admin: forwarded counts
    "admin_secret": None,
    "room_base": None,      # rooms are room_base+1 ...; None: from the run's pid
    "plugin": "videoroom",  # or "audiobridge" (1 publisher per room: a mix of
                            # two markers names neither)
}
LIMIT_DEFAULTS = {
    "max_bots": 200,        # never start more bots than this
    "max_seconds": 900,     # the whole run, then everything is stopped
    "bot_mb": 12,           # memory budgeted per bot (checked vs MemAvailable)
}
FIND_MAX_DEFAULTS = {
    "start": 10,            # bots in the first step
    "step": 10,             # bots added per step
    "step_hold": 15.0,      # s each step is measured after its joins
    "max_inside_loss": 0,   # frames lost inside vpbot per step (more fails)
    "max_cpu_pct": 90.0,    # machine CPU busy over the step
    "max_latency_p99_ms": 1000.0,  # send -> durable on disk
    "min_received_pct": 99.9,  # janus: of what Janus forwarded each subscriber
}
RATES = (16000, 24000, 48000)


class PlanError(Exception):
    pass


def _num(d, key, lo, hi, where, integer=False):
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or \
            not math.isfinite(v) or (integer and int(v) != v) or not lo <= v <= hi:
        kind = "an integer" if integer else "a number"
        raise PlanError(f"{where}{key} must be {kind} >= {lo} and <= {hi}")
    return int(v) if integer else float(v)


def _merge(given, defaults, where):
    if not isinstance(given, dict):
        raise PlanError(f"{where or 'the plan'} must be an object")
    for k in given:
        if k not in defaults:
            raise PlanError(f"{where}unknown field \"{k}\"")
    out = dict(defaults)
    out.update(given)
    return out


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def parse(text):
    try:
        raw = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as e:
        raise PlanError(f"not JSON: {e}") from None
    p = _merge(raw, DEFAULTS, "")
    if p["target"] not in ("simconf", "janus"):
        raise PlanError("target must be \"simconf\" or \"janus\"")
    p["rooms"] = _num(p, "rooms", 1, 1000, "", True)
    p["publishers"] = _num(p, "publishers", 1, 64, "", True)
    if p["target"] == "janus":
        p["subscribers"] = _num(p, "subscribers", 1, 1000, "", True)
        p["janus"] = _janus(p["janus"])
        if p["janus"]["plugin"] == "audiobridge" and p["publishers"] != 1:
            raise PlanError("publishers must be 1 with janus.plugin \"audiobridge\" "
                            "(the mix of two markers names neither)")
    elif p["subscribers"] != 1:
        raise PlanError("subscribers must be 1: simconf hosts one bot per meeting "
                        "(use rooms for more bots)")
    elif p["janus"]:
        raise PlanError("janus: only with target \"janus\"")
    p["ramp"] = _num(p, "ramp", 0.1, 100, "")
    p["hold"] = _num(p, "hold", 2, 86400, "")
    p["chunk_seconds"] = _num(p, "chunk_seconds", 1, 60, "", True)
    if p["rate"] not in RATES:
        raise PlanError(f"rate must be one of {RATES} (the marker needs >= 16 kHz)")
    if not isinstance(p["chunks"], bool):
        raise PlanError("chunks must be true or false")
    lim = _merge(p["limits"], LIMIT_DEFAULTS, "limits.")
    lim["max_bots"] = _num(lim, "max_bots", 1, 1000, "limits.", True)
    lim["max_seconds"] = _num(lim, "max_seconds", 10, 86400, "limits.")
    lim["bot_mb"] = _num(lim, "bot_mb", 1, 1024, "limits.")
    p["limits"] = lim
    fm = _merge(p["find_max"], FIND_MAX_DEFAULTS, "find_max.")
    fm["start"] = _num(fm, "start", 1, 1000, "find_max.", True)
    fm["step"] = _num(fm, "step", 1, 1000, "find_max.", True)
    fm["step_hold"] = _num(fm, "step_hold", 2, 3600, "find_max.")
    fm["max_inside_loss"] = _num(fm, "max_inside_loss", 0, 1e9, "find_max.", True)
    if fm["max_cpu_pct"] is not None:  # null: no CPU criterion (a shared machine)
        fm["max_cpu_pct"] = _num(fm, "max_cpu_pct", 1, 100, "find_max.")
    fm["max_latency_p99_ms"] = _num(fm, "max_latency_p99_ms", 1, 1e6, "find_max.")
    if fm["min_received_pct"] is not None:  # null: no delivery criterion
        fm["min_received_pct"] = _num(fm, "min_received_pct", 0, 100, "find_max.")
    p["find_max"] = fm
    return p


def check_find_max(p):
    """What --find-max needs beyond a valid plan: each step sees chunks
    written (its latency criterion's input)."""
    if p["find_max"]["step_hold"] < p["chunk_seconds"]:
        raise PlanError(f"find_max.step_hold must be at least chunk_seconds "
                        f"({p['chunk_seconds']}): a step must see chunks written")


def _janus(given):
    j = _merge(given, JANUS_DEFAULTS, "janus.")
    url = j["url"]
    if not isinstance(url, str) or not re.fullmatch(r"janus\+ws://127\.[0-9.]+:[0-9]{1,5}/?", url):
        raise PlanError("janus.url must be janus+ws://127.x.x.x:PORT (loopback)")
    ns = j["netns"]
    if not isinstance(ns, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", ns):
        raise PlanError("janus.netns must name the network namespace Janus runs in")
    adm = j["admin_url"]
    if adm is not None and (not isinstance(adm, str) or
                            not re.fullmatch(r"http://127\.[0-9.]+:[0-9]{1,5}/[A-Za-z0-9_/-]*", adm)):
        raise PlanError("janus.admin_url must be null or http://127.x.x.x:PORT/PATH")
    if j["admin_secret"] is not None and not isinstance(j["admin_secret"], str):
        raise PlanError("janus.admin_secret must be a string or null")
    if j["plugin"] not in ("videoroom", "audiobridge"):
        raise PlanError("janus.plugin must be \"videoroom\" or \"audiobridge\"")
    if j["room_base"] is not None:
        j["room_base"] = _num(j, "room_base", 1, 2 ** 52, "janus.", True)
    return j


def bots_of(p, rooms=None):
    """vpbot processes a plan starts (janus: subscribers in every room)."""
    n = p["rooms"] if rooms is None else rooms
    return n * p["subscribers"] if p["target"] == "janus" else n


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return parse(f.read())
    except OSError as e:
        raise PlanError(f"cannot read {path}: {e.strerror}") from None


def ramp_seconds(p, bots=None):
    return (bots_of(p) if bots is None else bots) / p["ramp"]


def _mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return 0


def check_machine(p, bots, seconds, out_dir):
    """Raise PlanError with one line when the machine cannot start it."""
    lim = p["limits"]
    if bots > lim["max_bots"]:
        raise PlanError(f"{bots} bots asked, limits.max_bots is {lim['max_bots']}")
    if seconds > lim["max_seconds"]:
        raise PlanError(f"the run needs {seconds:.0f} s, limits.max_seconds is "
                        f"{lim['max_seconds']:.0f}")
    if p["target"] == "janus" and p["rooms"] * p["publishers"] > lim["max_bots"]:
        raise PlanError(f"{p['rooms'] * p['publishers']} publishers asked, "
                        f"limits.max_bots is {lim['max_bots']}")
    need = bots * lim["bot_mb"] + 200
    have = _mem_available_mb()
    if need > have:
        raise PlanError(f"{bots} bots need about {need:.0f} MB "
                        f"({lim['bot_mb']:.0f} MB each + "
                        f"{'simconf' if p['target'] == 'simconf' else 'publishers'}), "
                        f"{have:.0f} MB available")
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if bots * 3 + 64 > nofile:
        raise PlanError(f"{bots} bots need {bots * 3 + 64} open files here, "
                        f"the limit is {nofile}")
    with open("/proc/sys/kernel/threads-max") as f:
        tmax = int(f.read())
    if bots * 4 > tmax // 2:
        raise PlanError(f"{bots} bots need {bots * 4} threads, "
                        f"threads-max is {tmax}")
    streams = bots * p["publishers"]
    disk = streams * p["rate"] * 2 * seconds / 1e6 + 50
    if p["chunks"]:
        free = shutil.disk_usage(out_dir).free / 1e6
        if disk > free:
            raise PlanError(f"{streams} streams for {seconds:.0f} s write about "
                            f"{disk:.0f} MB, {free:.0f} MB free in {out_dir}")
    elif disk > have - need:
        raise PlanError(f"chunks=false keeps about {disk:.0f} MB in tmpfs, "
                        f"{have - need:.0f} MB of memory left")
    if os.geteuid() != 0:
        raise PlanError("needs root: the bots run in the run's own network namespace")
