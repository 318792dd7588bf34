#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_rtcp_rr.sh  the SFU sees vpbot's RTCP receiver reports (RFC 3550
# §6.4.2): live `vpbot join` into videoroom 1234 of a real Janus; one aiortc
# publisher whose RTP loses 5 % after numbering (lib/lossy_publish.py), so
# Janus forwards sequence gaps. While it publishes, Janus's Admin API
# (handle_info, lib/janus_admin.py) is read: the subscriber handle's RTCP
# statistics are only filled from our RRs. Checks: "lost-by-remote" > 0,
# 1-12 % of what Janus forwarded and <= what was dropped, "jitter-remote"
# present, "rtt" from our LSR/DLSR plausible (0 <= rtt < 100 ms: Janus
# rounds to whole ms, so loopback gives 0; rr-aiortc checks LSR/DLSR
# exactly), the SSRC Janus sends is the one vpbot recorded, and
# meeting.json counts the RRs sent with no failure and the BYE on leaving.
#
#   join_rtcp_rr.sh VPBOT
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
jl_init rr "${1:-}"
DUR=16 DROP=0.05

# Janus's Admin API, on loopback inside this test's netns only
mkdir -p "$T/tpl"
cp "$HERE"/janus/*.jcfg.in "$T/tpl/"
sed -i -e 's|admin_http = false|admin_http = true\n\tadmin_port = 7088\n\tadmin_ip = "127.0.0.1"\n\tadmin_base_path = "/admin"|' \
	"$T/tpl/janus.transport.http.jcfg.in"
grep -q 'admin_port = 7088' "$T/tpl/janus.transport.http.jcfg.in" ||
	jl_fail "could not enable the admin API in the test config"
JANUS_TEMPLATES=$T/tpl
jl_signal speech 0 $DUR "$T/a.wav"
jl_janus_up

echo "== vpbot joins room 1234"
jl_bot_start bot 60 "janus+ws://127.0.0.1:8188/1234?name=vpbot" \
	--meeting m --duration $((DUR + 6))
jl_wait_event bot joined 15 || jl_fail "vpbot did not emit 'joined' in 15 s"

echo "== publisher: ${DUR} s of speech, ${DROP} of its RTP dropped"
timeout 120 ip netns exec "$NS" $PY "$HERE/lib/lossy_publish.py" \
	--drop $DROP --drop-log "$T/drops.json" --url ws://127.0.0.1:8188 \
	--plugin videoroom --room 1234 --display alice --wav "$T/a.wav" \
	--duration $DUR >"$T/A.json" 2>"$T/A.err" &
PUB=$!
JL_PIDS="$JL_PIDS $PUB"

# sample the Admin API every second while the publisher runs (one JSON
# line each); the checker takes the sample with the most media forwarded
n=0
while kill -0 "$PUB" 2>/dev/null && [ $n -lt 40 ]; do
	sleep 1
	n=$((n + 1))
	ip netns exec "$NS" timeout 10 $PY "$HERE/lib/janus_admin.py" \
		>>"$T/admin.json" 2>>"$T/admin.err"
done
wait "$PUB" || { tail -5 "$T/A.err"; jl_fail "publisher failed"; }
jl_bot_wait bot
[ "$BOT_RC" -eq 0 ] || jl_fail "vpbot exit $BOT_RC, expected 0"
[ -s "$T/admin.json" ] || { cat "$T/admin.err"; jl_fail "no handle_info of the subscriber"; }
echo "publisher: $(cat "$T/drops.json")"

$PY - "$T/admin.json" "$T/drops.json" "$T/out/m/meeting.json" <<'PYEOF' || jl_fail "receiver reports not seen by Janus"
import json, sys
drops = json.load(open(sys.argv[2]))
meet = json.load(open(sys.argv[3]))
ok = True
def check(what, cond):
    global ok
    print(f"check: {what} - {'ok' if cond else 'FAIL'}")
    ok &= bool(cond)
# the subscriber handle's audio medium in each sample: its RTCP figures
# (webrtc.media.N.rtcp.main) come from the RRs the subscriber sends
best = None
for line in open(sys.argv[1]):
    for h in json.loads(line):
        i = h["info"]
        if i.get("plugin_specific", {}).get("type") != "subscriber":
            continue
        for m in i.get("webrtc", {}).get("media", {}).values():
            if (m.get("type") != "audio" or "rtcp" not in m or
                    not m.get("direction", {}).get("send") or
                    not m.get("ssrc", {}).get("ssrc")):
                continue  # not (or no longer) forwarding to us
            out = m.get("stats", {}).get("out", {}).get("packets", 0)
            if best is None or out > best[0]:
                best = (out, m["rtcp"].get("main", {}), m.get("ssrc", {}))
check("a sample of the subscriber's audio medium while media flowed",
      best is not None and best[0] > 0)
out, a, ssrc = best if best else (0, {}, {})
print(f"janus (after {out} packets forwarded): ssrc {ssrc}, rtcp {json.dumps(a)}")
lost = a.get("lost-by-remote")
check(f"lost-by-remote {lost} > 0 (publisher dropped {drops['rtp_dropped']})",
      isinstance(lost, int) and lost > 0)
# our cumulative count of the forwarded stream: about DROP of what Janus had
# forwarded when it took our last RR (one interval, <= 6.2 s, earlier)
check(f"lost-by-remote / forwarded = {lost}/{out} between 1 % and 12 %",
      isinstance(lost, int) and 0.01 * out <= lost <= 0.12 * out)
check("lost-by-remote <= dropped",
      isinstance(lost, int) and lost <= drops["rtp_dropped"])
check("jitter-remote present", "jitter-remote" in a)
# Janus: rtt = now - LSR - DLSR in whole ms; on loopback it rounds to 0,
# a DLSR that were too small would make it large
rtt = a.get("rtt")
check(f"rtt {rtt} ms from our LSR/DLSR: 0 <= rtt < 100 (loopback)",
      isinstance(rtt, int) and 0 <= rtt < 100)
st = meet.get("streams", [])
check(f"the SSRC Janus sends us {ssrc.get('ssrc')} is the one vpbot "
      f"recorded (and reports on)",
      len(st) == 1 and st[0].get("last_ssrc") == ssrc.get("ssrc"))
# vpbot's own count (jitter buffer) saw the gaps too; how many of the
# drops reach it depends on what Janus forwarded before the bot left
check(f"vpbot counted {st[0].get('lost') if st else None} lost "
      f"({drops['rtp_dropped']} dropped)",
      len(st) == 1 and st[0].get("lost", 0) > 0)
rr = meet.get("transport", {}).get("rtcp_rr", {})
print("meeting.json transport.rtcp_rr:", rr)
check("meeting.json: >= 2 RRs sent, none failed, with report blocks",
      rr.get("sent", 0) >= 2 and rr.get("send_fail", 1) == 0 and
      rr.get("blocks", 0) >= 2)
# the bot left by --duration while Janus still listened: RFC 3550 §6.3.7
check("meeting.json: the RTCP BYE went out when the bot left",
      rr.get("bye") is True)
sys.exit(0 if ok else 1)
PYEOF
echo "PASS: join_rtcp_rr"
