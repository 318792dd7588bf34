#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pc_aiortc.py: vp_pc (through build/.../pc_probe) answers a real aiortc
offer (sendonly Opus audio) and must reach SECURE and decrypt >= 50 SRTP
packets, none failing SRTP authentication. aiortc is the independent
referee for ICE, DTLS and SRTP.

Usage: pc_aiortc.py PATH/TO/pc_probe   (as root: it makes its own netns)

Both ends run inside a network namespace of the run's own
(lib/aiortc_probe.py says why).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from aiortc_probe import main_in_netns, offer_to_probe, probe_exit  # noqa: E402

# unique per run: parallel runs never share (or delete) each other's netns
NS = os.environ.get("VPT_IN_NS") or "vpt-transport-%d" % os.getpid()


async def run(probe):
    pc, _, proc = await offer_to_probe("pc_aiortc", [probe])
    if pc is None:
        return 1
    rc = await probe_exit(proc, proc.wait())
    print(f"pc_aiortc: ice={pc.iceConnectionState} "
          f"conn={pc.connectionState} probe_rc={rc}", file=sys.stderr)
    await pc.close()
    return rc


if __name__ == "__main__":
    sys.exit(main_in_netns("pc_aiortc", __file__, NS, run, 90))
