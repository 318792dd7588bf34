# SPDX-License-Identifier: MIT
"""--find-max against a running Janus: the step loop is findmax.run; this
is the janus target's part of it.

* start: the publishers (jpub) first, sending for the whole run; every
  step adds vpbot subscribers (spread over the plan's rooms).
* latency: a subscriber's stream is anchored on its timeline where its
  first packet arrived, so a chunk's last frame is placed at the
  timeline origin + its end sample: send -> durable without that first
  packet's transit (the report's latency_durable_ms, read from the
  marker after the run, includes it).
* per step, from Janus's admin API (read at the end of every step): the
  packets Janus sent each subscriber since the previous read, and the
  packets the subscriber reported missing in its RTCP receiver reports
  over the same time (`lost-by-remote`) less the ones Janus's own log
  says it discarded for that handle (numbered, then too old to send: a
  gap the receiver counts, not a packet it was sent); a subscriber that
  got less than find_max.min_received_pct of what Janus forwarded it
  fails the step. Receiver reports go out every few seconds, so a loss at
  the very end of a step may count in the next one; the report's
  received_pct (vpbot's own packet count after the ordered stop) is the
  exact figure over the whole run.
* Janus's own CPU and PSS per step.
* the end: the ordered stop of the fixed run (JanusRun.finish)."""
import os
import re

from . import costs, findmax


def handle_counts(adm, names):
    """{handle: (bot name, packets out, lost-by-remote)}, summed over the
    media of every handle through which Janus sends to a bot in names."""
    out = {}
    for handles in (adm or {}).get("sessions", {}).values():
        name = None
        for info in handles.values():
            d = (info.get("plugin_specific") or {}).get("display")
            if d in names:
                name = d
        if name is None:
            continue
        for hid, info in handles.items():
            sent = lost = 0
            for m in (info.get("webrtc", {}).get("media") or {}).values():
                sent += (m.get("stats") or {}).get("out", {}).get("packets") or 0
                lost += ((m.get("rtcp") or {}).get("main") or {}).get("lost-by-remote") or 0
            if sent:
                out[str(hid)] = (name, sent, lost)
    return out


DISCARD = re.compile(r"\[(\d+)\] Discarding too old outgoing packet")


class JanusLog:
    """Janus's own log, when its stdout is a file (janus_rig.py): the
    packets it numbered for a handle and then discarded itself ("Discarding
    too old outgoing packet", its send loop fell behind) are gaps the
    subscriber's receiver reports count as lost; counted per handle."""

    def __init__(self, pid):
        self.path, self.off, self.discards = None, 0, {}
        try:
            p = os.readlink(f"/proc/{pid}/fd/1")
            if os.path.isfile(p):
                self.path = p
                self.off = os.path.getsize(p)
        except OSError:
            pass

    def read(self):
        if not self.path:
            return None
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except OSError:
            return None
        end = data.rfind(b"\n") + 1  # a line half written: the next read
        self.off += end
        for m in DISCARD.finditer(data[:end].decode("utf-8", "replace")):
            self.discards[m.group(1)] = self.discards.get(m.group(1), 0) + 1
        return self.discards


class JanusSteps:
    name = "janus"

    def __init__(self, run):
        self.r = run
        self.prev = {}
        self.log = None

    def setup(self, top):
        p = self.r.plan
        rooms = p["rooms"]
        self.r.setup_janus(p["limits"]["max_seconds"] + 60,
                           subscribers=-(-top // rooms))
        self.log = JanusLog(self.r.janus.pid)

    def begin_measure(self):
        pass

    def bot_state(self, c, since_ns):
        rate = self.r.plan["rate"]
        return findmax.chunk_latencies(os.path.join(self.r.out, c.meeting), rate,
                                       lambda origin, end: origin + end * 1e9 / rate,
                                       since_ns)

    def _janus_costs(self, st, t0, t1):
        r = self.r
        jc = costs.memory(r.mem, r.janus.pid, t0, t1) or {}
        cpu = costs.cpu_pct(r.samples, r.janus.pid, t0, t1)
        n = st["streams"]
        st["janus_cpu_pct"] = round(cpu, 3) if cpu is not None else None
        st["janus_cpu_pct_per_stream"] = round(cpu / n, 5) if cpu is not None and n else None
        st["janus_pss_kb"] = jc.get("pss_kb")
        st["janus_rss_kb"] = jc.get("rss_kb")
        pubs = [costs.cpu_pct(r.samples, c.pid, t0, t1) for c in r.pubs]
        st["publishers_cpu_pct"] = (round(sum(v for v in pubs if v is not None), 3)
                                    if any(v is not None for v in pubs) else None)

    def _delivery(self, st):
        adm = self.r.read_admin()
        disc = self.log.read() if self.log else None
        now = {}
        for hid, (name, sent, lost) in handle_counts(adm, {c.meeting for c in self.r.bots}).items():
            d = disc.get(hid, 0) if disc is not None else 0
            # cumulative, so that a discard the receiver report has not
            # yet counted is not subtracted twice
            now[hid] = (name, sent, max(0, lost - d), lost, d)
        worst, tot, n = None, [0, 0, 0, 0], 0
        for hid, (name, sent, miss, lost, d) in now.items():
            _, ps, pm, pl, pd = self.prev.get(hid, (None, 0, 0, 0, 0))
            ds, dm = sent - ps, max(0, miss - pm)
            if ds <= 0:
                continue
            n += 1
            for i, v in enumerate((ds, dm, max(0, lost - pl), d - pd)):
                tot[i] += v
            pct = 100.0 * (ds - min(dm, ds)) / ds
            if worst is None or pct < worst[0]:
                worst = (pct, name, dm, ds)
        self.prev = now
        st["admin"] = ("read" if adm and "sessions" in adm else
                       (adm or {}).get("error", "no janus.admin_url in the plan"))
        st["subscribers_counted"] = n
        st["janus_forwarded"] = tot[0]
        st["missing_at_subscribers"] = tot[1]
        st["reported_lost_by_subscribers"] = tot[2]
        st["janus_discarded"] = tot[3] if disc is not None else None
        st["janus_discarded_pct"] = (round(100 * tot[3] / (tot[0] + tot[3]), 4)
                                     if disc is not None and tot[0] + tot[3] else None)
        st["received_pct_min"] = round(worst[0], 4) if worst else None
        st["received_pct_min_bot"] = worst[1] if worst else None
        st["received_min_lost_of"] = [worst[2], worst[3]] if worst else None

    def figures(self, st, t0, t1):
        self._janus_costs(st, t0, t1)
        self._delivery(st)

    def criteria(self, fm, st):
        lim = fm["min_received_pct"]
        if lim is not None and self.r.plan["janus"]["admin_url"] and st["admin"] != "read":
            return [f"Janus's admin API: {st['admin']}"]  # fail closed
        if lim is None or st["received_pct_min"] is None or st["received_pct_min"] >= lim:
            return []
        lost, of = st["received_min_lost_of"]
        return [f"subscriber {st['received_pct_min_bot']} received "
                f"{st['received_pct_min']:.2f} % of what Janus forwarded it "
                f"({lost} of {of} packets missing: its receiver reports"
                + (", less what Janus's log says it discarded itself)"
                   if st["janus_discarded"] is not None else
                   "; Janus's own discards included: its log is not readable)")]

    def finish(self):
        self.r.finish()
