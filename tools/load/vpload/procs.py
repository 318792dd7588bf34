# SPDX-License-Identifier: MIT
"""Processes the harness starts, the run's network namespace, and what
/proc says each costs. Every child is started in its own session (its own
process group) and remembered by pid; only those pids are ever signalled."""
import os
import signal
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def sh(*args):
    return subprocess.run(args, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


class Netns:
    """A namespace with lo up and 127.0.0.2 on a veth (libnice skips
    loopback interfaces, so the media address must be on a veth)."""

    def __init__(self, name):
        self.name = name
        self.up = False

    def create(self):
        n = self.name
        steps = [("ip", "netns", "add", n),
                 ("ip", "-n", n, "link", "set", "lo", "up"),
                 ("ip", "-n", n, "link", "add", "va", "type", "veth", "peer", "name", "vb"),
                 ("ip", "netns", "exec", n, "sysctl", "-qw",
                  "net.ipv6.conf.all.disable_ipv6=1"),
                 ("ip", "-n", n, "addr", "add", "127.0.0.2/32", "dev", "va"),
                 ("ip", "-n", n, "link", "set", "va", "up"),
                 ("ip", "-n", n, "link", "set", "vb", "up")]
        self.up = True
        for s in steps:
            if sh(*s):
                raise RuntimeError(f"cannot set up netns {n}: {' '.join(s)}")

    def destroy(self):
        if self.up:
            sh("ip", "netns", "del", self.name)
            self.up = False


class Child:
    def __init__(self, name, argv, out, err, netns=None):
        self.name = name
        self.spawn_utc_ns = time.time_ns()
        self.spawn_mono = time.monotonic()
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        # ip netns exec execs the command: the pid is the command's own
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=open(out, "wb"), stderr=open(err, "wb"),
                                  start_new_session=True)
        self.pid = self.p.pid
        self.rc = None
        self.end_mono = None

    def poll(self):
        if self.rc is None:
            rc = self.p.poll()
            if rc is not None:
                self.rc = rc
                self.end_mono = time.monotonic()
        return self.rc

    def signal(self, sig):
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace=5.0):
        """SIGTERM, wait up to grace s, then SIGKILL; returns the rc."""
        self.signal(signal.SIGTERM)
        try:
            self.p.wait(grace)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.p.wait()
        return self.poll()

    def describe_rc(self):
        if self.rc is None:
            return "running"
        if self.rc < 0:
            return signal.Signals(-self.rc).name
        return str(self.rc)


def stop_all(children, grace=5.0):
    for c in children:
        c.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for c in children:
        try:
            c.p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            c.signal(signal.SIGKILL)
            c.p.wait()
        c.poll()


def cpu_ticks(pid):
    """user+sys CPU of pid (s), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status(pid):
    """VmRSS/VmHWM (kB) and context switches summed over every thread
    (voluntary ones are the wake-ups)."""
    out = {"voluntary_ctxt_switches": 0, "nonvoluntary_ctxt_switches": 0}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in out and k.endswith("ctxt_switches"):
                        out[k] += int(v)
        except OSError:
            pass  # the thread ended
    return out


def smaps(pid):
    """Pss and private memory (kB) from smaps_rollup."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Private_Clean", "Private_Dirty", "Rss"):
                    out[k] = int(v.split()[0])
    except OSError:
        return None
    return {"pss_kb": out.get("Pss", 0), "rss_kb": out.get("Rss", 0),
            "private_kb": out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)}


def machine_busy():
    """(busy, total) jiffies of the whole machine (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def udp_drops_table(pid):
    """inode -> drops of every UDP socket in pid's network namespace
    (/proc/PID/net/udp: the kernel's receive-buffer overflows per socket)."""
    out = {}
    try:
        with open(f"/proc/{pid}/net/udp") as f:
            next(f)
            for line in f:
                v = line.split()
                if len(v) >= 13:
                    out[v[9]] = int(v[12])
    except (OSError, StopIteration, ValueError):
        pass
    return out


def socket_inodes(pid):
    out = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if t.startswith("socket:["):
                out.append(t[8:-1])
    except OSError:
        pass
    return out
