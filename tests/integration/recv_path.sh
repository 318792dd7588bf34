#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# recv_path.sh VPBOT SIMCONF — the end of the receive path, counted exactly
# against simconf's send log (scenarios/recv_path.json, two speakers who
# talk through the end, --rate 16000 as the load harness records):
#   end:  the host ends the meeting mid-speech: per stream, frames sent ==
#         packets the bot received == frames on disk (manifest samples / 320):
#         nothing left behind in the jitter buffer or the gate's hold. (On
#         an overloaded machine the bot's socket buffer may drop: those
#         must be in udp_rcvbuf_drops, and their gaps concealed on disk.)
#   term: SIGTERM mid-speech: frames on disk == packets received (+ the
#         losses concealed), the bot exits 0.
#   (every case: meeting.json transport.udp_rcvbuf_drops is there)
#   stop: the bot is frozen (SIGSTOP) 4 s while media flows: the kernel
#         drops at its full UDP receive buffer; meeting.json
#         transport.udp_rcvbuf_drops reports them: > 0, at least the RTP
#         packets that never reached the bot, at most 20 more (STUN, RTCP).
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init recv_path "$1" "$2"
SCN=$GL_SCN/recv_path.json
rc=0

# bot_bg MEETING: vpbot join in the background; BG = the vpbot process
bot_bg() {
	ip netns exec "$NS" timeout -k 5 60 "$VPBOT" join \
		"sim+ws://127.0.0.1:$PORT/$1" --out "$TMP/out" --meeting "$1" \
		--rate 16000 \
		--events "$TMP/$1.events" --log-level info \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	TO=$!
	BG=
	for _ in $(seq 50); do
		BG=$(pgrep -P "$TO" -x vpbot) && break
		sleep 0.1
	done
	[ -n "$BG" ] || { echo "FAIL: vpbot did not start"; exit 1; }
}

# wait_streams MEETING N: until the bot has N streams (<= 30 s)
wait_streams() {
	for _ in $(seq 300); do
		n=$(cat "$TMP/$1.events" 2>/dev/null | grep -c stream_started)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "FAIL $1: no $2 streams in 30 s"
	exit 1
}

gl_simconf "$SCN" 150

echo "== end: the host ends the meeting mid-speech"
bot_bg end
wait "$TO" || { echo "FAIL end: vpbot exited $?"; rc=1; }

echo "== term: SIGTERM mid-speech"
bot_bg term
wait_streams term 2
sleep 2
kill -TERM "$BG"
wait "$TO" || { echo "FAIL term: vpbot exited $?"; rc=1; }

echo "== stop: the bot frozen 4 s while media flows"
bot_bg stop
wait_streams stop 2
sleep 1
kill -STOP "$BG"
sleep 4
kill -CONT "$BG"
wait "$TO" || { echo "FAIL stop: vpbot exited $?"; rc=1; }

gl_simconf_wait
/usr/bin/python3 - "$TMP" <<'PY' || rc=1
import json, sys
T = sys.argv[1]
FRAME = 16000 // 50
ok = True


def check(what, cond):
    global ok
    print(f"check: {what} - {'ok' if cond else 'FAIL'}")
    ok &= bool(cond)


sent = {}  # (meeting, participant) -> frames sent, from the send log
for e in map(json.loads, open(f"{T}/send.jsonl")):
    if e.get("event") == "audio" and e.get("sent"):
        k = (e["meeting"], e["participant"])
        sent[k] = sent.get(k, 0) + e["frames"]


def streams(m):
    d = json.load(open(f"{T}/out/{m}/meeting.json"))
    on_disk = {}
    for line in open(f"{T}/out/{m}/manifest.jsonl"):
        c = json.loads(line)
        on_disk[c["stream"]] = on_disk.get(c["stream"], 0) + c["samples"]
    for s in d["streams"]:
        s["disk_frames"] = on_disk.get(s["id"], 0) / FRAME
    return d, {s["participant"]: s for s in d["streams"]}


for m in ("end", "term", "stop"):
    d, st = streams(m)
    check(f"{m}: exit 0, two streams", d["status"]["exit_code"] == 0 and len(st) == 2)
    for p, s in sorted(st.items()):
        n = sent.get((m, p), 0)
        print(f"  {m}/{p}: sent {n} received {s['packets']} lost {s['lost']} "
              f"on disk {s['disk_frames']}")
        if m == "end":
            # loopback loses nothing but what the bot's own socket buffer
            # drops (reported; 0 unless the machine is overloaded)
            gone = n - s["packets"]
            check(f"end/{p}: sent == received (+ {gone} counted in "
                  f"udp_rcvbuf_drops) == on disk (+ concealed)",
                  n > 200 and 0 <= gone <= d["transport"]["udp_rcvbuf_drops"]
                  and s["disk_frames"] == s["packets"] + s["lost"])
        elif m == "term":
            check(f"{m}/{p}: on disk == received + concealed",
                  s["disk_frames"] == s["packets"] + s["lost"])
    ice = d["transport"].get("ice", {})
    keys = ("own_reader", "stun_answered", "consent_sent", "consent_ok",
            "stun_ignored", "stun_bad", "stun_rejected", "unknown_src", "truncated",
            "read_errors")
    check(f"{m}: transport.ice {ice}: the bot read its socket itself, "
          f"nothing bad or stray from a well-behaved peer",
          all(k in ice for k in keys) and ice["own_reader"] is True and
          ice["stun_bad"] == ice["unknown_src"] == ice["truncated"] ==
          ice["read_errors"] == 0)
    if m == "stop":
        missing = sum(sent.get((m, p), 0) - s["packets"] for p, s in st.items())
        drops = d["transport"].get("udp_rcvbuf_drops")
        check(f"stop: udp_rcvbuf_drops {drops} > 0 and covers the {missing} "
              f"RTP packets never received (+ <= 20 STUN/RTCP)",
              isinstance(drops, int) and drops > 0 and
              missing <= drops <= missing + 20)
    else:
        check(f"{m}: udp_rcvbuf_drops reported",
              d["transport"].get("udp_rcvbuf_drops") is not None)
sys.exit(0 if ok else 1)
PY
[ $rc -eq 0 ] && echo "recv_path: PASS"
exit $rc
