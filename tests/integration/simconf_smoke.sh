#!/usr/bin/env bash
# simconf_smoke.sh VPBOT SIMCONF — a 2-participant meeting (tones) hosted by
# simconf, joined by vpbot, both inside a private network namespace
# (loopback only, docs/janus.md §2). Checks: the bot exits 0, simconf's send
# log shows both participants' tones on the wire, the bot wrote one stream
# per participant, and each stream's dominant frequency is that
# participant's tone (440 / 660+880 Hz) — the stream meeting.json says is
# theirs — so audio was not mixed up. The events go to an inherited
# descriptor (--events fd:3): whole JSON lines, in the order of the join.
set -euo pipefail
VPBOT=$(realpath "$1")
SIMCONF=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
SCN=$HERE/../../tools/simconf/scenarios/two_tones.json
NS=simconf-smoke-$$
TMP=$(mktemp -d /tmp/simconf-smoke.XXXXXX)
SC_PID=

if [ "$(id -u)" != 0 ]; then
	echo "simconf_smoke: needs root for a network namespace: skipped"
	exit 1
fi
cleanup() {
	[ -n "$SC_PID" ] && kill "$SC_PID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add va type veth peer name vb
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$NS" addr add 127.0.0.2/32 dev va
ip -n "$NS" link set va up
ip -n "$NS" link set vb up

# libnice in the bot gathers 127.0.0.2 here; simconf uses the same address
ip netns exec "$NS" timeout 60 "$SIMCONF" "$SCN" --port 0 \
	--port-file "$TMP/port" --log "$TMP/send.jsonl" \
	--dump-dir "$TMP/dump" --media-addr 127.0.0.2 --exit-when-done \
	>"$TMP/simconf.out" 2>"$TMP/simconf.err" &
SC_PID=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port")
rc=0
ip netns exec "$NS" timeout 40 "$VPBOT" join "sim+ws://127.0.0.1:$PORT/m1" \
	--out "$TMP/out" --duration 8 --events fd:3 3>"$TMP/events.jsonl" \
	>"$TMP/bot.out" 2>"$TMP/bot.err" || rc=$?
wait "$SC_PID" || true
SC_PID=
if [ "$rc" != 0 ]; then
	echo "simconf_smoke: vpbot exited $rc"; tail -20 "$TMP/bot.err"; exit 1
fi

/usr/bin/python3 - "$TMP" <<'PY'
import glob, json, sys, wave
import numpy as np
tmp = sys.argv[1]
log = [json.loads(l) for l in open(tmp + "/send.jsonl")]
def fail(msg):
    print("simconf_smoke: FAIL:", msg); sys.exit(1)
ev = [e["event"] for e in log]
for need in ("bot_joined", "offer", "answer", "meeting_ended"):
    if need not in ev: fail("send log has no " + need)
if not any(e["event"] == "media_state" and e["state"] == "secure" for e in log):
    fail("media never became secure")
sent = {}
for e in log:
    if e["event"] == "audio":
        if not e["sent"]: fail("audio not sent: %s" % e)
        sent.setdefault(e["participant"], []).append(e)
if sorted(sent) != ["p1", "p2"]: fail("sent audio for %s" % sorted(sent))
frames = {p: sum(r["frames"] for r in v) for p, v in sent.items()}
if frames != {"p1": 100, "p2": 150}: fail("frames sent %s" % frames)
meet = glob.glob(tmp + "/out/*/")[0]
man = [json.loads(l) for l in open(meet + "manifest.jsonl")]
streams = {}
for m in man:
    with wave.open(meet + m["file"]) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    streams.setdefault(m["stream"], []).append(pcm)
if len(streams) != 2: fail("bot wrote %d streams" % len(streams))
# participant -> stream through meeting.json: swapped streams must fail
mj = json.load(open(meet + "meeting.json"))
owner = {s["id"]: s["participant"] for s in mj.get("streams", [])}
if sorted(owner.get(s) or "?" for s in streams) != ["p1", "p2"]:
    fail("meeting.json maps streams %s to %s" % (sorted(streams), owner))
want = {"p1": 440, "p2": 660}
peaks = {}
for s, parts in streams.items():
    x = np.concatenate(parts).astype(float)
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / 48000)
    peaks[owner[s]] = round(f[np.argmax(spec)])
    if np.sqrt(np.mean(x ** 2)) < 1000: fail("stream %s is nearly silent" % s)
for p, hz in want.items():
    if abs(peaks[p] - hz) > 5:
        fail("%s's stream peaks at %d Hz, want %d" % (p, peaks[p], hz))
# --events fd:3: every line a JSON object with event and ts, in join order
evs = [json.loads(l) for l in open(tmp + "/events.jsonl")]
names = [e["event"] for e in evs]
if not all("ts" in e for e in evs): fail("an event without ts")
order = ["joining", "joined", "media_connected", "stream_started",
         "meeting_ended"]
if not all(n in names for n in order) or \
        [names.index(n) for n in order] != sorted(names.index(n) for n in order):
    fail("events on fd 3 out of order or missing: %s" % names)
pj = sorted(e.get("id") for e in evs if e["event"] == "participant_joined")
if pj != ["p1", "p2"]: fail("participant_joined events for %s" % pj)
if names.count("stream_started") != 2:
    fail("%d stream_started events" % names.count("stream_started"))
# meeting.json (docs/design.md §5): the recorder's sections, the shape a
# replay writes too; the live gate is the consent gate's record
mj = json.load(open(meet + "meeting.json"))
st = mj["status"]
if st["state"] != "finished" or st["exit_code"] != 0:
    fail("status %s" % st)
for k in ("io_overflow", "io_write_errors", "warnings"):
    if k not in st: fail("status has no %s" % k)
if sorted(s["participant"] for s in mj["streams"]) != ["p1", "p2"]:
    fail("streams belong to %s" % [s["participant"] for s in mj["streams"]])
for s in mj["streams"]:
    if len(s["ssrcs"]) != 1 or s["ssrcs"][0] != s["last_ssrc"]:
        fail("stream %s: ssrcs %s, last %s" % (s["id"], s["ssrcs"], s["last_ssrc"]))
if not isinstance(mj.get("gate"), dict) or "dropped_samples" not in mj["gate"]:
    fail("gate %s is not the consent gate's record" % mj.get("gate"))
print("simconf_smoke: ok: frames %s, stream peaks %s Hz, %d events on fd 3" %
      (frames, peaks, len(evs)))
PY
