#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_janus_killed.sh  the server dies mid-meeting: `vpbot join` must exit
# 75 (transient, retry) quickly and leave a manifest it can be trusted on.
#
#   join_janus_killed.sh VPBOT
#
# vpbot (--chunk-seconds 1, --duration 60) + one aiortc publisher in
# videoroom 1234; ~6 s after the bot's first audio (stream_started), Janus
# gets SIGKILL. Checks: vpbot exits 75 within KILL_TO s of the kill; the
# manifest is non-empty; every chunk it names is a complete WAV (RIFF and
# data sizes agree with the file size, frames == the line's `samples`,
# rate/channels as the line says); chunks are contiguous (compare.py
# --list); the audio recorded before the kill matches the source
# (corr >= MIN_CORR over >= MIN_COVER s); meeting.json says exit_code 75.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
KILL_TO=${KILL_TO:-10}
MIN_CORR=${MIN_CORR:-0.9}
# 6 s pass between stream_started and the kill; the 1 s chunk in progress
# at the kill is lost: at least 4 s of the source must be found
MIN_COVER=${MIN_COVER:-4}
jl_init kill "${1:-}"

jl_signal speech 1 30 "$T/a.wav"
jl_janus_up

jl_bot_start bot 90 "janus+ws://127.0.0.1:8188/1234" --meeting m \
	--duration 60 --chunk-seconds 1
jl_wait_event bot joined 15 || jl_fail "vpbot did not emit 'joined' in 15 s"
jl_pub_start A --plugin videoroom --room 1234 --display alice \
	--wav "$T/a.wav" --duration 30
jl_wait_event bot stream_started 20 ||
	jl_fail "no stream_started within 20 s of the publisher starting"
sleep 6
echo "== SIGKILL Janus (pid $JANUS_PID)"
K0=$(jl_now)
kill -KILL "$JANUS_PID"
wait "$JANUS_PID" 2>/dev/null
JANUS_PID=

# vpbot's own budget is 90 s; give it KILL_TO s, then stop it ourselves
end=$((SECONDS + KILL_TO + 1))
while kill -0 "$BOT_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do
	sleep 0.1
done
if kill -0 "$BOT_PID" 2>/dev/null; then
	kill -INT "$BOT_PID"
	jl_bot_wait bot
	jl_fail "vpbot still running $KILL_TO s after Janus died"
fi
jl_bot_wait bot
secs=$(jl_since "$K0")
echo "check: vpbot exit $BOT_RC (expect 75) $secs s after the kill (<= $KILL_TO)"
[ "$BOT_RC" -eq 75 ] || jl_fail "vpbot exit $BOT_RC, expected 75"
awk -v s="$secs" -v m="$KILL_TO" 'BEGIN{exit !(s<=m)}' ||
	jl_fail "exit took $secs s"

M=$T/out/m
[ -s "$M/manifest.jsonl" ] || jl_fail "manifest.jsonl empty or missing"
$PY - "$M" <<'EOF' || jl_fail "a chunk named in the manifest is not a complete WAV"
import json, os, struct, sys
mdir = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(mdir, "manifest.jsonl"))
        if l.strip()]
bad = 0
for r in rows:
    p = os.path.join(mdir, r["file"])
    b = open(p, "rb").read()
    why = None
    if len(b) < 44 or b[:4] != b"RIFF" or b[8:16] != b"WAVEfmt ":
        why = "no RIFF/WAVE/fmt header"
    else:
        riff = struct.unpack("<I", b[4:8])[0]
        fmt_len = struct.unpack("<I", b[16:20])[0]
        tag, ch, rate = struct.unpack("<HHI", b[20:28])
        bits = struct.unpack("<H", b[34:36])[0]
        off = 20 + fmt_len
        while off + 8 <= len(b) and b[off:off + 4] != b"data":
            off += 8 + struct.unpack("<I", b[off + 4:off + 8])[0]
        if off + 8 > len(b):
            why = "no data chunk"
        else:
            dlen = struct.unpack("<I", b[off + 4:off + 8])[0]
            frames = dlen // (ch * bits // 8)
            if riff + 8 != len(b):
                why = f"RIFF size {riff + 8} != file size {len(b)}"
            elif off + 8 + dlen != len(b):
                why = f"data size {dlen} does not reach the file end"
            elif (tag, bits) != (1, 16):
                why = f"format {tag}/{bits} bit, not PCM 16"
            elif (rate, ch) != (r["rate"], r["channels"]):
                why = f"{rate} Hz/{ch} ch, manifest {r['rate']}/{r['channels']}"
            elif frames != r["samples"]:
                why = f"{frames} frames, manifest says {r['samples']}"
    if why:
        bad += 1
        print(f"chunk {r['file']}: {why}")
print(f"check: {len(rows)} manifest lines, {len(rows) - bad} complete WAVs")
tmp = [f for dp, _, fs in os.walk(mdir) for f in fs if f.endswith(".tmp")]
print(f"note: {len(tmp)} .tmp file(s) left (the chunk in progress)")
sys.exit(1 if bad or not rows else 0)
EOF
timeout 60 $PY "$HERE/compare.py" --list --meeting-dir "$M" >"$T/list" ||
	{ cat "$T/list"; jl_fail "chunks not contiguous"; }
echo "check: chunks contiguous - ok"
echo "check: the audio before the kill matches the source (>= $MIN_CORR)"
jl_compare "$T/cmp" --source "$T/a.wav" --meeting-dir "$M" --stream auto \
	--min-corr "$MIN_CORR" --min-coverage-s "$MIN_COVER" ||
	jl_fail "recorded audio does not match"
code=$(jl_json "$M/meeting.json" 'd.get("status", {}).get("exit_code")')
echo "check: meeting.json status.exit_code = $code"
[ "$code" = 75 ] || jl_fail "meeting.json status.exit_code $code, expected 75"

echo "PASS: join_janus_killed"
exit 0
