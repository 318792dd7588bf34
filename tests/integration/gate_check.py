#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gate_check.py CASE TMP [ARGS]: the checks behind tests/integration/gate_*.sh
and load50.sh. TMP holds what gate_lib.sh left: send.jsonl (simconf's send
log), dump/MEETING/PID.wav (the exact PCM each participant fed the encoder),
events.jsonl, out/MEETING/{meeting.json,manifest.jsonl,streams/...}.

Time bases: simconf's `media_ns` counts from its `bot_joined`; the bot's
samples count from `timeline_origin_utc` (the first instant the gate
opened). Both clocks are the host's UTC, so bot sample s is media sample
s + off, off = (origin - bot_joined) * rate. Audio on the bot's timeline lags
its source by a small constant (frame + transit + codec delay) that is
measured by cross-correlation, so each recorded sample can be traced back to
the instant it was spoken.

Prints one line per check (`ok` / `FAIL`), exits 1 if any failed."""
import calendar
import glob
import json
import os
import sys
import wave

import numpy as np
from vcheck import check, failed, jsonl, sim_meeting_dir

RATE = 48000
FRAME = RATE // 50


def utc_ns(s):
    """RFC 3339 with up to ns fraction, 'Z' -> ns since the epoch."""
    day, frac = s.rstrip("Z"), "0"
    if "." in day:
        day, frac = day.split(".")
    t = calendar.timegm(__import__("time").strptime(day, "%Y-%m-%dT%H:%M:%S"))
    return t * 10**9 + int((frac + "000000000")[:9])


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        return np.frombuffer(w.readframes(w.getnframes()),
                             dtype="<i2").astype(np.float64)


class Run:
    """Everything one run left in TMP for meeting MID (simconf's id)."""

    def __init__(self, tmp, mid):
        self.tmp, self.mid = tmp, mid
        self.log = [e for e in jsonl(tmp + "/send.jsonl")
                    if e.get("meeting") == mid]
        self.events = jsonl(tmp + "/events.jsonl")
        self.dir = sim_meeting_dir(tmp + "/out", mid)
        mj = self.dir + "/meeting.json"
        self.meeting = json.load(open(mj)) if os.path.exists(mj) else {}
        self.manifest = jsonl(self.dir + "/manifest.jsonl")
        self.wavs = glob.glob(self.dir + "/streams/*/*.wav")
        joined = [e for e in self.log if e["event"] == "bot_joined"]
        self.joined_ns = joined[0]["utc_ns"] if joined else None
        o = self.meeting.get("timeline_origin_utc")
        self.origin_ns = utc_ns(o) if o else None

    def off(self):
        """bot sample + off = simconf media sample"""
        return round((self.origin_ns - self.joined_ns) * RATE / 1e9)

    def sim(self, event, pid=None):
        return [e for e in self.log if e["event"] == event and
                (pid is None or e.get("participant") == pid)]

    def media_of_utc(self, ns):
        """a host UTC instant -> simconf media sample"""
        return round((ns - self.joined_ns) * RATE / 1e9)

    def source(self, pid):
        return read_wav("%s/dump/%s/%s.wav" % (self.tmp, self.mid, pid))

    def stream_of(self, pid):
        for s in self.meeting.get("streams", []):
            if s["participant"] == pid:
                return s["id"]
        return None

    def chunks(self, sid=None):
        """[(manifest line, pcm)] in order"""
        out = []
        for m in self.manifest:
            if sid is None or m["stream"] == sid:
                out.append((m, read_wav(self.dir + "/" + m["file"])))
        return out

    def closed_windows(self):
        """[(first, end)) bot samples while the gate was closed"""
        tl, w = self.meeting.get("gate_timeline", []), []
        for i, g in enumerate(tl):
            if not g["open"]:
                end = tl[i + 1]["sample"] if i + 1 < len(tl) else 1 << 62
                w.append((g["sample"], end))
        return w


def xcorr(x, y, a, lag):
    """max normalized correlation of x against y[a+l : a+l+len(x)] over
    |l| <= lag, and the best l. Silence on either side counts as 0."""
    n = len(x)
    ex = float(np.dot(x, x))
    if n == 0 or ex < 1e3 * n * 1e-3:
        return 0.0, 0
    lo = a - lag
    seg = np.zeros(n + 2 * lag)
    s0, s1 = max(lo, 0), min(lo + len(seg), len(y))
    if s1 > s0:
        seg[s0 - lo:s1 - lo] = y[s0:s1]
    nfft = 1 << int(np.ceil(np.log2(len(seg) + n)))
    num = np.fft.irfft(np.fft.rfft(seg, nfft) *
                       np.conj(np.fft.rfft(x, nfft)), nfft)[:2 * lag + 1]
    cs = np.concatenate(([0.0], np.cumsum(seg * seg)))
    ey = cs[n:n + 2 * lag + 1] - cs[:2 * lag + 1]
    c = np.where(ey > 1e-3 * ex, num / np.sqrt(ex * np.maximum(ey, 1e-9)),
                 0.0)
    i = int(np.argmax(np.abs(c)))
    return float(abs(c[i])), i - lag


def content_span(pcm, thr=200):
    """first and last+1 index where |pcm| > thr, or None (silence)"""
    nz = np.nonzero(np.abs(pcm) > thr)[0]
    return (int(nz[0]), int(nz[-1]) + 1) if len(nz) else None


def ms(samples):
    return "%.1f ms" % (samples * 1000.0 / RATE)


# A message's way from simconf to the bot takes what the machine gives it:
# the checks order events and bound the delay only to catch a hang.
HANG_S = 5


def bot_event(r, name, pid):
    """the bot's first event NAME for participant PID, as a sample on the
    bot's timeline, or None"""
    for e in r.events:
        if e["event"] == name and e.get("id") == pid:
            return round((utc_ns(e["ts"]) - r.origin_ns) * RATE / 1e9)
    return None


def reached(r, what, bot_sample, sim_sample):
    """the bot got WHAT after simconf sent it, and not a hang later"""
    d = bot_sample + r.off() - sim_sample
    return check("%s reached the bot after simconf sent it (< %d s)" %
                 (what, HANG_S), -RATE // 1000 <= d <= HANG_S * RATE, ms(d))


def trace_streams(r, pids, lag=int(0.3 * RATE)):
    """For each pid's stream: per chunk, correlation with the own source
    and the source interval its audible content came from."""
    out = {}
    for pid in pids:
        sid = r.stream_of(pid)
        src = r.source(pid)
        rows = []
        for m, pcm in r.chunks(sid):
            a = m["start_sample"] + r.off()
            c, l = xcorr(pcm, src, a, lag)
            span = content_span(pcm)
            rows.append((m, pcm, c, l, span))
        out[pid] = rows
    return out


def check_sources(r, traced, forbid, min_corr=0.9, tol=int(0.04 * RATE)):
    """Every audible chunk correlates with its own source; no audible
    sample was spoken inside a forbidden source window [a, b) (tolerance
    tol at each edge)."""
    for pid, rows in traced.items():
        audible = [x for x in rows if x[4]]
        check("%s: audible chunks on disk" % pid, len(audible) > 0,
              "%d of %d chunks" % (len(audible), len(rows)))
        for m, pcm, c, l, span in audible:
            check("%s %s: matches %s's source" % (pid, m["file"], pid),
                  c >= min_corr, "corr %.3f at lag %s" % (c, ms(l)))
            s0 = m["start_sample"] + r.off() + l + span[0]
            s1 = m["start_sample"] + r.off() + l + span[1]
            for a, b in forbid:
                bad = s0 < b - tol and s1 > a + tol
                check("%s %s: nothing spoken in the closed window" %
                      (pid, m["file"]), not bad,
                      "content spoken %.3f-%.3f s, window %.3f-%.3f s" %
                      (s0 / RATE, s1 / RATE, a / RATE, b / RATE))


def check_chunk_extents(r, tol=int(0.04 * RATE)):
    """No chunk (zeros included) reaches into a closed window: README: the
    next chunk starts where the gate reopened, nothing is written for the
    closed time."""
    for a, b in r.closed_windows():
        for m in r.manifest:
            s, e = m["start_sample"], m["start_sample"] + m["samples"]
            check("%s: outside the closed window" % m["file"],
                  not (s < b - tol and e > a + tol),
                  "chunk %d-%d, closed %d-%d (dtx_samples %d)" %
                  (s, e, a, b, m.get("dtx_samples", 0)))


def leak_check(r, pid, max_corr=0.2, lag=int(0.5 * RATE)):
    """No recorded chunk of any stream resembles pid's source."""
    src = r.source(pid)
    check("%s's source is not silent" % pid,
          float(np.sqrt(np.mean(src ** 2))) > 100)
    worst = (0.0, None)
    for m, pcm in r.chunks():
        c, _ = xcorr(pcm, src, m["start_sample"] + r.off(), lag)
        worst = max(worst, (c, m["file"]), key=lambda t: t[0])
    check("no chunk correlates with %s's audio" % pid, worst[0] < max_corr,
          "max normalized correlation %.3f (%s)" % worst)


def case_never_consents(tmp, rc):
    r = Run(tmp, "nc")
    check("exit code 77", rc == 77, "got %d" % rc)
    st = r.meeting.get("status", {})
    check("meeting.json status exit_code 77", st.get("exit_code") == 77)
    check("meeting.json says why (consent)",
          "consent" in (st.get("reason") or ""), repr(st.get("reason")))
    check("no chunk in the manifest", len(r.manifest) == 0,
          "%d lines" % len(r.manifest))
    check("no audio file", len(r.wavs) == 0, "%d wav" % len(r.wavs))
    check("no stream recorded samples",
          all(s.get("samples", 0) == 0 for s in r.meeting.get("streams", [])))
    tl = r.meeting.get("gate_timeline", [])
    check("gate_timeline: closed, never open",
          len(tl) >= 1 and not any(g["open"] for g in tl) and
          "consent" in tl[0]["reason"], json.dumps(tl))
    gates = [e for e in r.events if e["event"] == "gate"]
    check("events: gate closed (consent), never open",
          gates and not any(g["open"] for g in gates) and
          "consent" in gates[0]["reason"], json.dumps(gates))
    sent = sum(e["frames"] for e in r.sim("audio") if e["sent"])
    check("simconf did send audio (the gate had something to drop)",
          sent > 0 and r.sim("media_state") and
          any(e["state"] == "secure" for e in r.sim("media_state")),
          "%d frames" % sent)


def case_never_record(tmp, rc):
    r = Run(tmp, "nr")
    check("exit code 0", rc == 0, "got %d" % rc)
    if not check("timeline_origin_utc set", r.origin_ns is not None):
        return
    tl = r.meeting["gate_timeline"]
    j = r.sim("participant_joined", "carol")[0]["utc_ns"]
    lft = r.sim("participant_left", "carol")[0]["utc_ns"]
    jm, lm = r.media_of_utc(j), r.media_of_utc(lft)
    w = r.closed_windows()
    check("gate: opened at 0, closed once, reopened",
          [g["open"] for g in tl] == [True, False, True] and
          "never_record" in tl[1]["reason"], json.dumps(tl))
    if len(w) != 1:
        return
    # the gate acts on the bot's own participant events, within a frame
    bj = bot_event(r, "participant_joined", "carol")
    bl = bot_event(r, "participant_left", "carol")
    if not check("events: carol joined, then left", bj is not None and
                 bl is not None and bj < bl):
        return
    check("gate closed within one frame of carol's join reaching the bot",
          -FRAME <= w[0][0] - bj <= FRAME,
          "join at sample %d, closed at %d" % (bj, w[0][0]))
    check("gate reopened within one frame of carol's leave reaching the bot",
          -FRAME <= w[0][1] - bl <= FRAME,
          "left at sample %d, opened at %d" % (bl, w[0][1]))
    reached(r, "carol's join", bj, jm)
    reached(r, "carol's leave", bl, lm)
    sid = r.stream_of("carol")
    n = [m for m in r.manifest if sid and m["stream"] == sid]
    check("carol's stream has no chunk", len(n) == 0, "%d chunks" % len(n))
    check("carol's stream has no file", not glob.glob(
        "%s/streams/%s/*.wav" % (r.dir, sid)) if sid else True)
    carol_sent = sum(e["frames"] for e in r.sim("audio", "carol")
                     if e["sent"])
    check("carol's audio did go on the wire", carol_sent > 100,
          "%d frames" % carol_sent)
    leak_check(r, "carol")
    traced = trace_streams(r, ["alice", "bob"])
    check_sources(r, traced, [(jm, lm)])
    check_chunk_extents(r)


def case_revoke(tmp, rc):
    r = Run(tmp, "rv")
    check("exit code 0", rc == 0, "got %d" % rc)
    if not check("timeline_origin_utc set", r.origin_ns is not None):
        return
    tl = r.meeting["gate_timeline"]
    check("gate: open, closed by the revoke, reopened by the consent",
          [g["open"] for g in tl] == [True, False, True] and
          "consent" in tl[1]["reason"], json.dumps(tl))
    w = r.closed_windows()
    cons = [e for e in r.events if e["event"] == "consent" and
            e["id"] == "bob"]
    rev = [e for e in cons if not e["granted"]]
    again = [e for e in cons if e["granted"] and
             rev and utc_ns(e["ts"]) > utc_ns(rev[0]["ts"])]
    if not (check("events: bob revoked, then consented", rev and again)
            and len(w) == 1):
        return
    # the instant the revoke reached the bot, on the bot's timeline
    rb = round((utc_ns(rev[0]["ts"]) - r.origin_ns) * RATE / 1e9)
    ob = round((utc_ns(again[0]["ts"]) - r.origin_ns) * RATE / 1e9)
    check("gate closed within one frame of the revoke reaching the bot",
          -FRAME <= w[0][0] - rb <= FRAME,
          "revoke at sample %d, closed at %d (%s)" %
          (rb, w[0][0], ms(w[0][0] - rb)))
    check("gate reopened within one frame of the consent",
          -FRAME <= w[0][1] - ob <= FRAME,
          "consent at sample %d, opened at %d" % (ob, w[0][1]))
    sr = r.media_of_utc(r.sim("revoke", "bob")[0]["utc_ns"])
    reached(r, "the revoke", rb, sr)
    late = [m for m in r.manifest
            if m["start_sample"] + m["samples"] > rb + FRAME and
            m["start_sample"] < w[0][1]]
    check("no recorded sample after the revoke + 20 ms (until reopened)",
          not late, "; ".join("%s %d-%d" % (m["file"], m["start_sample"],
                                            m["start_sample"] + m["samples"])
                              for m in late) + " revoke at %d" % rb)
    # exact: the close is at its sample, not within a frame of it (track.c
    # holds PCM until the clock has passed its place on the timeline)
    past = [m for m in r.manifest
            if m["start_sample"] + m["samples"] > w[0][0] and
            m["start_sample"] < w[0][1]]
    check("no recorded sample at or after the gate's closing sample",
          not past, "; ".join("%s %d-%d" % (m["file"], m["start_sample"],
                                            m["start_sample"] + m["samples"])
                              for m in past) + " closed at %d" % w[0][0])
    traced = trace_streams(r, ["alice", "bob"])
    before = [x for x in traced["bob"] if x[4] and
              x[0]["start_sample"] < rb]
    check("bob's audio before the revoke is on disk", len(before) > 0)
    after = [x for x in traced["bob"] if x[4] and
             x[0]["start_sample"] >= w[0][1] - FRAME]
    check("bob's audio after the re-consent is on disk", len(after) > 0)
    check_sources(r, traced, [(rb + r.off() + FRAME, ob + r.off())])
    check_chunk_extents(r)


def case_settings_url(tmp, rc, elapsed, secret):
    r = Run(tmp, "su")
    check("exit code 75", rc == 75, "got %d" % rc)
    check("quickly", float(elapsed) < 5.0, "%s s" % elapsed)
    pol = r.meeting.get("policy", {})
    check("meeting.json policy: deny, load_error, settings missing",
          pol.get("verdict") == "deny" and pol.get("load_error") and
          any("settings_missing" in x for x in pol.get("reasons", [])),
          json.dumps(pol))
    check("meeting.json status exit_code 75",
          r.meeting.get("status", {}).get("exit_code") == 75)
    check("nothing recorded", not r.manifest and not r.wavs and
          not r.meeting.get("streams"))
    check("the bot never joined the meeting", not r.sim("bot_joined"),
          "%d bot_joined" % len(r.sim("bot_joined")))
    leaks = []
    for root, _, files in os.walk(tmp):
        for f in files:
            p = os.path.join(root, f)
            if not p.endswith(".wav") and secret.encode() in \
                    open(p, "rb").read():
                leaks.append(os.path.relpath(p, tmp))
    check("the settings URL's token is in no log or file", not leaks,
          ", ".join(leaks))


def case_lobby_end(tmp, rc):
    r = Run(tmp, "le")
    check("exit code 0", rc == 0, "got %d" % rc)
    lob, adm = r.sim("lobby"), r.sim("admitted")
    if not check("send log: lobby then admitted", lob and adm):
        return
    wait = (adm[0]["utc_ns"] - lob[0]["utc_ns"]) / 1e9
    # simconf admits 2 s after the lobby (a timer never fires early)
    check("admitted 2 s or later after entering the lobby",
          1.9 <= wait <= 2 + HANG_S, "%.3f s" % wait)
    ev = {e["event"]: utc_ns(e["ts"]) for e in reversed(r.events)}
    check("bot's joined event after admission",
          ev.get("joined", 0) >= adm[0]["utc_ns"] - 10**6)
    check("recording starts after admission",
          r.origin_ns and r.origin_ns >= adm[0]["utc_ns"])
    st = r.meeting.get("status", {})
    check("meeting.json: finished, exit 0",
          st.get("state") == "finished" and st.get("exit_code") == 0,
          json.dumps(st))
    check("bot saw the host end the meeting", "meeting_ended" in ev)
    end = r.sim("meeting_ended")
    check("send log: meeting_ended", len(end) == 1)
    for pid in ("alice", "bob"):
        sent = [e for e in r.sim("audio", pid) if e["sent"]]
        sid = r.stream_of(pid)
        ch = r.chunks(sid)
        if not check("%s: sent audio and a stream" % pid, sent and ch):
            continue
        src = r.source(pid)
        m0, pcm0 = ch[0]
        c, lag = xcorr(pcm0, src, m0["start_sample"] + r.off(),
                       int(0.3 * RATE))
        check("%s: stream matches the source" % pid, c >= 0.9,
              "corr %.3f" % c)
        # first/last audible sample, traced back to the source timeline
        f = [(m, content_span(p)) for m, p in ch if content_span(p)]
        first = f[0][0]["start_sample"] + f[0][1][0] + r.off() + lag
        last = f[-1][0]["start_sample"] + f[-1][1][1] + r.off() + lag
        # what went out, trimmed to where the source is audible
        s0, s1 = sent[0]["media_start"], sent[-1]["media_end"]
        sp = content_span(src[s0:s1])
        s0, s1 = (s0 + sp[0], s0 + sp[1]) if sp else (s0, s1)
        tol = int(0.1 * RATE)
        check("%s: recording covers what was sent" % pid,
              abs(first - s0) <= tol and abs(last - s1) <= tol,
              "recorded %.3f-%.3f s, sent %.3f-%.3f s" %
              (first / RATE, last / RATE, s0 / RATE, s1 / RATE))
        tot = sum(m["samples"] for m, _ in ch)
        span = (ch[-1][0]["start_sample"] + ch[-1][0]["samples"] -
                ch[0][0]["start_sample"])
        check("%s: chunks contiguous, duration %.3f s" % (pid, tot / RATE),
              tot == span, "samples %d, span %d" % (tot, span))
    # the bot ended after simconf ended the meeting, not a hang later
    left = (utc_ns(r.meeting["ended_utc"]) - end[0]["utc_ns"]) / 1e9 \
        if end else -1
    check("bot left when the meeting ended (< %d s after)" % HANG_S,
          -0.001 <= left <= HANG_S, "%.3f s after meeting_ended" % left)


def dominant(x):
    spec = np.abs(np.fft.rfft(x))
    return round(float(np.fft.rfftfreq(len(x), 1 / RATE)[np.argmax(spec)]))


def case_load50(tmp, n):
    n = int(n)
    bad = []
    rcs = {}
    for k in range(1, n + 1):
        p = "%s/rc.%d" % (tmp, k)
        rcs[k] = int(open(p).read()) if os.path.exists(p) else -1
    check("all %d bots exit 0" % n, all(v == 0 for v in rcs.values()),
          " ".join("%d:%d" % kv for kv in rcs.items() if kv[1] != 0))
    overflow = 0
    for k in range(1, n + 1):
        r = Run(tmp, "load-50-%d" % k)
        streams = r.meeting.get("streams", [])
        overflow += sum(s.get("io_overflow", 0) for s in streams)
        overflow += r.meeting["status"]["io_overflow"]
        peaks = {}
        for pid, want in (("a", 440), ("b", 660)):
            ch = r.chunks(r.stream_of(pid)) if r.stream_of(pid) else []
            if not ch:
                peaks[pid] = None
                continue
            x = np.concatenate([p for _, p in ch])
            peaks[pid] = dominant(x) if np.sqrt(np.mean(x ** 2)) > 1000 \
                else 0
        if len(streams) != 2 or peaks.get("a") is None or \
                abs(peaks["a"] - 440) > 5 or peaks.get("b") is None or \
                abs(peaks["b"] - 660) > 5:
            bad.append("load-50-%d: %d streams, peaks %s" %
                       (k, len(streams), peaks))
    check("every meeting: 2 streams, 440 Hz and 660 Hz", not bad,
          "; ".join(bad[:5]) + (" …" if len(bad) > 5 else ""))
    check("no io_overflow", overflow == 0, "%d samples" % overflow)
    cpu, rss = [], []
    for k in range(1, n + 1):
        p = "%s/time.%d" % (tmp, k)
        if os.path.exists(p):
            # "Command exited with non-zero status N" may come first
            f = (open(p).read().strip().splitlines() or [""])[-1].split()
            if len(f) == 4:
                cpu.append(float(f[1]) + float(f[2]))
                rss.append(int(f[3]))
    if cpu:
        print("info: CPU s per bot: min %.2f mean %.2f max %.2f, total %.1f"
              % (min(cpu), sum(cpu) / len(cpu), max(cpu), sum(cpu)))
        print("info: peak RSS per bot: min %.1f mean %.1f max %.1f MiB" %
              (min(rss) / 1024, sum(rss) / len(rss) / 1024,
               max(rss) / 1024))


CASES = {"never_consents": case_never_consents,
         "never_record": case_never_record, "revoke": case_revoke,
         "settings_url": case_settings_url, "lobby_end": case_lobby_end,
         "load50": case_load50}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in CASES:
        sys.exit("usage: gate_check.py %s TMP [ARGS]" % "|".join(CASES))
    args = [int(a) if a.lstrip("-").isdigit() else a for a in sys.argv[3:]]
    CASES[sys.argv[1]](sys.argv[2], *args)
    print("%s: %s" % (sys.argv[1], "FAIL: " + ", ".join(failed)
                      if failed else "all checks passed"))
    sys.exit(1 if failed else 0)
