#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench_live.sh  live benchmark: vpbot join vs an aiortc recorder, same
# Janus room, same time (not a test: it prints figures, exits 0 if both
# recorded every stream).
#
#   tools/bench_live.sh BUILD          (BUILD/src/vpbot; needs root)
#   N=3 DUR=30 tools/bench_live.sh BUILD
#
# In one netns: Janus, N aiortc publishers (speech/tones alternating, each
# sending DUR + 15 s), then, once they all publish, `vpbot join --duration
# DUR` and tests/interop/sub_aiortc.py --duration DUR start together and
# record videoroom 1234. Each runs under /usr/bin/time (rusage of exactly
# that process: user+sys CPU seconds and max RSS = peak VmHWM). Printed:
# a table, then machine-readable lines
#   BENCH live vpbot_cpu_s=… aiortc_cpu_s=… cpu_ratio=… (vpbot/aiortc)
#   BENCH live vpbot_rss_kb=… aiortc_rss_kb=… rss_ratio=…
#   BENCH live vpbot_cpu_s_per_stream=… aiortc_cpu_s_per_stream=…
#   BENCH live vpbot_join_to_first_audio_ms=… aiortc_join_to_first_audio_ms=…
# Goal (issue #3): vpbot <= 1/15 of aiortc in CPU and RSS.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IT=$ROOT/tests/interop
PY=/usr/bin/python3
BUILD=${1:-}
N=${N:-3}
DUR=${DUR:-30}
NS=vpi-bench-$$

die() { echo "bench_live.sh: $*" >&2; exit 1; }
[ -n "$BUILD" ] || die "usage: $0 BUILD-DIR"
VPBOT=$(cd "$BUILD" && pwd)/src/vpbot
[ -x "$VPBOT" ] || die "$VPBOT not built"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for t in ip janus sox espeak-ng jq /usr/bin/time; do
	command -v "$t" >/dev/null || die "'$t' not installed"
done

. "$IT/lib/netns.sh"
. "$IT/lib/janus.sh"
T=$(mktemp -d /tmp/vpi-bench.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	janus_down
	netns_down "$NS"
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ "${KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

netns_up "$NS" || die "netns"
janus_up "$NS" "$T/conf" "$T/rec" || die "Janus did not start"
for i in $(seq 0 $((N - 1))); do
	kind=speech
	[ $((i % 2)) -eq 1 ] && kind=tones
	timeout 60 $PY "$IT/lib/signals.py" --kind $kind --participant "$i" \
		--duration 20 --out "$T/s$i.wav" || die "signals"
	timeout $((DUR + 90)) ip netns exec "$NS" $PY "$IT/publish.py" \
		--plugin videoroom --room 1234 --display "pub$i" \
		--wav "$T/s$i.wav" --duration $((DUR + 15)) \
		>"$T/pub$i.json" 2>"$T/pub$i.err" &
	PIDS="$PIDS $!"
done
sleep 4 # every publisher joined and sent its offer

FMT='%e %U %S %M'
ip netns exec "$NS" /usr/bin/time -o "$T/vpbot.time" -f "$FMT" "$VPBOT" \
	join "janus+ws://127.0.0.1:8188/1234" --out "$T/out" --meeting m \
	--duration "$DUR" --events "$T/vpbot.events" >"$T/vpbot.log" 2>&1 &
VP=$!
ip netns exec "$NS" /usr/bin/time -o "$T/aiortc.time" -f "$FMT" $PY \
	"$IT/sub_aiortc.py" --room 1234 --out "$T/sub" --duration "$DUR" \
	>"$T/aiortc.json" 2>"$T/aiortc.err" &
AI=$!
PIDS="$PIDS $VP $AI"
# /usr/bin/time ignores SIGINT: the watchdog signals its child
( sleep $((DUR + 60))
  for p in $VP $AI; do
	kill -INT $(cat /proc/$p/task/$p/children 2>/dev/null) 2>/dev/null
  done ) &
WD=$!
wait $VP
VRC=$?
wait $AI
ARC=$?
kill $WD 2>/dev/null
wait $WD 2>/dev/null
[ $VRC -eq 0 ] || { tail -30 "$T/vpbot.log"; echo "vpbot exited $VRC"; }
[ $ARC -eq 0 ] || { tail -10 "$T/aiortc.err"; echo "sub_aiortc exited $ARC"; }

read -r _ vu vs vm <"$T/vpbot.time" 2>/dev/null || vu=nan
read -r _ au as am <"$T/aiortc.time" 2>/dev/null || au=nan
v_streams=$($PY -c "import json; d=json.load(open('$T/out/m/meeting.json'))
print(sum(1 for s in d['streams'] if s['samples'] > 0))" 2>/dev/null || echo 0)
a_streams=$(jq '[.streams[] | select(.samples > 0)] | length' \
	"$T/aiortc.json" 2>/dev/null || echo 0)
v_first=$(jq -r '.join_to_first_audio_ms // empty' "$T/out/m/meeting.json" \
	2>/dev/null)
if [ -z "$v_first" ] && [ -f "$T/vpbot.events" ]; then
	v_first=$($PY - "$T/vpbot.events" <<'EOF'
import json, sys
from datetime import datetime
ts = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    ts.setdefault(e["event"], datetime.fromisoformat(e["ts"].replace("Z", "+00:00")))
if "joining" in ts and "stream_started" in ts:
    print(round((ts["stream_started"] - ts["joining"]).total_seconds() * 1000, 1))
EOF
)
fi
a_first=$(jq -r '.join_to_first_audio_ms // empty' "$T/aiortc.json" 2>/dev/null)
v_secs=$($PY -c "import json; d=json.load(open('$T/out/m/meeting.json'))
print(' '.join('%.1f' % (s['samples'] / 48000) for s in d['streams']))" 2>/dev/null)
a_secs=$(jq -r '[.streams[] | .samples / 48000 | . * 10 | floor / 10] | map(tostring) | join(" ")' \
	"$T/aiortc.json" 2>/dev/null)

awk -v vu="$vu" -v vs="$vs" -v vm="$vm" -v au="$au" -v as="$as" -v am="$am" \
	-v vn="$v_streams" -v an="$a_streams" -v vf="${v_first:-nan}" \
	-v af="${a_first:-nan}" -v n="$N" -v dur="$DUR" \
	-v vsec="$v_secs" -v asec="$a_secs" 'BEGIN{
	vc = vu + vs; ac = au + as
	cr = ac > 0 ? vc / ac : -1; rr = am > 0 ? vm / am : -1
	printf "live benchmark: %d publishers, %d s recording, Janus videoroom\n", n, dur
	printf "%-26s %12s %12s %10s\n", "", "vpbot", "aiortc", "ratio"
	printf "%-26s %12.2f %12.2f %10.4f\n", "CPU s (user+sys)", vc, ac, cr
	printf "%-26s %12d %12d %10.4f\n", "peak RSS kB", vm, am, rr
	printf "%-26s %12.3f %12.3f\n", "CPU s per stream", vn ? vc/vn : -1, an ? ac/an : -1
	printf "%-26s %12d %12d\n", "streams with audio", vn, an
	printf "%-26s %12s %12s\n", "join -> first audio ms", vf, af
	printf "stream seconds: vpbot [%s] aiortc [%s]\n", vsec, asec
	printf "goal (<= 1/15 = 0.0667): cpu %s, rss %s\n", \
		(cr >= 0 && cr <= 1/15) ? "met" : "NOT met", \
		(rr >= 0 && rr <= 1/15) ? "met" : "NOT met"
	printf "BENCH live vpbot_cpu_s=%.3f aiortc_cpu_s=%.3f cpu_ratio=%.4f\n", vc, ac, cr
	printf "BENCH live vpbot_rss_kb=%d aiortc_rss_kb=%d rss_ratio=%.4f\n", vm, am, rr
	printf "BENCH live vpbot_cpu_s_per_stream=%.4f aiortc_cpu_s_per_stream=%.4f\n", \
		vn ? vc/vn : -1, an ? ac/an : -1
	printf "BENCH live vpbot_streams=%d aiortc_streams=%d publishers=%d duration_s=%d\n", vn, an, n, dur
	printf "BENCH live vpbot_join_to_first_audio_ms=%s aiortc_join_to_first_audio_ms=%s\n", vf, af
}'
[ "$v_streams" -eq "$N" ] && [ "$a_streams" -eq "$N" ] && [ $VRC -eq 0 ] &&
	[ $ARC -eq 0 ]
