# SPDX-License-Identifier: MIT
"""What every subscriber received, against what simconf sent.

Per stream: frames sent (simconf's send log), frames on disk (the marker
read back from the WAV chunks), lost before vpbot (sent minus packets the
bot counted) vs inside vpbot (late + io_overflow from meeting.json), the
timeline error (where each frame landed vs where its send instant puts it)
and send->durable latency (a chunk file's mtime minus the send instant of
its last frame)."""
import datetime
import glob
import json
import os
import wave

import numpy as np

from . import signal as S

FRAME_NS = 20_000_000
SRC_FRAME = 960          # 20 ms at 48 kHz: simconf's media samples
CODEC_DELAY_MS = 6.5     # Opus encoder look-ahead (VOIP, 48 kHz)
END_MS = 200           # frames sent this close to the host's end of the meeting
TAIL_MS = 400            # frames sent this close to the bot's leave: not counted


def iso_ns(s):
    if not s:
        return None
    d = datetime.datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1_000_000_000 + d.microsecond * 1000


def read_jsonl(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    except OSError:
        pass
    return out


def send_log(path):
    """meeting -> {t0_ns, parts: {pid: {frames: set(k), packets}}}"""
    m = {}
    for e in read_jsonl(path):
        mt = m.setdefault(e.get("meeting"), {"t0_ns": None, "parts": {}})
        ev = e.get("event")
        if ev == "bot_joined":
            mt["t0_ns"] = e["utc_ns"] - e.get("media_ns", 0)
            mt["parts"] = {}  # a new session starts the clock again
        elif ev == "audio" and e.get("sent"):
            p = mt["parts"].setdefault(e["participant"], {"frames": set(), "packets": 0})
            k0 = e["media_start"] // SRC_FRAME
            p["frames"].update(range(k0, k0 + e["frames"]))
        elif ev == "stats":
            p = mt["parts"].setdefault(e["participant"], {"frames": set(), "packets": 0})
            p["packets"] = e.get("packets", 0)
    return m


def stream_pcm(mdir, manifest, sid, rate):
    """The stream's chunks placed on the timeline: (first_sample, pcm,
    [(end_sample, mtime_ns)])."""
    parts, chunks = [], []
    for line in manifest:
        if line.get("stream") != sid:
            continue
        path = os.path.join(mdir, line["file"])
        try:
            with wave.open(path, "rb") as w:
                a = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
            mt = os.stat(path).st_mtime_ns
        except (OSError, wave.Error, EOFError):
            continue
        parts.append((line["start_sample"], a))
        chunks.append((line["start_sample"] + len(a), mt))
    if not parts:
        return None, None, []
    lo = min(s for s, _ in parts)
    hi = max(s + len(a) for s, a in parts)
    pcm = np.zeros(hi - lo, dtype=np.float64)
    for s, a in parts:
        pcm[s - lo:s - lo + len(a)] = a
    return lo, pcm, chunks


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else None


def one_stream(ctx, st, part, sent):
    rate, f = ctx["rate"], ctx["rate"] // 50
    base = (ctx["t0_ns"] - ctx["origin_ns"]) * rate / 1e9 + CODEC_DELAY_MS * rate / 1000
    frames = sorted(sent["frames"])
    leave_ns = ctx.get("leave_ns")
    counted = [k for k in frames if leave_ns is None or
               ctx["t0_ns"] + (k + 1) * FRAME_NS < leave_ns - TAIL_MS * 1_000_000]
    res = {"stream": st["id"], "participant": part, "frames_sent": len(counted),
           "frames_sent_tail_excluded": len(frames) - len(counted),
           "packets_sent": sent["packets"], "packets_received": st.get("packets", 0),
           "late": st.get("late", 0), "io_overflow_frames": st.get("io_overflow", 0) // f,
           "lost_reported": st.get("lost", 0)}
    first, pcm, chunks = stream_pcm(ctx["mdir"], ctx["manifest"], st["id"], rate)
    found = {}
    if pcm is not None:
        # the encoder's look-ahead: the last CODEC_DELAY_MS of the last
        # frame sent were never in a packet (they would have been in the
        # next one), so its window runs past the stream; the bot wrote
        # every sample it decoded (tests/integration/recv_path.sh). Pad
        # with a frame of silence (the detector's phase is a step of
        # f/16, not exactly the delay) so its marker can still be read.
        pcm = np.concatenate([pcm, np.zeros(f, dtype=pcm.dtype)])
        starts, ids, ok = (S.frames_by_block(pcm, rate) if ctx.get("phase_by_block")
                           else S.frames(pcm, rate))
        pos = starts[ok] + first
        k_est = np.rint((pos - base) / f).astype(np.int64)
        ks = S.nearest_frame(k_est, ids[ok])
        err = pos - (base + ks * f)
        for k, e in zip(ks.tolist(), err.tolist()):
            if k not in found or abs(e) < abs(found[k]):
                found[k] = e
    if ctx.get("from_first_found"):
        # the subscriber's share starts at the first of the publisher's
        # frames found on its disk (or earlier, ctx start_at_most)
        k0 = min((k for k in found if k in sent["frames"]), default=None)
        if ctx.get("start_at_most") is not None:  # e.g. the last F frames' first
            k0 = ctx["start_at_most"] if k0 is None else min(k0, ctx["start_at_most"])
        frames = [k for k in frames if k0 is not None and k >= k0]
        counted = [k for k in counted if k0 is not None and k >= k0]
        sent = dict(sent, packets=len(frames))
        res.update({"frames_sent": len(counted), "packets_sent": len(frames),
                    "frames_sent_tail_excluded": len(frames) - len(counted)})
    cset = set(counted)
    on_disk = [k for k in counted if k in found]
    errs_ms = [found[k] * 1000 / rate for k in on_disk]
    res["frames_on_disk"] = len(on_disk)
    res["frames_extra"] = len([k for k in found if k not in set(frames)])
    missing = len(counted) - len(on_disk)
    # sent in the last END_MS before the host ended the meeting: the bot
    # left with them in its jitter buffer (counted apart, inside vpbot)
    end_ns = ctx.get("ended_ns")
    at_end = 0 if end_ns is None else sum(
        1 for k in counted if k not in found and
        ctx["t0_ns"] + (k + 1) * FRAME_NS >= end_ns - END_MS * 1_000_000)
    res["lost_at_meeting_end"] = at_end
    # packets the bot never counted: dropped by the kernel at the bot's
    # full socket buffer (inside vpbot: it did not read in time, the
    # drops are per bot and shared out stream by stream) or lost on the way
    tail = len(frames) - len(counted)  # their packets may be unread: not counted
    unread = max(0, sent["packets"] - tail - st.get("packets", 0))
    rcvbuf = min(unread, ctx.get("udp_drops_left", 0))
    ctx["udp_drops_left"] = ctx.get("udp_drops_left", 0) - rcvbuf
    res["socket_buffer_drops"] = rcvbuf
    before = max(0, min(missing, unread - rcvbuf))
    inside = min(missing - before,
                 res["late"] + res["io_overflow_frames"] + at_end + rcvbuf)
    # the decoder's first frame or two after a gap (PLC -> resync) can be
    # too disturbed to name (tools/load/test_signal.py): such a frame is
    # on disk in some form, not lost; counted apart, not as unexplained
    gone = set(counted) - set(on_disk)
    # a subscriber that joins mid-stream (janus) starts its decoder cold
    # on the encoder's running stream: its first frame or two are the
    # same resync, with the gap before the stream
    k_in = min(counted) if counted and ctx.get("cold_start") else None
    after_gap = sum(1 for k in gone if {k - 1, k - 2} & gone or
                    (k_in is not None and k < k_in + 2))
    resync = min(missing - before - inside, after_gap)
    res.update({"frames_missing": missing, "lost_before_vpbot": before,
                "lost_inside_vpbot": inside, "unnamed_after_gap": resync,
                "lost_unexplained": missing - before - inside - resync,
                "timeline_error_ms": {"median": pct(errs_ms, 50), "p99_abs": pct(np.abs(errs_ms), 99),
                                      "max_abs": float(np.max(np.abs(errs_ms))) if errs_ms else None}})
    med = pct(errs_ms, 50) or 0.0
    lat = []
    for end, mt in chunks:
        k_last = int(np.floor((end - base - med * rate / 1000) / f)) - 1
        if k_last in cset or k_last in found:
            lat.append((mt - (ctx["t0_ns"] + (k_last + 1) * FRAME_NS)) / 1e6)
    res["latency_durable_ms"] = lat
    if on_disk:
        k0 = on_disk[0]
        codec = CODEC_DELAY_MS * rate / 1000
        land = ctx["origin_ns"] + (base - codec + k0 * f + found[k0]) * 1e9 / rate
        res["first_frame_latency_ms"] = (land - ctx["t0_ns"] - (k0 + 1) * FRAME_NS) / 1e6
    return res


def meeting_dir(out_dir, mid):
    """The folder of sim meeting MID (joined without --meeting): the bot
    names it sim-HOST_PORT_MID (README "Commands"), one simconf per run."""
    found = sorted(glob.glob(os.path.join(glob.escape(out_dir),
                                          "sim-*_" + glob.escape(mid))))
    return found[0] if found else os.path.join(out_dir, "sim-?_" + mid)


def bot(run_dir, out_dir, bot_info, sends, rate):
    """Analysis of one bot's meeting; bot_info: meeting, spawn_utc_ns, rc."""
    mid = bot_info["meeting"]
    mdir = meeting_dir(out_dir, mid)
    ev = read_jsonl(os.path.join(run_dir, "events", f"{mid}.jsonl"))
    r = {"meeting": mid, "rc": bot_info["rc"], "streams": [],
         "udp_rcvbuf_drops": bot_info.get("udp_drops", 0)}
    joined = next((iso_ns(e["ts"]) for e in ev if e.get("event") == "joined"), None)
    # frames sent just before the bot left on a signal or died are not
    # counted (in flight); a meeting the host ended is counted to its end
    leave = next((iso_ns(e["ts"]) for e in ev if e.get("event") == "leaving"), None)
    ended = next((iso_ns(e["ts"]) for e in ev if e.get("event") == "meeting_ended"), None)
    if ended:
        leave = None
    if bot_info.get("rc") not in (0, None) and bot_info.get("end_utc_ns"):
        leave = min(leave or bot_info["end_utc_ns"], bot_info["end_utc_ns"])
    first_audio = next((iso_ns(e["ts"]) for e in ev if e.get("event") == "stream_started"), None)
    r["spawn_to_joined_ms"] = (joined - bot_info["spawn_utc_ns"]) / 1e6 if joined else None
    r["joined_to_first_audio_ms"] = (first_audio - joined) / 1e6 if joined and first_audio else None
    r["errors"] = [e.get("message") or e.get("reason") for e in ev if e.get("event") == "error"][:3]
    try:
        with open(os.path.join(mdir, "meeting.json"), encoding="utf-8") as f:
            mj = json.load(f)
    except (OSError, json.JSONDecodeError):
        return r
    r["status"] = mj.get("status", {}).get("state")
    r["transport_rx_drop"] = mj.get("transport", {}).get("rx_drop", 0)
    # the bot's own count, read just before its sockets closed, sees drops
    # after the harness's last /proc sample
    udp = max(bot_info.get("udp_drops", 0),
              mj.get("transport", {}).get("udp_rcvbuf_drops", 0))
    r["udp_rcvbuf_drops"] = udp
    snd = sends.get(mid)
    if not snd or snd["t0_ns"] is None:
        return r
    ctx = {"rate": rate, "t0_ns": snd["t0_ns"], "origin_ns": iso_ns(mj.get("timeline_origin_utc")),
           "mdir": mdir, "manifest": read_jsonl(os.path.join(mdir, "manifest.jsonl")),
           "leave_ns": leave, "ended_ns": ended,
           "udp_drops_left": udp}
    if ctx["origin_ns"] is None:
        return r
    pstream = {p["id"]: p.get("stream") for p in mj.get("participants", [])}
    streams = {s["id"]: s for s in mj.get("streams", [])}
    for part, sent in sorted(snd["parts"].items()):
        st = streams.get(pstream.get(part))
        if st is None:
            r["streams"].append({"participant": part, "stream": None,
                                 "frames_sent": len(sent["frames"]), "frames_on_disk": 0,
                                 "frames_missing": len(sent["frames"]),
                                 "lost_before_vpbot": len(sent["frames"]),
                                 "lost_inside_vpbot": 0, "lost_unexplained": 0})
            continue
        r["streams"].append(one_stream(ctx, st, part, sent))
    return r
