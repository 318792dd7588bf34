#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_corpus_seq.py RTPGEN OUTDIR [NAME=PCAP ...]: seeds for fuzz_seq, each
the sequence/timestamp series of a real capture in its capture order:
rtpgen's (start near 65500 and 2^32 - 1e5, so both wrap; loss,
reordering, duplicates, jitter, DTX, a sender restart) and any further
captures named on the command line (e.g. an aiortc sender's).
"""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop",
                                "lib"))
import pcaplib  # noqa: E402

CASES = {
    "rtpgen_clean": [],
    "rtpgen_loss_reorder": ["--loss", "0.1", "--reorder", "3", "--dup",
                            "0.02"],
    "rtpgen_jitter_dtx": ["--jitter-ms", "60", "--dtx-at", "0.4",
                          "--dtx-len", "0.4"],
    "rtpgen_restart": ["--ssrc-change-at", "2.5", "--jitter-ms", "20"],
    "rtpgen_wild": ["--loss", "0.2", "--reorder", "8", "--dup", "0.15",
                    "--jitter-ms", "80", "--ssrc-change-at", "3"],
}
MAX_BYTES = 65536


def series(pc, ref):
    """fuzz_seq input: header, then one 7-byte step per packet"""
    pk = [(pc.records[i][0], r["seq"], r["ts"])
          for i, r in pcaplib.rtp_packets(pc)]
    out = bytearray(struct.pack("<HIh", pk[0][1], pk[0][2], ref))
    prev = pk[0]
    for k, (t_ns, seq, ts) in enumerate(pk):
        if len(out) + 7 > MAX_BYTES:
            break
        ds = (seq - prev[1] + 0x8000) % 0x10000 - 0x8000
        dt = (ts - prev[2] + 0x80000000) % 0x100000000 - 0x80000000
        da = min(63, max(0, (t_ns - prev[0]) // 1000000))
        # feed the jitter estimator always, a report block once a second
        op = da << 2 | 1 | (2 if k % 50 == 49 else 0)
        out += struct.pack("<Bhi", op, ds, dt)
        prev = (t_ns, seq, ts)
    return bytes(out)


def main():
    rtpgen, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        for k, (name, args) in enumerate(CASES.items()):
            base = os.path.join(td, name)
            subprocess.run([rtpgen, base, "--seconds", "4", "--seed",
                            str(k + 1)] + args, check=True,
                           stdout=subprocess.DEVNULL)
            pc = pcaplib.read(base + ".pcap")
            data = series(pc, k * 977 - 2000)
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
            if name == "rtpgen_clean":
                # a silent sender restart: a jump of 20000 mid-stream
                # (rejected once, then re-synced by the next packet)
                at = 8 + 7 * 100 + 1
                with open(os.path.join(out, "rtpgen_jump"), "wb") as f:
                    f.write(data[:at] + struct.pack("<h", 20000)
                            + data[at + 2:])
    for arg in sys.argv[3:]:
        name, path = arg.split("=", 1)
        with open(os.path.join(out, name), "wb") as f:
            f.write(series(pcaplib.read(path), 0))


if __name__ == "__main__":
    main()
