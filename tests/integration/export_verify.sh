#!/usr/bin/env bash
# `vpbot verify` and `vpbot export` (issue #12 item 4) on a good folder, a
# crashed one (SIGKILL mid-replay, as crash.sh does), the same after the
# rerun that recovers it, and tampered copies: each tampering must be named
# precisely (file, line, what) with exit 65, and export must refuse to make
# a file from a folder whose chunks do not match their manifest lines.
# usage: export_verify.sh VPBOT RTPGEN
set -uo pipefail
vpbot=$1 rtpgen=$2
tmp=$(mktemp -d /tmp/vp-expver.$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# verify DIR EXPECTED-RC [PATTERN...]: every pattern must be in the report
verify() {
	local dir=$1 want=$2 rc
	shift 2
	"$vpbot" verify "$dir" >"$tmp/report" 2>&1
	rc=$?
	[ $rc -eq "$want" ] || { cat "$tmp/report"; fail "verify $dir: exit $rc, want $want"; }
	for p in "$@"; do
		grep -qE -- "$p" "$tmp/report" ||
			{ cat "$tmp/report"; fail "verify $dir: no line matching '$p'"; }
	done
}

# same_pcm WAV DIR STREAM [OFFSET]: the export holds exactly the stream's
# chunks, each at OFFSET (default 0) + its start_sample, and silence elsewhere
same_pcm() {
	/usr/bin/python3 - "$@" <<'PY' || fail "export of $3 differs from its chunks"
import json, os, sys, wave
out, m, stream = sys.argv[1:4]
offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
w = wave.open(out)
rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
got = w.readframes(n)
want = bytearray(n * ch * 2)
for line in open(os.path.join(m, "manifest.jsonl")):
    c = json.loads(line)
    if c["stream"] != stream:
        continue
    with wave.open(os.path.join(m, c["file"])) as cw:
        assert cw.getframerate() == rate
        pcm = cw.readframes(cw.getnframes())
    s = (offset + c["start_sample"]) * ch * 2
    want[s:s + len(pcm)] = pcm
if bytes(want) != got:
    sys.exit(f"{out}: {n} frames differ from the chunks")
print(f"{out}: {n} frames = the chunks of {stream}")
PY
}

# --- good ---
"$rtpgen" "$tmp/a" --seconds 8 --loss 0.02 >/dev/null || fail rtpgen
"$vpbot" replay "$tmp/a.pcap" --out "$tmp/out" --chunk-seconds 1 \
	--log-level err || fail "replay"
good=$tmp/out/a
verify "$good" 0 "OK, 8 chunk\(s\), 384000 samples"
"$vpbot" export "$good" --stream s1 --wav "$tmp/s1.wav" || fail "export s1"
same_pcm "$tmp/s1.wav" "$good" s1
"$vpbot" export "$good" --wav "$tmp/mix.wav" || fail "export mix"
cmp -s "$tmp/mix.wav" "$tmp/s1.wav" || fail "a one-stream mix is not the stream"
"$vpbot" export "$good" --stream s9 --wav "$tmp/x.wav"
[ $? -eq 65 ] || fail "export of an unknown stream did not exit 65"
"$vpbot" verify "$tmp/nope" >/dev/null 2>&1
[ $? -eq 66 ] || fail "verify of a missing folder did not exit 66"
# an export never touches the recording: FILE inside the folder is refused
cp "$good/streams/s1/000000.wav" "$tmp/chunk0"
for f in "$good/streams/s1/000000.wav" "$good/manifest.jsonl" "$good/m.wav"; do
	"$vpbot" export "$good" --wav "$f" 2>"$tmp/err"
	[ $? -eq 64 ] && grep -q "outside the meeting folder" "$tmp/err" ||
		fail "export into the folder ($f): $(cat "$tmp/err")"
done
cmp -s "$tmp/chunk0" "$good/streams/s1/000000.wav" || fail "export changed a chunk"
[ ! -e "$good/m.wav" ] || fail "export wrote into the meeting folder"
verify "$good" 0 "OK, 8 chunk\(s\), 384000 samples"
echo "good folder: verify OK, exports match"

# --- the mix sums in 32 bits, then saturates: s1 = s2 = +30000 and
# s3 = -30000 mix to 30000 in any order (saturating each step gave 2767) ---
d=$tmp/loud; cp -a "$good" "$d"
/usr/bin/python3 - "$d" <<'PY' || fail "could not make the loud folder"
import json, os, struct, sys
d = sys.argv[1]
first = json.loads(open(os.path.join(d, "manifest.jsonl")).readline())
raw = open(os.path.join(d, first["file"]), "rb").read()
data = raw.index(b"data") + 8
n = (len(raw) - data) // 2
for sid, v in (("s1", 30000), ("s2", 30000), ("s3", -30000)):
    os.makedirs(os.path.join(d, "streams", sid), exist_ok=True)
    hdr = raw[:data].replace(b'"stream":"s1"', b'"stream":"%s"' % sid.encode())
    name = f"streams/{sid}/000000.wav"
    with open(os.path.join(d, name), "wb") as f:
        f.write(hdr + struct.pack("<%dh" % n, *([v] * n)))
    if sid != "s1":
        with open(os.path.join(d, "manifest.jsonl"), "a") as f:
            f.write(json.dumps(dict(first, stream=sid, file=name)) + "\n")
PY
"$vpbot" export "$d" --wav "$tmp/loud.wav" || fail "export of the loud folder"
/usr/bin/python3 - "$tmp/loud.wav" <<'PY' || fail "the mix saturated before the sum"
import struct, sys, wave
w = wave.open(sys.argv[1])
v = set(struct.unpack("<48000h", w.readframes(48000)))
if v != {30000}:
    sys.exit(f"the first second mixes to {sorted(v)[:4]}, not 30000")
PY
echo "mix: summed, then saturated"

# --- a stream absent for 8 s (no packets: a DTX stretch, then a new SSRC)
# starts a new chunk after the gap: the folder is sound, the gap silence ---
"$rtpgen" "$tmp/g" --seconds 14 --dtx-at 3 --dtx-len 8 --ssrc-change-at 11 \
	>/dev/null || fail rtpgen
"$vpbot" replay "$tmp/g.pcap" --out "$tmp/out" --chunk-seconds 1 \
	--log-level err || fail "replay of the absent stream"
[ "$(jq -s 'map(select(.seq > 0 and .start_sample > 48000 * .seq)) | length' \
	"$tmp/out/g/manifest.jsonl")" -gt 0 ] || fail "no chunk after a gap: the case is not tested"
verify "$tmp/out/g" 0 "OK, "
"$vpbot" export "$tmp/out/g" --wav "$tmp/g.wav" || fail "export of the absent stream"
same_pcm "$tmp/g.wav" "$tmp/out/g" s1
echo "absent stream: a gap longer than 5 s is no problem"

# --- a rerun that began 10 s after the first run: its stream, exported
# alone, is placed as in the mix (10 s x 48000 after the first run's 0) ---
d=$tmp/later; cp -a "$good" "$d"
"$rtpgen" "$tmp/b2" --seconds 2 >/dev/null || fail rtpgen
"$vpbot" replay "$tmp/b2.pcap" --out "$tmp" --meeting later --log-level err ||
	fail "rerun into the later folder"
[ "$(jq -r '.previous_runs[0].timeline_origin_utc' "$d/meeting.json")" = \
	"$(jq -r .timeline_origin_utc "$d/meeting.json")" ] || fail "the runs' origins differ already"
jq -c '.timeline_origin_utc = (.timeline_origin_utc | sub(":00\\.000000Z$"; ":10.000000Z"))' \
	"$d/meeting.json" >"$tmp/mj" && mv "$tmp/mj" "$d/meeting.json"
"$vpbot" export "$d" --stream s2 --wav "$tmp/s2l.wav" || fail "export s2 of the later rerun"
same_pcm "$tmp/s2l.wav" "$d" s2 480000
"$vpbot" export "$d" --stream s1 --wav "$tmp/s1l.wav" || fail "export s1 of the later rerun"
same_pcm "$tmp/s1l.wav" "$d" s1
echo "rerun: a stream exported alone lines up with the mix"

# --- tampered copies of the good folder ---
t=0
tamper() { d=$tmp/t$t; t=$((t + 1)); cp -a "$good" "$d"; }
tamper; truncate -s -100 "$d/streams/s1/000002.wav"
verify "$d" 65 "streams/s1/000002.wav: [0-9]+ bytes on disk, manifest line 3 says"
"$vpbot" export "$d" --wav "$tmp/bad.wav" 2>"$tmp/err"
[ $? -eq 65 ] || fail "export of a truncated chunk did not exit 65"
grep -q "000002.wav does not match manifest line 3" "$tmp/err" || fail "export: $(cat "$tmp/err")"
[ ! -e "$tmp/bad.wav" ] || fail "export left a partial file"
ls "$tmp" | grep -q '^bad\.wav\.' && fail "export left its temporary file"
# a failed export leaves the FILE of an earlier one as it was (and a good
# one replacing it keeps its mode)
cp "$tmp/mix.wav" "$tmp/keep.wav"
chmod 600 "$tmp/keep.wav"
"$vpbot" export "$good" --wav "$tmp/keep.wav" >/dev/null || fail "export over a file"
[ "$(stat -c %a "$tmp/keep.wav")" = 600 ] || fail "export changed FILE's mode"
cmp -s "$tmp/mix.wav" "$tmp/keep.wav" || fail "the same export differs"
"$vpbot" export "$d" --wav "$tmp/keep.wav" 2>/dev/null
[ $? -eq 65 ] || fail "export of a truncated chunk over a file did not exit 65"
cmp -s "$tmp/mix.wav" "$tmp/keep.wav" || fail "a failed export changed the earlier file"
tamper; rm "$d/streams/s1/000003.wav"
verify "$d" 65 "streams/s1/000003.wav: named by manifest line 4 but missing"
tamper; sed -i '5s/"start_sample":[0-9]*/"start_sample":200000/' "$d/manifest.jsonl"
verify "$d" 65 "000004.wav: its header is stream s1 seq 4 start_sample 192000.*line 5 says s1 seq 4 start_sample 200000" \
	"stream s1: 8000 samples missing between seq 3"
tamper; sed -i '2s/"samples":48000/"samples":47000/' "$d/manifest.jsonl"
verify "$d" 65 "000001.wav: holds 48000 samples, manifest line 2 says 47000"
tamper; sed -i '6s/.*/{"stream":"s1", "oops"/' "$d/manifest.jsonl"
verify "$d" 65 "manifest.jsonl:6: not a JSON object" \
	"streams/s1/000005.wav: on disk but in no manifest line" \
	"stream s1: seq 5 to 5 missing"
tamper; mv "$d/streams/s1/000001.wav" "$tmp/x"
mv "$d/streams/s1/000006.wav" "$d/streams/s1/000001.wav"; mv "$tmp/x" "$d/streams/s1/000006.wav"
verify "$d" 65 "streams/s1/000001.wav: its header is stream s1 seq 6 .*file swapped" \
	"streams/s1/000006.wav: its header is stream s1 seq 1 "
tamper; sed -i '3d' "$d/manifest.jsonl"
verify "$d" 65 "streams/s1/000002.wav: on disk but in no manifest line" \
	"stream s1: seq 2 to 2 missing"
tamper; sed -i '$d' "$d/manifest.jsonl" # killed between rename and listing
verify "$d" 65 "streams/s1/000007.wav: on disk but in no manifest line \(if a crash"
"$rtpgen" "$tmp/b" --seconds 2 >/dev/null || fail rtpgen
"$vpbot" replay "$tmp/b.pcap" --out "$tmp" --meeting "$(basename "$d")" \
	--log-level err || fail "rerun into the unlisted-chunk folder"
grep -q '"file":"streams/s1/000007.wav".*"recovered":true' "$d/manifest.jsonl" ||
	fail "the rerun did not list the unlisted chunk"
tamper; : >"$d/streams/s1/000008.wav.tmp"
verify "$d" 65 "streams/s1/000008.wav.tmp: a chunk left in progress by a crash"
tamper; jq -c '.streams[0].samples = 1' "$d/meeting.json" >"$tmp/m" && mv "$tmp/m" "$d/meeting.json"
verify "$d" 65 "stream s1: meeting.json counts 1 samples, its 8 chunk\(s\) hold 384000"
tamper; sed -i 's/"stream":"s1"/"stream":"s7"/; s#streams/s1/000000#streams/s7/000000#' "$d/manifest.jsonl"
verify "$d" 65 "manifest.jsonl:1: stream s7 is in no run of meeting.json" \
	"streams/s7/000000.wav: named by manifest line 1 but missing"
echo "tampered folders: $t cases named precisely"

# --- crashed: SIGKILL mid-replay ---
# 300 s of capture: the 20th chunk is seen long before the replay ends
# (~1 s of CPU; 900 s took 26 s of CPU just to encode)
"$rtpgen" "$tmp/long" --seconds 300 >/dev/null || fail "rtpgen"
"$vpbot" replay "$tmp/long.pcap" --out "$tmp/out" --chunk-seconds 1 \
	--log-level err &
pid=$!
for _ in $(seq 3000); do # 60 s: only a hang
	[ "$({ wc -l <"$tmp/out/long/manifest.jsonl"; } 2>/dev/null || echo 0)" -ge 20 ] && break
	sleep 0.02
done
kill -9 $pid
wait $pid
[ $? -eq 137 ] || fail "vpbot was not killed mid-replay"
m=$tmp/out/long
# the kill lands in one of three places: mid-chunk (.tmp), between a
# chunk's rename and its manifest line (a .wav no line names), or between
# chunks (consistent); verify must name the first two
ntmp=$(ls "$m"/streams/s1 | grep -c '\.tmp$')
nunlisted=$(($(ls "$m"/streams/s1 | grep -c '\.wav$') - $(wc -l <"$m/manifest.jsonl")))
if [ "$ntmp" -gt 0 ]; then
	verify "$m" 65 "wav.tmp: a chunk left in progress by a crash" \
		"warning: meeting.json: run 1 says \"recording\""
elif [ "$nunlisted" -gt 0 ]; then
	verify "$m" 65 "\.wav: on disk but in no manifest line \(if a crash" \
		"warning: meeting.json: run 1 says \"recording\""
else
	verify "$m" 0 "warning: meeting.json: run 1 says \"recording\""
fi
"$vpbot" export "$m" --stream s1 --wav "$tmp/crash.wav" || fail "export of the crashed folder"
same_pcm "$tmp/crash.wav" "$m" s1
# the rerun recovers the .tmp and appends s2: the folder checks out again
"$rtpgen" "$tmp/short" --seconds 3 >/dev/null || fail "rtpgen"
"$vpbot" replay "$tmp/short.pcap" --out "$tmp/out" --meeting long \
	--log-level err || fail "rerun"
verify "$m" 0 "OK, "
"$vpbot" export "$m" --stream s1 --wav "$tmp/rec.wav" || fail "export s1 after rerun"
same_pcm "$tmp/rec.wav" "$m" s1
"$vpbot" export "$m" --stream s2 --wav "$tmp/s2.wav" || fail "export s2 after rerun"
same_pcm "$tmp/s2.wav" "$m" s2
echo "crashed folder: .tmp ($ntmp) / unlisted ($nunlisted) named, export works, rerun recovers"
echo "PASS: export and verify"
