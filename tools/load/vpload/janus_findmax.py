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
  packets Janus sent on each subscriber stream since the previous read,
  and the packets the subscriber reported missing in its RTCP receiver
  reports over the same time (`lost-by-remote`); a subscriber that got
  less than find_max.min_received_pct of what Janus forwarded it fails
  the step. Receiver reports go out every few seconds, so a loss at the
  very end of a step may count in the next one; the report's
  received_pct (vpbot's own packet count after the ordered stop) is the
  exact figure over the whole run.
* Janus's own CPU and PSS per step.
* the end: the ordered stop of the fixed run (JanusRun.finish)."""
import os

from . import costs, findmax


def stream_counts(adm, names):
    """{(session, handle, mid): (bot name, packets out, lost-by-remote)} of
    every media Janus sends to one of the bots named in names."""
    out = {}
    for sid, handles in (adm or {}).get("sessions", {}).items():
        name = None
        for info in handles.values():
            d = (info.get("plugin_specific") or {}).get("display")
            if d in names:
                name = d
        if name is None:
            continue
        for hid, info in handles.items():
            for k, m in (info.get("webrtc", {}).get("media") or {}).items():
                sent = (m.get("stats") or {}).get("out", {}).get("packets")
                if not sent:
                    continue
                lost = ((m.get("rtcp") or {}).get("main") or {}).get("lost-by-remote") or 0
                out[(sid, hid, str(m.get("mid", k)))] = (name, sent, lost)
    return out


class JanusSteps:
    name = "janus"

    def __init__(self, run):
        self.r = run
        self.prev = {}

    def setup(self, top):
        p = self.r.plan
        rooms = p["rooms"]
        self.r.setup_janus(p["limits"]["max_seconds"] + 60,
                           subscribers=-(-top // rooms))

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
        now = stream_counts(adm, {c.meeting for c in self.r.bots})
        worst, fwd, lost, n = None, 0, 0, 0
        for key, (name, sent, gone) in now.items():
            ps, pl = self.prev.get(key, (None, 0, 0))[1:]
            ds, dl = sent - ps, max(0, gone - pl)
            if ds <= 0:
                continue
            n += 1
            fwd, lost = fwd + ds, lost + dl
            pct = 100.0 * (ds - min(dl, ds)) / ds
            if worst is None or pct < worst[0]:
                worst = (pct, name, dl, ds)
        self.prev = now
        st["admin"] = ("read" if adm and "sessions" in adm else
                       (adm or {}).get("error", "no janus.admin_url in the plan"))
        st["subscriber_streams_counted"] = n
        st["janus_forwarded"] = fwd
        st["reported_lost_by_subscribers"] = lost
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
                f"({lost} of {of} packets missing, its receiver reports)"]

    def finish(self):
        self.r.finish()
