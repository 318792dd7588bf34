# SPDX-License-Identifier: MIT
"""Detector for the frame-identification signal (tools/simconf/marker.h).

Frame j of a marker clip holds two tones: 300 + 200*(j%16) Hz and
3700 + 200*((j//16)%16) Hz. A 20 ms window (rate/50 samples) has 50 Hz
bins whatever the rate, so every tone sits on bin f/50. A window is
identified when, in both nibble sets, the strongest tone dominates the
runner-up and the two tones hold most of the window's energy.
"""
import numpy as np

PERIOD = 256
LO = [(300 + 200 * n) // 50 for n in range(16)]
HI = [(3700 + 200 * n) // 50 for n in range(16)]
DOMINANCE = 2.0  # best tone / second best, per nibble set
TONAL = 0.5      # share of the window energy in the two tones (+-1 bin)
FLOOR = 1e4      # window energy below this is silence (s16 units^2)


def frame_len(rate):
    if rate < 16000 or rate % 50:
        raise ValueError("the marker needs a rate >= 16000 Hz")
    return rate // 50


def _band(power, bins):
    """Energy around each bin (+-1: the Hann main lobe)."""
    idx = np.array(bins)
    return power[:, idx - 1] + power[:, idx] + power[:, idx + 1]


def classify(pcm, rate, starts):
    """Identify the windows starting at `starts` (sample indices).

    Returns (ids, ok, margin): ids[i] in 0..255, ok[i] True when
    identified, margin[i] the weaker nibble's dominance ratio."""
    f = frame_len(rate)
    starts = np.asarray(starts, dtype=np.int64)
    good = (starts >= 0) & (starts + f <= len(pcm))
    ids = np.zeros(len(starts), dtype=np.int64)
    ok = np.zeros(len(starts), dtype=bool)
    margin = np.zeros(len(starts))
    if not good.any():
        return ids, ok, margin
    sel = starts[good]
    win = np.hanning(f)
    frames = pcm[sel[:, None] + np.arange(f)[None, :]].astype(np.float64)
    power = np.abs(np.fft.rfft(frames * win, axis=1)) ** 2
    total = power.sum(axis=1) + 1e-9
    res_id = np.zeros(len(sel), dtype=np.int64)
    res_ok = total * 2 / f > FLOOR
    tonal = np.zeros(len(sel))
    res_margin = np.full(len(sel), np.inf)
    for shift, bins in ((0, LO), (4, HI)):
        e = _band(power, bins)
        order = np.argsort(e, axis=1)
        best = e[np.arange(len(sel)), order[:, -1]]
        second = e[np.arange(len(sel)), order[:, -2]]
        res_ok &= best > DOMINANCE * (second + 1e-9)
        res_margin = np.minimum(res_margin, best / (second + 1e-9))
        res_id |= order[:, -1] << shift
        tonal += best
    res_ok &= tonal / total > TONAL
    ids[good] = res_id
    ok[good] = res_ok
    margin[good] = res_margin
    return ids, ok, margin


def phase(pcm, rate, limit_s=10.0):
    """The offset (0..frame-1, in steps of frame/16) at which frame-long
    windows hold whole marker frames: the one where the identified windows
    of the first limit_s seconds holding audio are the most clearly
    identified (sum of log margins). None if nothing is identified."""
    f = frame_len(rate)
    step = f // 16
    nz = np.flatnonzero(pcm)
    if not len(nz):
        return None
    lo = int(nz[0])
    hi = min(len(pcm), lo + int(limit_s * rate))
    best, arg = 0, None
    for o in range(0, f, step):
        base = lo - lo % f + o
        starts = np.arange(base, hi - f, f)
        _, ok, margin = classify(pcm, rate, starts)
        score = float(np.log(np.clip(margin[ok], 1, 1e6)).sum())
        if score > best:
            best, arg = score, o
    return arg


def frames(pcm, rate, offset=None):
    """Frame-aligned windows: (starts, ids, ok) at the phase found (or
    given), covering the whole array."""
    f = frame_len(rate)
    if offset is None:
        offset = phase(pcm, rate)
    if offset is None:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0, bool),)
    starts = np.arange(offset, len(pcm) - f + 1, f)
    ids, ok, _ = classify(pcm, rate, starts)
    return starts, ids, ok


def nearest_frame(k_est, ident):
    """The frame number congruent to ident (mod 256) nearest to k_est."""
    d = (ident - k_est) % PERIOD
    d = np.where(d >= PERIOD // 2, d - PERIOD, d)
    return k_est + d


def frames_by_block(pcm, rate, block_s=1.0):
    """frames() with the phase found again for every block_s of audio: a
    stream the bot restarted or re-anchored mid-way continues at another
    offset within the frame grid, and windows at the old phase would each
    straddle two frames."""
    f = frame_len(rate)
    n = max(f, int(block_s * rate) // f * f)
    parts = []
    for b0 in range(0, len(pcm), n):
        blk = pcm[b0:b0 + n + f]  # a window may run past the block
        off = phase(blk[:n], rate, limit_s=block_s) if np.any(blk[:n]) else None
        if off is None:
            continue
        st = np.arange(b0 + off, min(b0 + n, len(pcm) - f + 1), f)
        if len(st):
            ids, ok, _ = classify(pcm, rate, st)
            parts.append((st, ids, ok))
    if not parts:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0, bool),)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
