#!/usr/bin/python3
"""Check a `vpbot replay` output folder against what rtpgen injected.

check_pipeline.py MEETING-DIR GEN-PREFIX --rate R --min-corr C [--streams N]

Asserts (each failure is printed; exit 1 if any):
- every manifest line has the docs/design.md §5 keys and names a complete WAV;
- within each stream, chunk n+1 starts at chunk n's start_sample + samples;
- the timeline length equals the source's within one 20 ms frame;
- lost == injected losses, fec + plc == lost, dtx_samples == injected DTX;
- the decoded audio correlates with the source (best alignment) >= C;
- chunks after the first RTCP SR carry utc_source "rtcp_sr" and a start_utc
  that matches the sender's NTP clock (rtpgen --sr-offset-ms) within 1 ms.
"""
import argparse
import datetime
import json
import os
import sys
import wave

import numpy as np

KEYS = ["stream", "file", "seq", "start_sample", "samples", "rate",
        "channels", "start_utc", "lost", "fec", "plc", "dtx"]
problems = []


def fail(msg):
    problems.append(msg)
    print("FAIL", msg)


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            fail(f"{path}: not 16-bit")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), \
            w.getframerate(), w.getnchannels()


def resample(x, src_rate, dst_rate):
    if src_rate == dst_rate:
        return x.astype(np.float64)
    n = int(round(len(x) * dst_rate / src_rate))
    spec = np.fft.rfft(x.astype(np.float64))
    keep = n // 2 + 1
    return np.fft.irfft(spec[:keep], n) * (n / len(x))


def best_corr(a, b):
    """Normalized correlation of a and b at the best lag (FFT)."""
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    xc = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(xc))
    if lag > n // 2:
        lag -= n
    if lag >= 0:
        x, y = a[lag:], b
    else:
        x, y = a, b[-lag:]
    m = min(len(x), len(y))
    x, y = x[:m], y[:m]
    den = np.sqrt(np.dot(x, x) * np.dot(y, y))
    return (float(np.dot(x, y) / den) if den else 0.0), lag


def utc_ns(s):
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 10**9 + dt.microsecond * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mdir")
    ap.add_argument("gen")
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--min-corr", type=float, default=0.99)
    ap.add_argument("--streams", type=int, default=1)
    a = ap.parse_args()

    inj = json.load(open(a.gen + ".json"))
    lines = [json.loads(l) for l in open(os.path.join(a.mdir, "manifest.jsonl"))]
    streams = {}
    for ln in lines:
        for k in KEYS:
            if k not in ln:
                fail(f"manifest line {ln.get('file')} lacks {k}")
        streams.setdefault(ln["stream"], []).append(ln)
    if len(streams) != a.streams:
        fail(f"{len(streams)} streams, expected {a.streams}")
    src, src_rate, _ = read_wav(a.gen + ".wav")
    src_r = resample(src, src_rate, a.rate)
    frame = a.rate // 50

    for sid, chunks in streams.items():
        chunks.sort(key=lambda c: c["seq"])
        pcm = []
        for prev, cur in zip(chunks, chunks[1:]):
            if cur["start_sample"] != prev["start_sample"] + prev["samples"]:
                fail(f"{sid}: chunk {cur['seq']} starts at {cur['start_sample']}, "
                     f"previous ended at {prev['start_sample'] + prev['samples']}")
        for c in chunks:
            if c["rate"] != a.rate:
                fail(f"{sid}: rate {c['rate']} != {a.rate}")
            x, r, ch = read_wav(os.path.join(a.mdir, c["file"]))
            if len(x) != c["samples"] * c["channels"] or r != c["rate"]:
                fail(f"{c['file']}: {len(x)} samples in file, manifest says {c['samples']}")
            pcm.append(x)
        rec = np.concatenate(pcm).astype(np.float64)
        total = sum(c["samples"] for c in chunks)
        want = len(src_r)
        print(f"{sid}: {len(chunks)} chunks, {total} samples "
              f"({total / a.rate:.3f} s), source {want / a.rate:.3f} s")
        if abs(total - want) > frame:
            fail(f"{sid}: timeline length {total} vs source {want} (> one frame)")
        lost = sum(c["lost"] for c in chunks)
        fec = sum(c["fec"] for c in chunks)
        plc = sum(c["plc"] for c in chunks)
        dtx_s = sum(c.get("dtx_samples", 0) for c in chunks)
        print(f"{sid}: lost {lost} (injected {inj['lost']}), fec {fec}, "
              f"plc {plc}, dtx_samples {dtx_s} (injected "
              f"{inj['dtx_samples'] * a.rate // 48000})")
        if lost != inj["lost"]:
            fail(f"{sid}: lost {lost} != injected {inj['lost']}")
        if fec + plc != lost:
            fail(f"{sid}: fec {fec} + plc {plc} != lost {lost}")
        if inj["fec"] and inj["lost"] >= 10 and fec == 0:
            fail(f"{sid}: FEC was in the stream but never used")
        if dtx_s != inj["dtx_samples"] * a.rate // 48000:
            fail(f"{sid}: dtx_samples {dtx_s} != injected")
        # a sender restart re-anchors the stream by arrival: each side of
        # it is compared on its own (its own best lag)
        cut = int(inj.get("ssrc_change_at_s", -1) * a.rate)
        parts = [(rec, src_r)] if cut <= 0 else [
            (rec[:cut - frame], src_r[:cut - frame]),
            (rec[cut + 2 * frame:], src_r[cut + 2 * frame:])]
        for i, (r_, s_) in enumerate(parts):
            corr, lag = best_corr(r_, s_)
            print(f"{sid}: part {i} correlation {corr:.4f} at lag {lag} "
                  f"(min {a.min_corr})")
            if corr < a.min_corr:
                fail(f"{sid}: correlation {corr:.4f} < {a.min_corr}")
        # RTCP SR: the sender's clock is first_send + sr_offset at sample 0
        base = inj["first_send_ns"] + int(inj["sr_offset_ms"] * 1e6)
        if inj["sr"] and inj["ssrc_changes"] == 0:
            later = [c for c in chunks if c["seq"] > chunks[0]["seq"]]
            for c in later:
                if c.get("utc_source") != "rtcp_sr":
                    fail(f"{c['file']}: utc_source {c.get('utc_source')}")
                    continue
                off = c["start_sample"] - chunks[0]["start_sample"]
                exp = base + off * 10**9 // a.rate
                if abs(utc_ns(c["start_utc"]) - exp) > 10**6:
                    fail(f"{c['file']}: start_utc {c['start_utc']} is "
                         f"{(utc_ns(c['start_utc']) - exp) / 1e6:.3f} ms off the SR clock")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
