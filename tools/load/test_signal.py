#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_signal.py LOAD_SIGTEST: the marker signal survives real libopus.

load_sigtest encodes marker frames as simconf does, loses (alone: FEC can
recover; in pairs: PLC) and swaps packets, decodes in arrival order. Every
frame slot not disturbed by an impairment in the two slots before must be
identified as exactly the frame decoded there; a lost frame must never be
found in its slot; wrong ids only right after an impairment, and rare."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vpload import signal as S  # noqa: E402

N = 1500


def check(tool, rate, tmp):
    raw, tr = f"{tmp}/o{rate}.raw", f"{tmp}/t{rate}.jsonl"
    subprocess.run([tool, str(rate), str(N), raw, tr], check=True)
    pcm = np.fromfile(raw, dtype="<i2").astype(np.float64)
    truth = [json.loads(line) for line in open(tr)]
    assert len(truth) == N and len(pcm) == N * rate // 50, "sizes"
    starts, ids, ok = S.frames(pcm, rate)
    f = rate // 50
    # the phase is the codec delay: under one frame, more than nothing
    assert 0 < starts[0] < f, f"phase {starts[0]}"
    disturbed = set()
    for t in truth:
        if t["how"] != "normal" or t["frame"] != t["slot"]:
            disturbed |= {t["slot"], t["slot"] + 1, t["slot"] + 2}
    n_clean = n_right = n_wrong = 0
    for t in truth:
        i = t["slot"]
        if i >= len(ids):
            continue
        if t["how"] == "plc":
            assert not (ok[i] and ids[i] == i % S.PERIOD), f"slot {i}: PLC named as the lost frame"
            continue
        if t["how"] != "normal":
            continue
        right = ok[i] and ids[i] == t["frame"] % S.PERIOD
        n_right += right
        n_wrong += ok[i] and not right
        if i not in disturbed:
            n_clean += 1
            assert right, f"rate {rate} slot {i}: frame {t['frame']} read as {ids[i] if ok[i] else None}"
        elif ok[i] and not right:
            print(f"rate {rate}: slot {i} misread right after an impairment")
    normal = sum(t["how"] == "normal" for t in truth)
    assert n_clean > 0.75 * N, "too few undisturbed slots"
    assert n_right >= 0.97 * normal, f"only {n_right}/{normal} identified"
    assert n_wrong <= 0.01 * N, f"{n_wrong} misread"
    print(f"rate {rate}: {n_right}/{normal} frames named, {n_wrong} misread, phase {starts[0]} samples")
    check_shift(pcm, rate, ok.sum())


def check_shift(pcm, rate, named):
    """A stream that continues at another offset in the frame grid (a
    restart): frames_by_block finds the new phase, frames() cannot."""
    f = rate // 50
    cut = len(pcm) // 2 // f * f
    shifted = np.concatenate([pcm[:cut], np.zeros(f * 3 + f // 2), pcm[cut:]])
    _, ids_a, ok_a = S.frames(shifted, rate)
    _, ids_b, ok_b = S.frames_by_block(shifted, rate)
    assert ok_b.sum() >= 0.97 * named, f"by block: {ok_b.sum()} of {named} named after a shift"
    assert ok_a.sum() < 0.75 * named, f"one phase named {ok_a.sum()}: the shift was no test"
    print(f"rate {rate}: after a half-frame shift {ok_b.sum()} named by block, {ok_a.sum()} at one phase")


def main():
    with tempfile.TemporaryDirectory(prefix=f"load-sig-{os.getpid()}-") as tmp:
        for rate in (16000, 48000):
            check(sys.argv[1], rate, tmp)
    print("signal: ok")


if __name__ == "__main__":
    main()
