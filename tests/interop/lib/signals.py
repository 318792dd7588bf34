#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""signals.py  known test signals, generated at test time.

Every signal is a 48 kHz mono 16-bit WAV of an exact duration:

  speech  espeak-ng speech (voice and text chosen per participant index),
          resampled to 48 kHz with sox and repeated (each time at another
          speed and pitch, so no stretch repeats) to fill the duration.
  tones   seeded bursts of linear chirps between random frequencies with
          random silences in between; the pattern never repeats, so the
          cross-correlation with a recording has one clear peak.

  signals.py --kind speech|tones --participant N --duration S --out FILE
             [--voice V] [--text T] [--seed N]

Participant N picks a distinct voice/text (speech) or seed (tones), so "each
stream matches only its own source" can be checked.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np

RATE = 48000

VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp",
          "de", "fr", "es"]
TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Seven silver spoons were placed on the wooden table before dinner.",
    "Please call Stella and ask her to bring these things from the store.",
    "A large fawn jumped quickly over white zinc boxes in the morning.",
    "Four hundred and twelve kilometres separate the two old harbours.",
    "Bright yellow kites drifted slowly above the crowded summer beach.",
    "Nobody expected the quiet engineer to solve the puzzle so quickly.",
    "Under the bridge, a violin played a melody nobody had heard before.",
]


def need(tool):
    if shutil.which(tool) is None:
        sys.exit(f"signals.py: '{tool}' not found; install it "
                 f"(tools/install-deps)")


def write_wav(path, pcm):
    """pcm: float array in [-1, 1] -> 16-bit mono WAV at RATE."""
    s16 = np.clip(np.round(pcm * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(s16.tobytes())


def read_wav(path):
    """Return (float mono samples, rate); multi-channel is averaged."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        ch, rate = w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, rate


def speech(index, duration, voice=None, text=None):
    need("espeak-ng")
    need("sox")
    voice = voice or VOICES[index % len(VOICES)]
    text = text or TEXTS[index % len(TEXTS)]
    n = int(round(duration * RATE))
    gap = np.zeros(int(0.25 * RATE))
    out = np.zeros(0)
    k = 0
    # Each repetition is spoken at another speed and pitch: a repeated
    # clip would give cross-correlation two equal peaks, and a test could
    # align a segment with the wrong occurrence.
    while out.size < n:
        with tempfile.TemporaryDirectory() as td:
            raw = os.path.join(td, "raw.wav")
            res = os.path.join(td, "res.wav")
            # Speed and pitch vary with the index too, so two participants
            # sharing a voice still differ.
            subprocess.run(["espeak-ng", "-v", voice,
                            "-s", str(150 + 9 * index + 23 * k),
                            "-p", str(35 + 7 * (index % 6) + 11 * (k % 4)),
                            "-w", raw, text], check=True)
            subprocess.run(["sox", raw, "-r", str(RATE), "-c", "1", "-b",
                            "16", res], check=True)
            x, _ = read_wav(res)
        peak = np.max(np.abs(x)) or 1.0
        out = np.concatenate([out, 0.5 * x / peak, gap])
        k += 1
    return out[:n]


def tones(seed, duration):
    """Chirp bursts (120-400 ms, 250-3500 Hz) separated by 40-300 ms."""
    rng = np.random.default_rng(1000 + seed)
    n = int(round(duration * RATE))
    out = np.zeros(n)
    pos = int(0.05 * RATE)
    while pos < n:
        blen = int(rng.uniform(0.12, 0.40) * RATE)
        f0, f1 = rng.uniform(250, 3500, size=2)
        t = np.arange(blen) / RATE
        d = blen / RATE
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * d))
        burst = np.sin(phase) * rng.uniform(0.2, 0.5)
        # 5 ms raised-cosine edges keep the bursts free of clicks
        e = int(0.005 * RATE)
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(e) / e)
        burst[:e] *= ramp
        burst[-e:] *= ramp[::-1]
        end = min(n, pos + blen)
        out[pos:end] += burst[:end - pos]
        pos = end + int(rng.uniform(0.04, 0.30) * RATE)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["speech", "tones"], required=True)
    ap.add_argument("--participant", type=int, default=0)
    ap.add_argument("--seed", type=int, help="tones: overrides participant")
    ap.add_argument("--voice")
    ap.add_argument("--text")
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.duration <= 0:
        sys.exit("signals.py: --duration must be > 0")
    if a.kind == "speech":
        x = speech(a.participant, a.duration, a.voice, a.text)
    else:
        x = tones(a.seed if a.seed is not None else a.participant,
                  a.duration)
    write_wav(a.out, x)


if __name__ == "__main__":
    main()
