#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_floor.py FLOOR_BENCH RTPGEN — the floor binary vpbot-load runs.

Over a 4 s capture at the senders' settings (rtpgen --voip --bitrate 32000):
one JSON line that parses, every part > 0, the parts add up to the total,
floor_pct_per_stream = total / 20 ms, the frames are the capture's, the
WAV it wrote (--keep) holds every decoded sample at the asked rate and is
not silence; --max-seconds bounds the rounds; bad input exits 64/65 with
one line."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import wave

SECONDS = 4


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def check_wav(d, rate, frames):
    kept = [f for f in os.listdir(d) if f.startswith("floor-") and f.endswith(".wav")]
    if len(kept) != 1:
        fail(f"--keep: {kept} in the work folder")
    path = os.path.join(d, kept[0])
    with wave.open(path, "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (rate, 1, 2):
            fail(f"WAV at {rate} Hz: {w.getframerate()} Hz, {w.getnchannels()} ch, "
                 f"{w.getsampwidth()} B")
        n = w.getnframes()
        pcm = struct.unpack(f"<{n}h", w.readframes(n))
    if n != frames * rate // 50:
        fail(f"WAV at {rate} Hz: {n} samples for {frames} frames")
    rms = math.sqrt(sum(x * x for x in pcm) / n)
    if rms < 100:
        fail(f"WAV at {rate} Hz is (nearly) silent: rms {rms:.1f}")
    os.unlink(path)
    return rms


def check_line(out, rate):
    lines = out.strip().splitlines()
    if len(lines) != 1:
        fail(f"{len(lines)} lines on stdout: {out!r}")
    j = json.loads(lines[0])
    parts = (j["srtp_unprotect_us"], j["opus_decode_us"], j["wav_write_us"])
    if j["rate"] != rate or j["frames"] != SECONDS * 50:
        fail(f"rate {j['rate']}, {j['frames']} frames (want {rate}, {SECONDS * 50})")
    if min(parts) <= 0 or j["total_us"] < j["opus_decode_us"]:
        fail(f"parts {parts}, total {j['total_us']}")
    if abs(sum(parts) - j["total_us"]) > 0.002:
        fail(f"parts {parts} add up to {sum(parts)}, total {j['total_us']}")
    if abs(j["floor_pct_per_stream"] - j["total_us"] / 200) > 1e-5:
        fail(f"floor_pct_per_stream {j['floor_pct_per_stream']} for {j['total_us']} µs")
    if j["total_us_median"] < j["total_us"] - 0.002:
        fail(f"the median round {j['total_us_median']} is below the best {j['total_us']}")
    if sum(j["opus_modes"].values()) != j["frames"] or not 25 < j["capture_kbps"] < 40:
        fail(f"capture: modes {j['opus_modes']}, {j['capture_kbps']} kbit/s")
    if j["total_us"] > 20000:
        fail(f"{j['total_us']} µs per 20 ms frame: more than real time")
    return j


def main():
    bench, rtpgen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix=f"floor-test-{os.getpid()}-") as d:
        cap = os.path.join(d, "cap")
        r = run([rtpgen, cap, "--seconds", str(SECONDS), "--voip", "--bitrate", "32000"])
        if r.returncode != 0:
            fail(f"rtpgen exited {r.returncode}: {r.stderr}")
        for rate in (16000, 48000):
            r = run([bench, cap + ".pcap", d, "--rate", str(rate), "--rounds", "3", "--keep"])
            if r.returncode != 0:
                fail(f"floor_bench --rate {rate} exited {r.returncode}: {r.stderr}")
            j = check_line(r.stdout, rate)
            if j["rounds"] != 3:
                fail(f"{j['rounds']} rounds, asked 3")
            rms = check_wav(d, rate, j["frames"])
            print(f"{rate} Hz: srtp {j['srtp_unprotect_us']} + decode {j['opus_decode_us']} + "
                  f"write {j['wav_write_us']} = {j['total_us']} µs/frame "
                  f"({j['floor_pct_per_stream']} %/stream), WAV rms {rms:.0f}")
        # the wall-clock bound: no round begins after it (the first always runs)
        r = run([bench, cap + ".pcap", d, "--rate", "16000", "--rounds", "50",
                 "--max-seconds", "0.001"])
        if r.returncode != 0 or check_line(r.stdout, 16000)["rounds"] != 1:
            fail(f"--max-seconds 0.001: exit {r.returncode}, {r.stdout.strip()}")
        if [f for f in os.listdir(d) if f.startswith("floor-")]:
            fail("a WAV was left without --keep")
        for argv, code in (([bench, cap + ".pcap"], 64),
                           ([bench, cap + ".pcap", d, "--rate", "44100"], 64),
                           ([bench, cap + ".json", d], 65),
                           ([bench, os.path.join(d, "none.pcap"), d], 65)):
            r = run(argv)
            if r.returncode != code or r.stdout or len(r.stderr.strip().splitlines()) != 1:
                fail(f"{argv[1:]}: exit {r.returncode} (want {code}), said {r.stderr!r}")
    print("floor-bench: ok")


if __name__ == "__main__":
    main()
