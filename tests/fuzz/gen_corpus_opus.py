#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_corpus_opus.py RTPGEN OUTDIR: seeds for fuzz_opus_toc (and the
jitter buffer/timeline target): real Opus packets from libopus's encoder,
taken from rtpgen captures in several modes (CELT music, SILK/hybrid voip
with in-band FEC, low bitrate, DTX), plus hand-made packets for every
frame-count code of RFC 6716 section 3.2 (code 0-3, CBR/VBR, padding).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop",
                                "lib"))
import pcaplib  # noqa: E402

MODES = {
    "celt64k": [],
    "voip_fec": ["--voip", "--bitrate", "24000"],
    "voip_low": ["--voip", "--bitrate", "8000"],
    "dtx": ["--voip", "--dtx-at", "0.2", "--dtx-len", "0.3"],
}

HAND = {
    "code0_silk_nb20": bytes([0x08, 0x41, 0x22]),
    "code1_two_equal": bytes([0x79, 0x11, 0x22, 0x33, 0x44]),
    "code2_vbr": bytes([0x7A, 0x01, 0xAA, 0xBB, 0xCC]),
    "code2_len_two_bytes": bytes([0x7A, 0xFC, 0x01]) + bytes(260),
    "code3_cbr_3": bytes([0xFB, 0x03, 1, 2, 3, 4, 5, 6]),
    "code3_vbr_pad": bytes([0xFB, 0xC2, 0x02, 0x01, 0x09, 0x08, 0x07]),
    "code3_120ms": bytes([0x1B, 0x02]) + bytes(4),  # SILK 60 ms x 2
    "code3_too_long": bytes([0x1B, 0x03]) + bytes(6),  # 180 ms: invalid
    "toc_only": bytes([0xF8]),
    "dtx_empty_frame": bytes([0x08]),
}


def main():
    rtpgen, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, data in HAND.items():
        open(os.path.join(out, name), "wb").write(data)
    with tempfile.TemporaryDirectory() as td:
        for mode, args in MODES.items():
            base = os.path.join(td, mode)
            subprocess.run([rtpgen, base, "--seconds", "1"] + args,
                           check=True, stdout=subprocess.DEVNULL)
            pkts = pcaplib.rtp_packets(pcaplib.read(base + ".pcap"))
            seen = set()
            for _, r in pkts:
                p = r["payload"]
                key = (p[0], len(p) // 40)  # one per TOC and size class
                if key in seen or not p:
                    continue
                seen.add(key)
                open(os.path.join(out, "%s_%03d" % (mode, len(seen))),
                     "wb").write(p)


if __name__ == "__main__":
    main()
