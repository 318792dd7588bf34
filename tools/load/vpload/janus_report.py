# SPDX-License-Identifier: MIT
"""The janus target's report: what every subscriber received against
what its publishers sent (their own send logs) and what Janus forwarded
(its admin API, when the plan gives one).

Per subscriber stream its share is the publisher's frames from the first
of the last F sent, F = the packets Janus sent on that subscriber's
m-line (the publishers stop before the bots leave, so F is final), or
from the first one found on disk if that is earlier (Janus dropped some:
not_forwarded_by_janus); without the admin API, from the first found.
delivery_pct is frames on disk over F (else over the share)."""
import json
import os
import time

from . import analyze, costs, report

SRC = "janus admin API (handle_info: packets out per subscriber m-line)"


def pub_log(path):
    """One jpub send log -> {id, room, feed_id, t0_ns, frames, packets, ...}"""
    p = {"frames": [], "packets": 0, "send_fail": 0, "t0_ns": None, "feed_id": None}
    for e in analyze.read_jsonl(path):
        ev = e.get("event")
        p["id"] = e.get("participant")
        if ev == "start":
            p["room"] = e.get("room")
        elif ev == "joined":
            p["feed_id"] = e.get("feed_id")
        elif ev == "media_start":
            p["t0_ns"] = e["t0_utc_ns"]
            p["srtp"] = e.get("srtp")
        elif ev == "audio" and e.get("sent"):
            p["frames"].extend(range(e["k_first"], e["k_first"] + e["frames"]))
        elif ev == "stats":
            p["packets"] = e.get("packets", 0)
            p["send_fail"] = e.get("send_fail", 0)
        elif ev == "end":
            p["rc"], p["why"] = e.get("rc"), e.get("why")
    p["frames"].sort()
    return p


def _media_packets(info, way):
    """{mid: packets} of one handle, way "in" or "out"."""
    media = info.get("webrtc", {}).get("media", {}) or {}
    return {str(m.get("mid", k)): m.get("stats", {}).get(way, {}).get("packets")
            for k, m in media.items()}


def admin_counts(adm):
    """(forwarded {(bot name, feed id): packets}, received {feed id: packets})."""
    fwd, rcv = {}, {}
    if not adm or "sessions" not in adm:
        return fwd, rcv
    for handles in adm["sessions"].values():
        name, subs = None, []
        for info in handles.values():
            ps = info.get("plugin_specific") or {}
            if ps.get("type") == "publisher":
                name = ps.get("display")
                if ps.get("id") is not None:
                    ins = [v for v in _media_packets(info, "in").values() if v is not None]
                    if ins:
                        rcv[int(ps["id"])] = sum(ins)
            elif ps.get("type") == "subscriber":
                subs.append((ps, info))
        for ps, info in subs:
            out = _media_packets(info, "out")
            for st in ps.get("streams", []) or []:
                feed, mid = st.get("feed_id"), str(st.get("mid"))
                if feed is not None and out.get(mid) is not None:
                    fwd[(name, int(feed))] = out[mid]
    return fwd, rcv


def bot(run, c, pubs, fwd):
    mdir = os.path.join(run.out, c.meeting)
    ev = analyze.read_jsonl(c.events)
    r = {"meeting": c.meeting, "room": c.room, "rc": c.poll(), "streams": [],
         "udp_rcvbuf_drops": getattr(c, "udp_drops", 0), "rc_text": c.describe_rc()}
    first = {}
    for e in ev:
        first.setdefault(e.get("event"), analyze.iso_ns(e.get("ts")))
    joined, leave = first.get("joined"), first.get("leaving")
    end_ns = c.spawn_utc_ns + int((c.end_mono - c.spawn_mono) * 1e9) if c.end_mono else None
    if c.rc not in (0, None) and end_ns:
        leave = min(leave or end_ns, end_ns)
    fa = first.get("stream_started")
    r["spawn_to_joined_ms"] = (joined - c.spawn_utc_ns) / 1e6 if joined else None
    r["joined_to_first_audio_ms"] = (fa - joined) / 1e6 if joined and fa else None
    r["errors"] = [e.get("message") or e.get("reason") for e in ev if e.get("event") == "error"][:3]
    try:
        with open(os.path.join(mdir, "meeting.json"), encoding="utf-8") as f:
            mj = json.load(f)
    except (OSError, json.JSONDecodeError):
        return r
    r["status"] = mj.get("status", {}).get("state")
    origin = analyze.iso_ns(mj.get("timeline_origin_utc"))
    pstream = {str(p["id"]): p.get("stream") for p in mj.get("participants", [])}
    streams = {s["id"]: s for s in mj.get("streams", [])}
    manifest = analyze.read_jsonl(os.path.join(mdir, "manifest.jsonl"))
    drops = getattr(c, "udp_drops", 0)
    mix = run.plan["janus"]["plugin"] == "audiobridge"
    for p in pubs:
        if mix:  # one stream, the mix of everyone else: the one publisher
            st = next((x for x in streams.values() if x.get("participant") == "mix"), None)
            f = None  # Janus's packets out are the mix's, not the marker's
        else:
            st = streams.get(pstream.get(str(p["feed_id"])))
            f = fwd.get((c.meeting, p["feed_id"]))
        if st is None or origin is None or p["t0_ns"] is None:
            r["streams"].append({"participant": p["id"], "stream": None,
                                 "janus_forwarded": f, "frames_sent": f or 0,
                                 "frames_on_disk": 0, "frames_missing": f or 0,
                                 "lost_before_vpbot": f or 0, "lost_inside_vpbot": 0,
                                 "lost_unexplained": 0})
            continue
        # the share starts with the last F frames sent (Janus forwarded F
        # packets), or earlier if a frame before them is on disk (Janus
        # then dropped some: not forwarded, counted before vpbot)
        frames = p["frames"]
        ctx = {"rate": run.plan["rate"], "t0_ns": p["t0_ns"], "origin_ns": origin,
               "mdir": mdir, "manifest": manifest, "leave_ns": leave, "ended_ns": None,
               "udp_drops_left": drops, "from_first_found": True, "cold_start": True,
               "phase_by_block": True,
               "start_at_most": (frames[-f] if f and f <= len(frames) else None)}
        s = analyze.one_stream(ctx, st, p["id"], {"frames": set(frames), "packets": len(frames)})
        drops = ctx["udp_drops_left"]
        # the last chunk is closed when the bot leaves, seconds after the
        # publishers stopped: its mtime says nothing about latency
        s["latency_durable_ms"] = s["latency_durable_ms"][:-1]
        s["janus_forwarded"] = f
        s["not_forwarded_by_janus"] = (max(0, s["packets_sent"] - f) if f is not None
                                       else None)
        # packets vpbot counted of those Janus sent it: robust when the
        # marker cannot name frames (a timeline seconds behind on a
        # saturated machine)
        s["received_pct"] = (round(100 * min(s["packets_received"], f) / f, 4)
                             if f else None)
        # of what Janus forwarded (else of the share): the measure
        base = f if f else s["frames_sent"]
        s["delivery_pct"] = (round(100 * min(s["frames_on_disk"], base) / base, 4)
                             if base else None)
        r["streams"].append(s)
    return r


def _cost(run, c, t0, t1):
    out = costs.memory(run.mem, c.pid, t0, t1) or {}
    out["cpu_pct"] = costs.cpu_pct(run.samples, c.pid, t0, t1)
    return out


def build(run, versions, machine, interrupted):
    p = run.plan
    t0 = run.marks.get("hold_start", run.marks.get("start", 0))
    t1 = run.marks.get("hold_end", run.marks.get("end", time.monotonic()))
    fwd, rcv = admin_counts(run.admin)
    pubs = []
    for c in run.pubs:
        pl = pub_log(c.log)
        pl.update({"rc": c.describe_rc(), "janus_received": rcv.get(pl["feed_id"]),
                   "frames_sent": len(pl["frames"]), "cost": _cost(run, c, t0, t1)})
        pubs.append(pl)
    by_room = {}
    for pl in pubs:
        by_room.setdefault(pl.get("room"), []).append(pl)
    bots = []
    for c in run.bots:
        b = bot(run, c, by_room.get(c.room, []), fwd)
        b["cost"] = _cost(run, c, t0, t1)
        bots.append(b)
    jc = _cost(run, run.janus, t0, t1) if run.janus else {}
    jc["pid"] = run.janus.pid if run.janus else None
    nstreams = sum(len(b["streams"]) for b in bots)
    jc["cpu_pct_per_subscriber_stream"] = (round(jc["cpu_pct"] / nstreams, 4)
                                           if jc.get("cpu_pct") is not None and nstreams else None)
    s = report.summary(bots, jc, round(t1 - t0, 3), p["publishers"],
                       costs.machine_pct(run.samples, t0, t1))
    s["janus"] = s.pop("simconf")
    streams = [st for b in bots for st in b["streams"]]
    s["delivery_pct_per_subscriber_stream"] = report.dist(
        [st.get("delivery_pct") for st in streams])
    s["delivery_pct_min"] = min((st["delivery_pct"] for st in streams
                                 if st.get("delivery_pct") is not None), default=None)
    s["received_pct_per_subscriber_stream"] = report.dist(
        [st.get("received_pct") for st in streams])
    s["received_pct_min"] = min((st["received_pct"] for st in streams
                                 if st.get("received_pct") is not None), default=None)
    s["received_pct_per_subscriber_stream"] = report.dist(
        [st.get("received_pct") for st in streams])
    s["received_pct_min"] = min((st["received_pct"] for st in streams
                                 if st.get("received_pct") is not None), default=None)
    s["not_forwarded_by_janus"] = (sum(st["not_forwarded_by_janus"] for st in streams)
                                   if streams and all(st.get("not_forwarded_by_janus") is not None
                                                      for st in streams) else None)
    s["janus_forwarded"] = (sum(st["janus_forwarded"] for st in streams)
                            if streams and all(st.get("janus_forwarded") is not None
                                               for st in streams) else None)
    s["janus_forwarded_source"] = SRC if fwd else (
        "not obtainable: no janus.admin_url in the plan" if not p["janus"]["admin_url"]
        else "not comparable: the AudioBridge sends its own mix, frames are counted from "
             "the first one found on disk" if p["janus"]["plugin"] == "audiobridge"
        else "not obtainable: the admin API did not answer")
    s["publishers"] = {
        "count": len(pubs), "frames_sent": sum(x["frames_sent"] for x in pubs),
        "janus_received": (sum(x["janus_received"] for x in pubs)
                           if pubs and all(x["janus_received"] is not None for x in pubs) else None),
        "cpu_pct": report.dist([x["cost"].get("cpu_pct") for x in pubs]),
        "rss_kb": report.dist([x["cost"].get("rss_kb") for x in pubs])}
    rep = {"tool": "vpbot-load", "plan": report.shown_plan(p), "versions": versions, "machine": machine,
           "interrupted": interrupted,
           "phases_s": {k: round(v - run.marks.get("start", v), 3) for k, v in run.marks.items()},
           "run_dir": run.dir, "rooms": run.rooms, "summary": s,
           "publishers": [{k: v for k, v in x.items() if k != "frames"} for x in pubs],
           "bots": bots}
    return rep
