# SPDX-License-Identifier: MIT
"""rtpgen_corpus.py: what the gen_corpus_*.py op-script generators share.
Each runs rtpgen once per named case (one second, the case's options),
reads its capture and writes the seed a script() function makes of it to
OUTDIR/NAME."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop",
                                "lib"))
import pcaplib  # noqa: E402,F401  (re-exported for the generators)


def write_cases(rtpgen, out, cases, script):
    """For the k-th case NAME: ARGS, write script(k, capture) to OUT/NAME."""
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        for k, (name, args) in enumerate(cases.items()):
            base = os.path.join(td, name)
            subprocess.run([rtpgen, base, "--seconds", "1"] + args,
                           check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(out, name), "wb") as f:
                f.write(script(k, pcaplib.read(base + ".pcap")))


def main(cases, script):
    """The generators' command line: RTPGEN OUTDIR."""
    write_cases(sys.argv[1], sys.argv[2], cases, script)
