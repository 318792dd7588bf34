# SPDX-License-Identifier: MIT
"""Shared pieces of the integration checkers: one "ok"/"FAIL" line per
check, the list of what failed, and a JSON-lines reader."""
import glob
import json
import os

failed = []


def check(name, cond, detail=""):
    print("%s %s%s" % ("ok  " if cond else "FAIL", name,
                       ": " + detail if detail else ""))
    if not cond:
        failed.append(name)
    return cond


def sim_meeting_dir(out, mid):
    """OUT's folder of sim meeting MID joined without --meeting: the bot
    names it sim-HOST_PORT_MID (README "Commands"), one simconf per OUT."""
    found = sorted(glob.glob(os.path.join(glob.escape(out),
                                          "sim-*_" + glob.escape(mid))))
    return found[0] if found else os.path.join(out, "sim-?_" + mid)


def jsonl(path):
    if not os.path.exists(path):
        return []
    return [json.loads(x) for x in open(path) if x.strip()]
