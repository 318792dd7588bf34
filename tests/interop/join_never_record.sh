#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_never_record.sh  never-record over a dialect without identities
# (issue 10 item 9): live `vpbot join` into Janus videoroom 1234, whose
# participants are known by display name only.
#
#   join_never_record.sh VPBOT
#
# Company settings: carol@example.com is a never-record member, consent
# mode "notify". Two aiortc publishers, A (in the room before the bot) and
# B (joins after it), with the display names "alice@example.com" and
# "bob@example.com": a display name is typed by the participant and must
# never count as an identity. Three runs, one Janus:
#
#   nr       the meeting facts invite carol: nobody present can be
#            identified, so carol may be any of them. Exit 77; nothing
#            written (no chunk, no manifest line); meeting.json says
#            never_record_unverifiable (status reason and every gate
#            timeline entry, closed), and SRTP audio did arrive (rx_srtp)
#            and was dropped, so the test really sent audio.
#   control  the same without carol invited: exit 0, both publishers
#            recorded (two streams with chunks).
#   vouched  carol invited, and the facts' vouched_identities map A's and
#            B's publisher ids (which they ask Janus for) to alice and bob:
#            the deployment supplied identities, so exit 0, two streams.
#
# Exit 0 pass, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
jl_init nr "${1:-}"

ID_A=$((700000 + $$ % 10000 * 2))
ID_B=$((ID_A + 1))
DUR=14 BOT_DUR=9

cat >"$T/settings.json" <<EOF
{"company_domains": ["example.com"], "record_internal": true,
 "record_external": true, "recorded_members": "all",
 "members": [{"address": "carol@example.com", "data_capture": "never"}],
 "consent": {"mode": "notify"}}
EOF
facts() { # facts FILE INVITEES [EXTRA]
	cat >"$1" <<EOF
{"organizer": "alice@example.com", "invitees": $2, "private": false,
 "title": "never-record interop", "conference_url":
 "janus+ws://127.0.0.1:8188/1234"${3:-}}
EOF
}
facts "$T/nr.json" '["carol@example.com", "erin@customer.test"]'
facts "$T/control.json" '["bob@example.com", "erin@customer.test"]'
facts "$T/vouched.json" '["carol@example.com", "erin@customer.test"]' \
	", \"vouched_identities\": {\"$ID_A\": \"alice@example.com\",
 \"$ID_B\": \"bob@example.com\"}"

jl_signal speech 0 $DUR "$T/a.wav"
jl_signal tones 1 $DUR "$T/b.wav"
jl_janus_up

# publishers in room 1234 per Janus's own list (HTTP API, synchronous)
publishers() {
	ip netns exec "$NS" timeout 10 $PY - <<'EOF'
import json, urllib.request
B = "http://127.0.0.1:8088/janus"
def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=5))
s = post(B, {"janus": "create", "transaction": "c"})["data"]["id"]
h = post(f"{B}/{s}", {"janus": "attach", "transaction": "a",
                      "plugin": "janus.plugin.videoroom"})["data"]["id"]
r = post(f"{B}/{s}/{h}", {"janus": "message", "transaction": "l",
         "body": {"request": "listparticipants", "room": 1234}})
ps = r["plugindata"]["data"].get("participants", [])
print(sum(1 for p in ps if p.get("publisher")))
post(f"{B}/{s}", {"janus": "destroy", "transaction": "d"})
EOF
}

wait_publishers() { # wait_publishers N SECS: until exactly N publish
	local end=$((SECONDS + $2)) n
	while [ $SECONDS -lt $end ]; do
		n=$(publishers 2>/dev/null)
		[ -n "$n" ] && [ "$n" -eq "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

run() { # run TAG FACTS: A publishes, the bot joins, then B
	local tag=$1
	echo "== run $tag: A publishes, vpbot joins, then B"
	wait_publishers 0 15 ||
		jl_fail "$tag: Janus's room 1234 is not empty (or cannot be asked)"
	jl_pub_start "A$tag" --plugin videoroom --room 1234 --id "$ID_A" \
		--display alice@example.com --wav "$T/a.wav" --duration $DUR
	wait_publishers 1 20 || jl_fail "$tag: A is not publishing after 20 s"
	jl_bot_start "$tag" 60 "janus+ws://127.0.0.1:8188/1234?name=vpbot" \
		--meeting "$tag" --duration $BOT_DUR --settings "$T/settings.json" \
		--meeting-facts "$2"
	jl_wait_event "$tag" joined 15 ||
		jl_fail "$tag: vpbot did not emit 'joined' in 15 s"
	jl_pub_start "B$tag" --plugin videoroom --room 1234 --id "$ID_B" \
		--display bob@example.com --wav "$T/b.wav" --duration $DUR
	jl_bot_wait "$tag"
	jl_pub_wait "A$tag"
	jl_pub_wait "B$tag"
}

# check_run TAG EXPECTED_RC
check_run() {
	local tag=$1 want=$2 M=$T/out/$1
	[ "$BOT_RC" -eq "$want" ] || jl_fail "$tag: vpbot exit $BOT_RC, expected $want"
	echo "check: $tag: exit $want - ok"
	[ -f "$M/meeting.json" ] || jl_fail "$tag: no meeting.json"
	$PY - "$M" "$tag" <<'EOF' || jl_fail "$tag: meeting folder check"
import glob, json, os, sys
m, tag = sys.argv[1], sys.argv[2]
d = json.load(open(os.path.join(m, "meeting.json")))
wavs = glob.glob(os.path.join(m, "streams", "*", "*.wav*"))
man = os.path.join(m, "manifest.jsonl")
lines = open(man).read().splitlines() if os.path.exists(man) else []
tl = d.get("gate_timeline") or []
parts = d.get("participants", [])
streams = d.get("streams", [])
print(f"{tag}: {len(wavs)} chunk files, {len(lines)} manifest lines, "
      f"{len(streams)} streams, timeline "
      f"{[(e['open'], e['reason'][:40]) for e in tl]}")
# nobody is identified by a display name
for p in parts:
    assert p.get("display", "").endswith("@example.com"), p
    if tag != "vouched":
        assert not p.get("identity"), f"display taken as identity: {p}"
if tag == "nr":
    assert d["policy"]["never_record_invited"] is True, d["policy"]
    assert not wavs and not lines, "something was written"
    st = d["status"]
    assert st["exit_code"] == 77, st
    assert "never_record_unverifiable" in st["reason"], st
    assert tl and all(not e["open"] for e in tl), tl
    assert all(e["reason"].startswith("never_record_unverifiable:")
               for e in tl), tl
    assert len(parts) == 2, parts
    rx = d["transport"]["rx_srtp"]
    assert rx >= 100, f"audio did not arrive to be dropped: rx_srtp {rx}"
    assert not any(s.get("samples") for s in streams), streams
    print("check: nr: nothing written, never_record_unverifiable, "
          f"{rx} SRTP packets received and dropped - ok")
else:
    ids = sorted(p.get("identity") or "" for p in parts)
    if tag == "vouched":
        assert ids == ["alice@example.com", "bob@example.com"], ids
    assert d["status"]["exit_code"] == 0, d["status"]
    rec = {json.loads(l)["stream"] for l in lines}
    assert len(rec) == 2, f"expected 2 recorded streams, got {rec}"
    secs = {}
    for l in lines:
        r = json.loads(l)
        secs[r["stream"]] = secs.get(r["stream"], 0) + r["samples"] / r["rate"]
    assert all(v >= 2.0 for v in secs.values()), secs
    assert any(e["open"] for e in tl), tl
    print(f"check: {tag}: recorded {secs} s, identities {ids} - ok")
EOF
}

run nr "$T/nr.json"
check_run nr 77
run control "$T/control.json"
check_run control 0
run vouched "$T/vouched.json"
check_run vouched 0

echo "PASS: join_never_record"
exit 0
