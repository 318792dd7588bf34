# SPDX-License-Identifier: MIT
"""Shared pieces of the integration checkers: one "ok"/"FAIL" line per
check, the list of what failed, and a JSON-lines reader."""
import json
import os

failed = []


def check(name, cond, detail=""):
    print("%s %s%s" % ("ok  " if cond else "FAIL", name,
                       ": " + detail if detail else ""))
    if not cond:
        failed.append(name)
    return cond


def jsonl(path):
    if not os.path.exists(path):
        return []
    return [json.loads(x) for x in open(path) if x.strip()]
