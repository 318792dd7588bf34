# SPDX-License-Identifier: MIT
"""One run against simconf: netns, simconf, bots joining at the ramp rate,
hold, stop; /proc sampled all along. SIGINT/SIGTERM end the run early and
the report still covers what ran."""
import os
import signal
import sys
import time

from . import procs, scenario

SAMPLE_S = 1.0
MEM_EVERY = 5      # memory (smaps_rollup) every N samples
DRAIN_S = 15.0     # after the last meeting's end, how long bots may take


class Run:
    def __init__(self, plan, bins, run_dir, progress=True):
        self.plan = plan
        self.bins = bins
        self.dir = run_dir
        self.out = os.path.join(run_dir, "out")
        self.progress = progress
        self.tty = sys.stderr.isatty()
        self.stop_asked = None
        self.bots = []           # [Child] with .idx, .meeting, .events
        self.simconf = None
        self.others = []         # janus: the publishers and Janus (sampled too)
        self.port = None
        self.samples = []        # per tick: {t, busy, bots_alive, cpu: {pid: s}}
        self.mem = {}            # pid -> last smaps/status sample during the run
        self.marks = {}          # phase name -> monotonic time
        self.ns = procs.Netns(f"vpload-{os.getpid()}")
        self.last_line = 0.0

    # --- signals ---
    def _on_signal(self, signum, _frame):
        self.stop_asked = signal.Signals(signum).name

    def install_signals(self):
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    # --- start ---
    def start_simconf(self, scn, bots):
        path = os.path.join(self.dir, "scenario.json")
        scenario.write(path, scn)
        pf = os.path.join(self.dir, "simconf.port")
        argv = [self.bins["simconf"], path, "--port", "0", "--port-file", pf,
                "--log", os.path.join(self.dir, "send.jsonl"),
                "--media-addr", "127.0.0.2"]
        self.simconf = procs.Child("simconf", argv,
                                   os.path.join(self.dir, "simconf.out"),
                                   os.path.join(self.dir, "simconf.err"),
                                   self.ns.name)
        for _ in range(200):
            if os.path.exists(pf) and open(pf).read().strip():
                self.port = int(open(pf).read())
                return
            if self.simconf.poll() is not None:
                break
            time.sleep(0.05)
        err = open(os.path.join(self.dir, "simconf.err")).read()[-500:]
        raise RuntimeError(f"simconf did not start: {err.strip()}")

    def spawn_bot(self, i, duration):
        p = self.plan
        mid = scenario.meeting_id(i)
        ev = os.path.join(self.dir, "events", f"{mid}.jsonl")
        argv = [self.bins["vpbot"], "join", f"sim+ws://127.0.0.1:{self.port}/{mid}",
                "--out", self.out, "--events", ev, "--rate", str(p["rate"]),
                "--chunk-seconds", str(p["chunk_seconds"]),
                "--duration", str(int(duration)), "--log-level", "warn"]
        c = procs.Child(mid, argv, os.path.join(self.dir, "bots", f"{mid}.out"),
                        os.path.join(self.dir, "bots", f"{mid}.err"), self.ns.name)
        c.idx, c.meeting, c.events = i, mid, ev
        self.bots.append(c)
        return c

    # --- sampling ---
    def sample(self, n):
        busy, total = procs.machine_busy()
        s = {"t": time.monotonic(), "busy": busy, "total": total, "cpu": {}}
        every = [c for c in [self.simconf] + self.others if c] + self.bots
        for c in every:
            if c.poll() is None:
                v = procs.cpu_ticks(c.pid)
                if v is not None:
                    s["cpu"][c.pid] = v
        if n % MEM_EVERY == 0:
            for c in every:
                if c.poll() is None:
                    m = procs.smaps(c.pid)
                    st = procs.status(c.pid)
                    if m and st:
                        m.update(st)
                        m["t"] = s["t"]
                        self.mem.setdefault(c.pid, []).append(m)
        if n % MEM_EVERY == 0:
            self.sample_udp()
        self.samples.append(s)
        return s

    def sample_udp(self):
        """Receive-buffer drops per bot (its sockets, this netns)."""
        alive = [c for c in self.bots if c.poll() is None]
        if not alive:
            return
        table = procs.udp_drops_table(alive[0].pid)
        for c in alive:
            d = sum(table.get(i, 0) for i in procs.socket_inodes(c.pid))
            c.udp_drops = max(getattr(c, "udp_drops", 0), d)

    def line(self, phase, now, end):
        if not self.progress:
            return
        if not self.tty and now - self.last_line < 5:
            return
        self.last_line = now
        alive = sum(c.poll() is None for c in self.bots)
        died = sum(c.rc is not None and c.rc != 0 for c in self.bots)
        cpu = ""
        if len(self.samples) >= 2:
            a, b = self.samples[-2], self.samples[-1]
            if b["total"] > a["total"]:
                cpu = f", machine CPU {100 * (b['busy'] - a['busy']) / (b['total'] - a['total']):.0f} %"
        left = f"{max(0, end - now):.0f} s left" if end else ""
        msg = (f"vpbot-load: {phase} {left}: {len(self.bots)} bots started, "
               f"{alive} running, {died} failed, "
               f"{alive * self.plan['publishers']} streams{cpu}")
        if self.tty:
            sys.stderr.write("\r\033[K" + msg)
        else:
            sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    def wait_until(self, t_end, phase, on_tick=None, end_hint=None):
        """Sample every second until t_end (monotonic), a stop request or
        on_tick() returning True. @return False if stopped."""
        n = len(self.samples)
        while True:
            now = time.monotonic()
            if self.stop_asked:
                return False
            if now >= t_end:
                return True
            if on_tick and on_tick(now):
                return True
            time.sleep(min(SAMPLE_S, max(0.0, t_end - now)) if not on_tick else 0.05)
            if time.monotonic() - (self.samples[-1]["t"] if self.samples else 0) >= SAMPLE_S:
                self.sample(n)
                n += 1
                self.line(phase, time.monotonic(), end_hint or t_end)

    def ramp(self, first, count, duration):
        """Spawn bots first..first+count-1 at plan['ramp'] per second."""
        t0 = time.monotonic()
        for j in range(count):
            due = t0 + j / self.plan["ramp"]
            if not self.wait_until(due, "ramp", end_hint=t0 + count / self.plan["ramp"]):
                return False
            self.spawn_bot(first + j, duration)
        return True

    def mark(self, name):
        self.marks[name] = time.monotonic()

    def setup(self, scn, bots):
        for d in ("events", "bots"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        if not self.plan["chunks"]:
            self.out = f"/dev/shm/vpload-{os.getpid()}"
        os.makedirs(self.out, exist_ok=True)
        self.ns.create()
        self.start_simconf(scn, bots)

    def teardown(self):
        self.sample_udp()  # the last look before the sockets close
        procs.stop_all(self.bots, grace=8.0)
        if self.simconf:
            self.simconf.stop(grace=5.0)
        self.ns.destroy()
        if self.tty and self.progress:
            sys.stderr.write("\n")


def fixed(run):
    """The plan as written: ramp, hold, let the meetings end, stop."""
    p = run.plan
    bots = p["rooms"]
    ramp_s = bots / p["ramp"]
    session = round(ramp_s + p["hold"] + 1.0, 2)
    run.setup(scenario.build(p, bots, session), bots)
    run.mark("start")
    ok = run.ramp(0, bots, session + 30)
    if ok:
        run.mark("hold_start")
        ok = run.wait_until(time.monotonic() + p["hold"], "hold")
        run.mark("hold_end")
    if ok:
        # every meeting ends session s after its bot joined; bots leave then
        end = time.monotonic() + ramp_s + 3 + DRAIN_S
        ok = run.wait_until(end, "finishing", on_tick=lambda _n: all(
            c.poll() is not None for c in run.bots))
    run.mark("end")
    return ok
