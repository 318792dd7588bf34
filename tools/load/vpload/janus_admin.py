# SPDX-License-Identifier: MIT
"""Read every handle's info from Janus's admin API (HTTP), run inside the
network namespace Janus is in:

  ip netns exec NS python3 -m vpload.janus_admin URL < secret

prints {"sessions": {session: {handle: info}}} or {"error": …}. The
secret comes on stdin, never on a command line."""
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request


def req(url, secret, what):
    body = json.dumps({"janus": what, "transaction": f"vpload{time.monotonic_ns()}",
                       "admin_secret": secret}).encode()
    try:
        with urllib.request.urlopen(url, data=body, timeout=15) as r:
            a = json.loads(r.read())
    except (OSError, urllib.error.URLError, json.JSONDecodeError):
        return None
    return a if a.get("janus") == "success" else None


def session(url, secret, s):
    lh = req(f"{url}/{s}", secret, "list_handles") or {}
    hs = {}
    for h in lh.get("handles", []):
        hi = req(f"{url}/{s}/{h}", secret, "handle_info")
        if hi and "info" in hi:
            hs[str(h)] = hi["info"]
    return str(s), hs


def walk(url, secret):
    """A few requests at a time: hundreds of sessions on a loaded machine
    take seconds one by one."""
    ls = req(url, secret, "list_sessions")
    if ls is None:
        return {"error": "the admin API did not answer list_sessions"}
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = ex.map(lambda s: session(url, secret, s), ls.get("sessions", []))
        return {"sessions": dict(got), "took_s": round(time.monotonic() - T0, 3)}


T0 = time.monotonic()

if __name__ == "__main__":
    json.dump(walk(sys.argv[1], sys.stdin.read().strip()), sys.stdout)
