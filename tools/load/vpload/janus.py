# SPDX-License-Identifier: MIT
"""One run against a running Janus (VideoRoom): jpub publishers create the
rooms and publish the marker signal, then the vpbot subscribers join at
the ramp rate, hold, and the end is ordered so that every count is final
when it is read: the publishers stop sending (SIGUSR1), Janus's admin API
is read (what it received and forwarded per handle), the bots leave, then
the publishers leave (the first one destroys the room it created)."""
import json
import os
import signal
import subprocess
import time

from . import procs
from .run import Run

START_S = 30.0   # publishers: start -> media up
SETTLE_S = 1.5   # after the publishers stop: let the last packets land


class Existing:
    """A process the harness did not start (Janus): sampled, never signalled."""

    def __init__(self, name, pid):
        self.name, self.pid, self.rc, self.end_mono = name, pid, None, None

    def poll(self):
        if self.rc is None and not os.path.exists(f"/proc/{self.pid}"):
            self.rc, self.end_mono = 0, time.monotonic()
        return self.rc


def find_janus(netns):
    """pid of the `janus` process whose network namespace is netns."""
    try:
        want = os.stat(f"/run/netns/{netns}").st_ino
    except OSError:
        raise RuntimeError(f"network namespace {netns} does not exist") from None
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != "janus":
                    continue
            if os.stat(f"/proc/{d}/ns/net").st_ino == want:
                return int(d)
        except OSError:
            continue
    return None


def hostport(url):
    hp = url.split("://", 1)[1].strip("/")
    h, p = hp.rsplit(":", 1)
    return h, int(p)


class JanusRun(Run):
    def __init__(self, plan, bins, run_dir, progress=True):
        super().__init__(plan, bins, run_dir, progress)
        j = plan["janus"]
        self.ns = procs.Netns(j["netns"])  # not ours: never created or deleted
        self.host, self.wsport = hostport(j["url"])
        base = j["room_base"] or 7_000_000_000 + (os.getpid() % 1_000_000) * 1000
        self.rooms = [base + r + 1 for r in range(plan["rooms"])]
        self.pubs = []           # [Child] with .room, .log
        self.janus = None
        self.admin = None        # the admin API's answer, read after the stop

    # --- start ---
    def start_publishers(self, seconds, subscribers=None):
        """subscribers: per room (room size), default the plan's"""
        p = self.plan
        subs = p["subscribers"] if subscribers is None else subscribers
        os.makedirs(os.path.join(self.dir, "pubs"), exist_ok=True)
        for r, room in enumerate(self.rooms):
            for k in range(p["publishers"]):
                pid = f"pub-r{r + 1}-p{k + 1}"
                log = os.path.join(self.dir, "pubs", f"{pid}.jsonl")
                argv = [self.bins["jpub"], "--url", f"ws://{self.host}:{self.wsport}",
                        "--room", str(room), "--log", log, "--seconds", str(int(seconds)),
                        "--id", pid, "--create", "--plugin", p["janus"]["plugin"],
                        "--publishers", str(p["publishers"] + subs + 4)]
                if k == 0:
                    argv.append("--destroy")
                c = procs.Child(pid, argv, log[:-6] + ".out", log[:-6] + ".err", self.ns.name)
                c.room, c.log, c.owner = room, log, k == 0
                self.pubs.append(c)
        self.others += self.pubs
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and not self.stop_asked:
            up = [c for c in self.pubs if _has_event(c.log, "media_start")]
            dead = [c for c in self.pubs if c.poll() is not None]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited {dead[0].describe_rc()}: "
                                   f"{_tail(dead[0].log[:-6] + '.err')}")
            if len(up) == len(self.pubs):
                return
            time.sleep(0.1)
        if not self.stop_asked:
            raise RuntimeError(f"publishers not sending after {START_S:.0f} s")

    def spawn_bot(self, i, duration):
        p = self.plan
        r, s = i % p["rooms"], i // p["rooms"]
        mid = f"r{r + 1}-s{s + 1}"
        ev = os.path.join(self.dir, "events", f"{mid}.jsonl")
        argv = [self.bins["vpbot"], "join",
                f"janus+ws://{self.host}:{self.wsport}/{self.rooms[r]}?name={mid}"
                + ("&plugin=audiobridge" if p["janus"]["plugin"] == "audiobridge" else ""),
                "--meeting", mid, "--out", self.out, "--events", ev,
                "--rate", str(p["rate"]), "--chunk-seconds", str(p["chunk_seconds"]),
                "--duration", str(int(duration)), "--log-level", "warn"]
        c = procs.Child(mid, argv, os.path.join(self.dir, "bots", f"{mid}.out"),
                        os.path.join(self.dir, "bots", f"{mid}.err"), self.ns.name)
        c.idx, c.meeting, c.events, c.room = i, mid, ev, self.rooms[r]
        self.bots.append(c)
        return c

    def setup_janus(self, seconds, subscribers=None):
        for d in ("events", "bots"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        if not self.plan["chunks"]:
            self.out = f"/dev/shm/vpload-{os.getpid()}"
        os.makedirs(self.out, exist_ok=True)
        pid = find_janus(self.ns.name)
        if pid is None:
            raise RuntimeError(f"no janus process runs in netns {self.ns.name}")
        self.janus = Existing("janus", pid)
        self.others.append(self.janus)
        self.start_publishers(seconds, subscribers)

    # --- the end ---
    def read_admin(self):
        """Every handle's info (janus_admin.py in Janus's netns), or None."""
        j = self.plan["janus"]
        if not j["admin_url"]:
            return None
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        try:
            r = subprocess.run(["ip", "netns", "exec", self.ns.name, "/usr/bin/python3",
                                "-m", "vpload.janus_admin", j["admin_url"]],
                               input=j["admin_secret"] or "", capture_output=True, text=True,
                               timeout=120, cwd=here)
            return json.loads(r.stdout)
        except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
            return {"error": "the admin API could not be read"}

    def finish(self):
        """Publishers stop sending, the admin counts are read, bots leave."""
        for c in self.pubs:
            c.signal(signal.SIGUSR1)
        time.sleep(SETTLE_S)  # also after SIGINT: the counts stay exact
        self.admin = self.read_admin()
        if self.admin is not None:
            with open(os.path.join(self.dir, "janus_admin.json"), "w") as f:
                json.dump(self.admin, f)
        procs.stop_all(self.bots, grace=10.0)

    def teardown(self):
        self.sample_udp()
        procs.stop_all(self.bots, grace=8.0)
        # the first publisher of a room destroys it: the others leave first
        procs.stop_all([c for c in self.pubs if not c.owner], grace=6.0)
        procs.stop_all([c for c in self.pubs if c.owner], grace=6.0)
        if self.tty and self.progress:
            import sys
            sys.stderr.write("\n")


def _has_event(path, ev):
    try:
        with open(path, encoding="utf-8") as f:
            return f'"event":"{ev}"' in f.read()
    except OSError:
        return False


def _tail(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-300:].strip()
    except OSError:
        return ""


def fixed(run):
    """Publishers up, bots ramp in, hold, ordered stop."""
    p = run.plan
    bots = p["rooms"] * p["subscribers"]
    ramp_s = bots / p["ramp"]
    run.setup_janus(ramp_s + p["hold"] + 60)
    run.mark("start")
    ok = run.ramp(0, bots, ramp_s + p["hold"] + 60)
    if ok:
        run.mark("hold_start")
        ok = run.wait_until(time.monotonic() + p["hold"], "hold")
        run.mark("hold_end")
    run.finish()
    run.mark("end")
    return ok
