#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""load100_check.py TMP N — what load100.sh asks of 100 bots on a saturated
machine: no bot killed by a signal or by the test's timeout, none exits 70
(internal) or 75 (a join timeout), every one exits 0, and every meeting
folder says finished with the streams of the two participants in the
roster recorded (a and b speak once the bot's media is up). Whether the two
who join later (c, d) make it depends on how far behind a saturated simconf
falls with the renegotiation before the meeting ends: counted, not asked.
Prints one line per check (`ok` / `FAIL`) and the exit-code histogram."""
import collections
import json
import os
import sys
from vcheck import check, failed, sim_meeting_dir


def main(tmp, n):
    rcs = {}
    for k in range(1, n + 1):
        p = "%s/rc.%d" % (tmp, k)
        rcs[k] = int(open(p).read()) if os.path.exists(p) else -1
    hist = collections.Counter(rcs.values())
    print("info: exit codes %s" % dict(sorted(hist.items())))
    sig = [k for k, v in rcs.items() if v >= 124 or v < 0]
    check("no bot killed by a signal or the timeout", not sig,
          " ".join("%d:%d" % (k, rcs[k]) for k in sig[:10]))
    check("no exit 70 or 75", not [v for v in rcs.values() if v in (70, 75)],
          "%d x 70, %d x 75" % (hist[70], hist[75]))
    check("all %d bots exit 0" % n, hist[0] == n,
          " ".join("%d:%d" % kv for kv in rcs.items() if kv[1] != 0)[:300])
    bad = []
    to_media = []
    late = 0
    for k in range(1, n + 1):
        mid = "load-100-%d" % k
        p = sim_meeting_dir(tmp + "/out", mid) + "/meeting.json"
        if not os.path.exists(p):
            bad.append("%s: no meeting.json" % mid)
            continue
        m = json.load(open(p))
        st = m.get("status", {}).get("state")
        got = sorted(s.get("participant", "?") for s in m.get("streams", [])
                     if s.get("samples", 0) > 0)
        if st != "finished" or not {"a", "b"} <= set(got):
            bad.append("%s: %s, streams %s" % (mid, st, got))
        late += len({"c", "d"} & set(got))
        # audio before the bot's media is up is lost: it must be reported
        pbm = [p.get("present_before_media_ms")
               for p in m.get("participants", [])]
        if not isinstance(m.get("joined_to_media_ms"), int) or \
                not pbm or not all(isinstance(v, int) for v in pbm):
            bad.append("%s: no joined_to_media_ms / present_before_media_ms"
                       % mid)
        else:
            to_media.append(m["joined_to_media_ms"])
    check("every meeting finished with streams a and b recorded, "
          "time before media reported", not bad,
          "; ".join(bad[:5]) + (" …" if len(bad) > 5 else ""))
    print("info: late joiners recorded: %d of %d" % (late, 2 * n))
    if to_media:
        to_media.sort()
        print("info: joined_to_media_ms median %d, p90 %d, max %d" %
              (to_media[len(to_media) // 2],
               to_media[int(len(to_media) * 0.9)], to_media[-1]))
    print("load100: %s" % ("FAIL: " + ", ".join(failed) if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
