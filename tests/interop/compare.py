#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""compare.py  check one recorded stream of a vpbot meeting folder against
the source signal that was published (docs/design.md section 5 output).

  compare.py --meeting-dir DIR --list
  compare.py --source WAV --meeting-dir DIR --stream ID [--rate R]
             [--min-corr 0.95] [--expect-offset-s X --offset-tol 0.1]
             [--expect-duration-s D --duration-tol 0.1] [--min-coverage-s C]
  compare.py --source OTHER.wav --meeting-dir DIR --stream ID
             --must-not-match [--max-corr 0.3]

The stream's chunks (DIR/manifest.jsonl, seq order) are concatenated; every
chunk must start exactly where the previous one ended (start_sample +
samples), its file must hold exactly `samples` frames at `rate`, and seq must
increase: any violation fails. The source is resampled to the stream's rate
with sox when they differ (or both go to --rate R). The best alignment comes
from an FFT cross-correlation; the reported correlation is normalised over
the overlapping part at that lag (1.0 = identical up to gain). A match
must say how much of the source it expects to find: --min-coverage-s C
(only lags where recording and source overlap by >= C s are candidates,
and the overlap at the best one must reach C) or --expect-duration-s D
(the stream lasts D +- tol s); a match with neither is a usage error, so
that 2 s of a 16 s source cannot pass for the whole.

Timeline fields (seconds): stream_start_s = first start_sample / rate;
source_start_s = where the source's sample 0 falls on the meeting timeline
(stream_start_s + lag); --expect-offset-s is checked against source_start_s.
--stream may be "auto" when the folder holds exactly one stream.

Prints one JSON object; exit 0 if every check passed, 1 otherwise, 2 on
usage or unreadable input.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np


def die(msg, code=2):
    print(f"compare.py: {msg}", file=sys.stderr)
    sys.exit(code)


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: not 16-bit PCM")
        ch, rate, n = w.getnchannels(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    if x.size != n * ch:
        raise ValueError(f"{path}: truncated data")
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, rate


def resample(path, rate):
    """Source WAV at `rate` (sox's default high-quality resampler)."""
    x, r = read_wav(path)
    if r == rate:
        return x
    if shutil.which("sox") is None:
        die("sox is needed to resample the source (apt-get install sox)")
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "r.wav")
        subprocess.run(["sox", path, "-r", str(rate), "-c", "1", "-b", "16",
                        out], check=True)
        return read_wav(out)[0]


def load_manifest(mdir):
    path = os.path.join(mdir, "manifest.jsonl")
    try:
        with open(path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
    except OSError as e:
        die(f"{path}: {e.strerror}")
    rows = []
    for i, ln in enumerate(lines, 1):
        try:
            rows.append(json.loads(ln))
        except json.JSONDecodeError:
            die(f"{path}:{i}: not JSON")
    return rows


def stream_rows(rows, sid):
    sel = [r for r in rows if str(r.get("stream")) == sid]
    return sorted(sel, key=lambda r: r.get("seq", 0))


def assemble(mdir, rows):
    """Concatenate one stream's chunks; returns (pcm, summary, problems)."""
    probs, parts = [], []
    rate = rows[0].get("rate")
    prev = None
    for r in rows:
        for k in ("file", "seq", "start_sample", "samples", "rate"):
            if k not in r:
                probs.append(f"seq {r.get('seq')}: key '{k}' missing")
        if probs:
            break
        if r["rate"] != rate:
            probs.append(f"seq {r['seq']}: rate {r['rate']} != {rate}")
        if prev is not None:
            if r["seq"] <= prev["seq"]:
                probs.append(f"seq {r['seq']} repeats")
            want = prev["start_sample"] + prev["samples"]
            if r["start_sample"] != want:
                probs.append(f"seq {r['seq']}: start_sample "
                             f"{r['start_sample']} != {want} (gap/overlap)")
        try:
            x, fr = read_wav(os.path.join(mdir, r["file"]))
        except (OSError, ValueError, EOFError, wave.Error) as e:
            probs.append(f"seq {r['seq']}: {r['file']}: {e}")
            x, fr = np.zeros(r["samples"]), r["rate"]
        if fr != r["rate"] or x.size != r["samples"]:
            probs.append(f"seq {r['seq']}: file has {x.size} samples at "
                         f"{fr} Hz, manifest says {r['samples']} at "
                         f"{r['rate']}")
        parts.append(x)
        prev = r
    pcm = np.concatenate(parts) if parts else np.zeros(0)
    summ = {"chunks": len(rows), "rate": rate,
            "first_start_sample": rows[0].get("start_sample"),
            "samples": int(sum(r.get("samples", 0) for r in rows)),
            "start_utc": rows[0].get("start_utc")}
    for k in ("lost", "fec", "plc", "dtx"):
        summ[k] = int(sum(r.get(k, 0) or 0 for r in rows))
    return pcm, summ, probs


def best_lag(rec, src, min_overlap):
    """lag L such that rec[n] ~ src[n - L], and the normalised correlation
    over the overlap at that lag. The peak is searched on the raw
    cross-correlation restricted to lags with enough overlap, so a tiny
    overlap at an extreme lag cannot win by normalisation."""
    n = 1 << int(np.ceil(np.log2(rec.size + src.size)))
    xc = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(src, n)), n)
    lags = np.concatenate([np.arange(0, rec.size),
                           np.arange(-(src.size - 1), 0)])
    vals = np.concatenate([xc[:rec.size], xc[n - (src.size - 1):]])
    ov = np.minimum(rec.size, lags + src.size) - np.maximum(0, lags)
    ok = ov >= min_overlap
    if not ok.any():
        return 0, 0.0, 0
    i = np.argmax(np.where(ok, vals, -np.inf))
    lag = int(lags[i])
    r0, s0 = max(0, lag), max(0, -lag)
    m = int(ov[i])
    a, b = rec[r0:r0 + m], src[s0:s0 + m]
    den = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return lag, float(np.dot(a, b) / den) if den > 0 else 0.0, m


def cmd_list(mdir):
    rows = load_manifest(mdir)
    ids = sorted({str(r.get("stream")) for r in rows})
    out, bad = [], False
    for sid in ids:
        _, summ, probs = assemble(mdir, stream_rows(rows, sid))
        summ.update(stream=sid, duration_s=summ["samples"] / summ["rate"],
                    problems=probs)
        bad |= bool(probs)
        out.append(summ)
    print(json.dumps({"streams": out}, indent=1))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--meeting-dir", required=True)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--source")
    ap.add_argument("--stream", default="auto")
    ap.add_argument("--rate", type=int)
    ap.add_argument("--min-corr", type=float, default=0.95)
    ap.add_argument("--must-not-match", action="store_true")
    ap.add_argument("--max-corr", type=float, default=0.3)
    ap.add_argument("--expect-offset-s", type=float)
    ap.add_argument("--offset-tol", type=float, default=0.1)
    ap.add_argument("--expect-duration-s", type=float)
    ap.add_argument("--duration-tol", type=float, default=0.1)
    ap.add_argument("--min-coverage-s", type=float)
    a = ap.parse_args()
    if a.list:
        return cmd_list(a.meeting_dir)
    if not a.source:
        die("--source is required (or --list)")
    if not a.must_not_match and a.min_coverage_s is None and \
            a.expect_duration_s is None:
        die("a match needs --min-coverage-s or --expect-duration-s")
    rows = load_manifest(a.meeting_dir)
    ids = sorted({str(r.get("stream")) for r in rows})
    sid = a.stream
    if sid == "auto":
        if len(ids) != 1:
            die(f"--stream auto needs exactly one stream, found {ids}", 1)
        sid = ids[0]
    sel = stream_rows(rows, sid)
    if not sel:
        die(f"no chunks for stream '{sid}' (streams: {ids})", 1)
    rec, summ, probs = assemble(a.meeting_dir, sel)
    rate = summ["rate"]
    if a.rate and a.rate != rate:
        with tempfile.TemporaryDirectory() as td:
            p = os.path.join(td, "rec.wav")
            with wave.open(p, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(rate)
                w.writeframes(np.clip(rec * 32768, -32768, 32767)
                              .astype("<i2").tobytes())
            rec = resample(p, a.rate)
        rate = a.rate
    src = resample(a.source, rate)
    min_ov = int(min(rate, 0.5 * min(rec.size, src.size)))
    if a.min_coverage_s is not None and not a.must_not_match:
        min_ov = max(min_ov, int(a.min_coverage_s * rate))
    lag, corr, ov = best_lag(rec, src, max(1, min_ov))
    start_s = summ["first_start_sample"] / summ["rate"]
    res = dict(stream=sid, source=a.source, rate=rate, correlation=corr,
               lag_samples=lag, lag_s=lag / rate, overlap_s=ov / rate,
               stream_start_s=start_s, source_start_s=start_s + lag / rate,
               duration_s=summ["samples"] / summ["rate"],
               source_duration_s=src.size / rate, chunks=summ["chunks"],
               start_utc=summ["start_utc"], lost=summ["lost"],
               fec=summ["fec"], plc=summ["plc"], dtx=summ["dtx"])
    fails = list(probs)
    if a.must_not_match:
        if corr >= a.max_corr:
            fails.append(f"correlation {corr:.3f} >= {a.max_corr} with a "
                         f"source this stream must not match")
    elif corr < a.min_corr:
        fails.append(f"correlation {corr:.3f} < {a.min_corr}")
    if a.min_coverage_s is not None and not a.must_not_match and \
            ov / rate < a.min_coverage_s:
        fails.append(f"recording and source overlap {ov / rate:.3f} s < "
                     f"{a.min_coverage_s} s required")
    if a.expect_offset_s is not None and \
            abs(res["source_start_s"] - a.expect_offset_s) > a.offset_tol:
        fails.append(f"source starts at {res['source_start_s']:.3f} s, "
                     f"expected {a.expect_offset_s} +- {a.offset_tol}")
    if a.expect_duration_s is not None and \
            abs(res["duration_s"] - a.expect_duration_s) > a.duration_tol:
        fails.append(f"duration {res['duration_s']:.3f} s, expected "
                     f"{a.expect_duration_s} +- {a.duration_tol}")
    res["ok"] = not fails
    res["failures"] = fails
    print(json.dumps(res))
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
