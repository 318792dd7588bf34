#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""janus_admin.py  handle_info of every handle of a Janus, through its
Admin API over HTTP (enabled only by the tests that need it).

  janus_admin.py [--url http://127.0.0.1:7088/admin]

Prints one JSON list: [{"session": S, "handle": H, "info": {...}}, ...].
"""
import argparse
import json
import sys
import urllib.request
import uuid


def call(url, body):
    body = dict(body, transaction=uuid.uuid4().hex)
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        d = json.load(r)
    if d.get("janus") != "success":
        raise RuntimeError(f"admin API: {d}")
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7088/admin")
    a = ap.parse_args()
    out = []
    for s in call(a.url, {"janus": "list_sessions"}).get("sessions", []):
        hs = call(f"{a.url}/{s}", {"janus": "list_handles"}).get("handles", [])
        for h in hs:
            info = call(f"{a.url}/{s}/{h}", {"janus": "handle_info"})
            out.append({"session": s, "handle": h, "info": info.get("info", {})})
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line, exit 1
        sys.exit(f"janus_admin.py: {type(e).__name__}: {e}")
