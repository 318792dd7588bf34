#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pcap_impair.py  drop and reorder RTP packets in a classic pcap.

  pcap_impair.py IN OUT [--drop 0.10] [--reorder 0.05] [--seed 1]
                 [--keep-edges 10]

Drops a random --drop fraction of the RTP packets of each SSRC (never the
first or last --keep-edges ones, so the loss is inside the stream where a
receiver can see it) and swaps a --reorder fraction of the remaining RTP
packets with their successor. Capture timestamps stay in their slots (the
file stays time-ordered; only the arrival order of the packets changes).
Non-RTP records are kept untouched. Prints JSON: rtp_in, dropped, reordered,
rtp_out, dropped_seqs (per SSRC).
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--drop", type=float, default=0.10)
    ap.add_argument("--reorder", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-edges", type=int, default=10)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pc = pcaplib.read(a.inp)
    pk = pcaplib.rtp_packets(pc)
    by_ssrc = {}
    for i, r in pk:
        by_ssrc.setdefault(r["ssrc"], []).append((i, r))
    drop, dropped_seqs = set(), {}
    for ssrc, lst in by_ssrc.items():
        inner = lst[a.keep_edges:len(lst) - a.keep_edges]
        k = int(round(a.drop * len(lst)))
        chosen = rng.sample(inner, min(k, len(inner)))
        drop.update(i for i, _ in chosen)
        dropped_seqs[str(ssrc)] = sorted(r["seq"] for _, r in chosen)
    recs = [rec for i, rec in enumerate(pc.records) if i not in drop]
    rtp_idx = [j for j, (_, f) in enumerate(recs)
               if pcaplib.rtp(pcaplib.udp_payload(pc.linktype, f))]
    reordered, j = 0, 0
    n_swap = int(round(a.reorder * len(rtp_idx)))
    cand = rtp_idx[a.keep_edges:len(rtp_idx) - a.keep_edges - 1]
    for x in sorted(rng.sample(range(len(cand)), min(n_swap, len(cand)))):
        p, q = cand[x], cand[x] + 1
        if x < j or q not in rtp_idx:
            continue
        recs[p][1], recs[q][1] = recs[q][1], recs[p][1]
        reordered += 1
        j = x + 2  # never swap a packet twice
    pc.records = recs
    pcaplib.write(a.out, pc)
    print(json.dumps({"rtp_in": len(pk), "dropped": len(drop),
                      "reordered": reordered,
                      "rtp_out": len(pk) - len(drop),
                      "dropped_seqs": dropped_seqs}))


if __name__ == "__main__":
    main()
