# SPDX-License-Identifier: MIT
"""Read every handle's info from Janus's admin API (HTTP), run inside the
network namespace Janus is in:

  ip netns exec NS python3 -m vpload.janus_admin URL < secret

prints {"sessions": {session: {handle: info}}} or {"error": …}. The
secret comes on stdin, never on a command line."""
import json
import sys
import time
import urllib.error
import urllib.request


def req(url, secret, what):
    body = json.dumps({"janus": what, "transaction": f"vpload{time.monotonic_ns()}",
                       "admin_secret": secret}).encode()
    try:
        with urllib.request.urlopen(url, data=body, timeout=5) as r:
            a = json.loads(r.read())
    except (OSError, urllib.error.URLError, json.JSONDecodeError):
        return None
    return a if a.get("janus") == "success" else None


def walk(url, secret):
    ls = req(url, secret, "list_sessions")
    if ls is None:
        return {"error": "the admin API did not answer list_sessions"}
    out = {"sessions": {}}
    for s in ls.get("sessions", []):
        lh = req(f"{url}/{s}", secret, "list_handles") or {}
        hs = {}
        for h in lh.get("handles", []):
            hi = req(f"{url}/{s}/{h}", secret, "handle_info")
            if hi and "info" in hi:
                hs[str(h)] = hi["info"]
        out["sessions"][str(s)] = hs
    return out


if __name__ == "__main__":
    json.dump(walk(sys.argv[1], sys.stdin.read().strip()), sys.stdout)
