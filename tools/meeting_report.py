#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""meeting_report.py MEETING-DIR [--svg FILE]

Reads a vpbot meeting folder (meeting.json, manifest.jsonl, speech.jsonl,
the chunk WAVs) and prints a summary: policy decision, participants, gate
timeline, streams, seconds recorded and spoken, where the files are. With
--svg, draws the meeting on the recording timeline: one lane per stream
with its speech segments (speech.jsonl; for a folder without one, 100 ms
RMS windows of the chunks), and the gate lane on top over the bot's whole
time in the meeting: from its start (before sample 0, while the gate had
not opened yet: closed) to its end.
Standard library only.
"""
import argparse
import array
import calendar
import json
import math
import os
import sys
import time
import wave
from xml.sax.saxutils import escape


def load(mdir):
    meeting = json.load(open(os.path.join(mdir, "meeting.json")))
    lines = []
    path = os.path.join(mdir, "manifest.jsonl")
    if os.path.exists(path):
        lines = [json.loads(l) for l in open(path) if l.strip()]
    return meeting, lines


def activity(mdir, chunks, rate, win_s=0.1):
    """[(start_s, end_s)] where the stream's 100 ms RMS is above -45 dBFS."""
    spans, cur = [], None
    for c in sorted(chunks, key=lambda c: c["seq"]):
        with wave.open(os.path.join(mdir, c["file"])) as w:
            data = array.array("h", w.readframes(w.getnframes()))
            ch = w.getnchannels()
        win = int(rate * win_s) * ch
        for i in range(0, len(data), win):
            seg = data[i:i + win]
            if not seg:
                continue
            rms = math.sqrt(sum(x * x for x in seg[::4]) / len(seg[::4]))
            t = (c["start_sample"] + i // ch) / rate
            if rms > 32768 * 10 ** (-45 / 20):
                if cur and abs(cur[1] - t) < 1e-6:
                    cur[1] = t + win_s
                else:
                    cur = [t, t + win_s]
                    spans.append(cur)
    return spans


def utc_s(s):
    """RFC 3339 UTC ("...Z") -> POSIX seconds, None if absent."""
    if not s:
        return None
    head, _, frac = s.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
    return t + float("0." + (frac or "0"))


def span_s(meeting):
    """(first, last) second of the bot's time in the meeting, relative to
    sample 0 (timeline_origin_utc): first < 0 when the gate opened late."""
    origin = utc_s(meeting.get("timeline_origin_utc"))
    if (meeting.get("source") or {}).get("kind") == "replay":
        return 0.0, None  # a capture's clock, not the run's
    # the bot's start: a replay says when it began, a live meeting when the
    # first participant was seen (the bot joined then, or just before)
    seen = [utc_s(p.get("joined_utc")) for p in meeting.get("participants", [])]
    seen = [t for t in seen if t is not None]
    start = utc_s(meeting.get("started_utc")) or (min(seen) if seen else None)
    end = utc_s(meeting.get("ended_utc"))
    if origin is None or start is None:
        return 0.0, None
    return min(0.0, start - origin), (end - origin if end else None)


def gate_spans(meeting, begin_s, end_s, rate):
    """[(from_s, to_s, open, reason)] from begin_s to end_s. Marks before
    the first opening are at sample 0 but stand for the time before it."""
    out, prev = [], None
    for g in meeting.get("gate_timeline", []):
        t = g.get("sample", 0) / rate
        if prev is None:
            t0 = begin_s if not g.get("open") else t
            prev = (t0, g.get("open"), g.get("reason", ""))
            continue
        if t > prev[0] or (t == prev[0] and not prev[1]):
            out.append((prev[0], t, prev[1], prev[2]))
        prev = (t, g.get("open"), g.get("reason", ""))
    if prev is not None:
        out.append((prev[0], max(end_s, prev[0]), prev[1], prev[2]))
    return [o for o in out if o[1] > o[0]]


def speech_of(mdir):
    """{stream: [(start_s, end_s)]} from speech.jsonl, None without one."""
    path = os.path.join(mdir, "speech.jsonl")
    if not os.path.exists(path):
        return None
    out = {}
    for l in open(path):
        if l.strip():
            s = json.loads(l)
            out.setdefault(s["stream"], []).append(
                (s["start_sample"] / s["rate"], s["end_sample"] / s["rate"]))
    return out


def summary(mdir, meeting, lines):
    rate = meeting.get("rate", 48000)
    st = meeting.get("status", {})
    print(f"meeting {meeting.get('meeting')}: {st.get('state')} "
          f"(exit {st.get('exit_code')}){' - ' + st['reason'] if st.get('reason') else ''}")
    pol = meeting.get("policy")
    if pol:
        print(f"policy: {pol.get('verdict')}")
        for r in pol.get("reasons", []):
            print(f"  - {r}")
    parts = meeting.get("participants", [])
    print(f"participants ({len(parts)}):")
    for p in parts:
        who = p.get("display") or p["id"]
        ident = f" <{p['identity']}>" if p.get("identity") else ""
        print(f"  {who}{ident}: joined {p.get('joined_utc')}, "
              f"left {p.get('left_utc') or '-'}, stream {p.get('stream') or '-'}")
    gt = meeting.get("gate_timeline", [])
    begin, last = span_s(meeting)
    print(f"gate timeline ({len(gt)} change(s); seconds from sample 0, "
          f"the bot's start is {begin:.2f} s):")
    for a, b, op, why in gate_spans(meeting, begin, last or begin, rate):
        print(f"  {a:8.2f} s .. {b:8.2f} s  {'OPEN  ' if op else 'closed'}  {why}")
    by = {}
    for l in lines:
        by.setdefault(l["stream"], []).append(l)
    total = 0.0
    print(f"streams ({len(by)}):")
    names = {s["id"]: s.get("participant") for s in meeting.get("streams", [])}
    disp = {p["id"]: p.get("display") for p in parts}
    for sid, ch in sorted(by.items()):
        secs = sum(c["samples"] for c in ch) / ch[0]["rate"]
        total += secs
        pid = names.get(sid)
        print(f"  {sid} ({disp.get(pid, pid) or '?'}): {len(ch)} chunk(s), "
              f"{secs:.1f} s, lost {sum(c['lost'] for c in ch)}, "
              f"fec {sum(c['fec'] for c in ch)}, plc {sum(c['plc'] for c in ch)}")
    print(f"recorded: {total:.1f} s of audio in {len(lines)} chunk(s)")
    sp = speech_of(mdir)
    if sp is not None:
        for sid, segs in sorted(sp.items()):
            pid = names.get(sid)
            print(f"  {sid} ({disp.get(pid, pid) or '?'}) spoke "
                  f"{sum(b - a for a, b in segs):.1f} s in {len(segs)} segment(s)")
    print(f"files: {os.path.abspath(mdir)}/streams/ (manifest.jsonl, meeting.json)")


def svg(mdir, meeting, lines, out):
    rate = meeting.get("rate", 48000)
    by = {}
    for l in lines:
        by.setdefault(l["stream"], []).append(l)
    begin, last = span_s(meeting)
    end = max([(c["start_sample"] + c["samples"]) / rate for c in lines] +
              [g.get("sample", 0) / rate for g in meeting.get("gate_timeline", [])] +
              [last or 0, begin + 1])
    speech = speech_of(mdir)
    names = {s["id"]: s.get("participant") for s in meeting.get("streams", [])}
    disp = {p["id"]: p.get("display") or p["id"] for p in meeting.get("participants", [])}
    W, left, lane = 900, 150, 34
    x = lambda t: left + (W - left - 20) * (t - begin) / (end - begin)
    rows = sorted(by)
    H = 80 + lane * (len(rows) + 1) + 40
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="10" y="22" font-size="15">meeting {meeting.get("meeting")}: '
         f'who spoke when, on the recording timeline</text>']
    y = 50
    o.append(f'<text x="10" y="{y + 18}">gate</text>')
    for a, b, op, why in gate_spans(meeting, begin, end, rate):
        o.append(f'<rect x="{x(a):.1f}" y="{y}" width="{max(x(b) - x(a), 1):.1f}" '
                 f'height="24" fill="{"#3a3" if op else "#c33"}"><title>'
                 f'{"open" if op else "closed"}: {escape(why)} (from {a:.2f} s '
                 f'to {b:.2f} s)</title></rect>')
    for i, sid in enumerate(rows):
        y = 50 + lane * (i + 1)
        label = disp.get(names.get(sid), sid)
        o.append(f'<text x="10" y="{y + 18}">{label[:18]} ({sid})</text>')
        o.append(f'<line x1="{left}" x2="{W - 20}" y1="{y + 12}" y2="{y + 12}" stroke="#ddd"/>')
        spans = (speech.get(sid, []) if speech is not None
                 else activity(mdir, by[sid], rate))
        for a, b in spans:
            o.append(f'<rect class="speech" x="{x(a):.1f}" y="{y + 2}" '
                     f'width="{max(x(b) - x(a), 1):.1f}" height="20" '
                     f'fill="hsl({(200 + i * 67) % 360},60%,50%)">'
                     f'<title>{a:.2f}-{b:.2f} s</title></rect>')
    y = 50 + lane * (len(rows) + 1) + 10
    step = max(1, int((end - begin) / 10))
    for t in range(math.ceil(begin), int(end) + 1, step):
        o.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="45" y2="{y}" stroke="#eee"/>')
        o.append(f'<text x="{x(t):.1f}" y="{y + 15}" text-anchor="middle">{t} s</text>')
    o.append('</svg>')
    with open(out, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mdir")
    ap.add_argument("--svg")
    a = ap.parse_args()
    meeting, lines = load(a.mdir)
    summary(a.mdir, meeting, lines)
    if a.svg:
        svg(a.mdir, meeting, lines, a.svg)
        print(f"picture: {os.path.abspath(a.svg)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
