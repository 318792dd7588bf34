# SPDX-License-Identifier: MIT
# join_lib.sh  shared helpers for the live `vpbot join` tests
# (tests/interop/join_*.sh). Source it from bash with set -u.
#
#   jl_init TAG VPBOT [TOOL...]  check root + tools + binary, make $T (work
#                                dir) and $NS (netns vpi-jn-TAG-PID), trap
#                                cleanup; $VPBOT is then the binary
#   jl_fail MSG                  print FAIL, the bot/janus log tails, exit 1
#   jl_janus_up                  netns + Janus (configs from janus/*.in)
#   jl_signal KIND N DUR OUT     lib/signals.py (speech|tones, participant N)
#   jl_bot_start TAG BUDGET INVITE ARGS...
#                                vpbot join in the netns, in the background,
#                                --out $T/out --events $T/TAG.events; sets
#                                BOT_PID, BOT_T0; stdout/stderr in $T/TAG.log
#   jl_bot_wait TAG              wait for it; sets BOT_RC and BOT_SECS
#   jl_wait_event TAG EVENT SECS wait until the events file has EVENT
#   jl_pub_start TAG ARGS...     publish.py in the netns, in the background;
#                                its JSON line goes to $T/TAG.json
#   jl_pub_wait TAG              wait for it, fail unless it exited 0
#   jl_json FILE EXPR            python expression over the JSON object `d`
#                                read from FILE (or the last line of it)
#   jl_streams_of MDIR DISPLAY   stream ids of the participants shown as
#                                DISPLAY in MDIR/meeting.json, one per line
#   jl_compare OUTFILE ARGS...   compare.py ARGS, JSON result in OUTFILE,
#                                printed; returns compare.py's status
#
# Every step is bounded by `timeout`; the trap stops what the test started
# (background pids, Janus, then every process left in the netns).

JL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
. "$JL_HERE/lib/netns.sh"
. "$JL_HERE/lib/janus.sh"

JL_PIDS=
JL_BOT_LOGS=
T=
NS=
VPBOT=

jl_cleanup() {
	local p
	for p in $JL_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	janus_down
	netns_down "$NS"
	for p in $JL_PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$T" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	elif [ -n "$T" ]; then
		echo "kept $T"
	fi
}

jl_fail() {
	local f
	echo "FAIL: $*"
	for f in $JL_BOT_LOGS; do
		[ -f "$f" ] || continue
		echo "---- last 40 lines of vpbot log $(basename "$f") ----"
		tail -n 40 "$f"
	done
	janus_log_dump 30
	exit 1
}

jl_init() {
	local tag=$1 t
	VPBOT=${2:-${VPBOT:-}}
	shift 2
	[ "$(id -u)" -eq 0 ] || jl_fail "needs root (network namespaces)"
	for t in ip janus sox espeak-ng timeout jq "$@"; do
		command -v "$t" >/dev/null ||
			jl_fail "'$t' not installed (tools/install-deps)"
	done
	$PY -c 'import aiortc, websockets, numpy' 2>/dev/null ||
		jl_fail "$PY lacks aiortc/websockets/numpy"
	[ -n "$VPBOT" ] || jl_fail "usage: $0 VPBOT (or set \$VPBOT)"
	[ -x "$VPBOT" ] || jl_fail "vpbot binary '$VPBOT' not executable"
	VPBOT=$(cd "$(dirname "$VPBOT")" && pwd)/$(basename "$VPBOT")
	NS=vpi-jn-$tag-$$
	T=$(mktemp -d "/tmp/vpi-jn-$tag.XXXXXX")
	mkdir -p "$T/out"
	trap jl_cleanup EXIT
	trap 'exit 1' INT TERM
}

jl_janus_up() {
	netns_up "$NS" || jl_fail "cannot create netns $NS"
	janus_up "$NS" "$T/conf" "$T/rec" || jl_fail "Janus did not start"
}

jl_signal() {
	timeout 60 $PY "$JL_HERE/lib/signals.py" --kind "$1" --participant "$2" \
		--duration "$3" --out "$4" || jl_fail "signal generation failed"
}

# now in seconds as a decimal (bash 5 EPOCHREALTIME)
jl_now() { echo "$EPOCHREALTIME"; }
jl_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }

jl_bot_start() {
	local tag=$1 budget=$2 invite=$3
	shift 3
	JL_BOT_LOGS="$JL_BOT_LOGS $T/$tag.log"
	BOT_T0=$(jl_now)
	# timeout -> ip netns exec -> execs vpbot: the bot is a child of
	# timeout, so BOT_PID's exit status is the bot's (124 on overrun).
	timeout -s INT -k 5 "$budget" ip netns exec "$NS" "$VPBOT" join \
		"$invite" --out "$T/out" --events "$T/$tag.events" \
		--log-level debug "$@" >"$T/$tag.log" 2>&1 &
	BOT_PID=$!
	JL_PIDS="$JL_PIDS $BOT_PID"
}

jl_bot_wait() {
	wait "$BOT_PID"
	BOT_RC=$?
	BOT_SECS=$(jl_since "$BOT_T0")
	echo "vpbot ($1) exited $BOT_RC after $BOT_SECS s"
}

jl_wait_event() {
	local tag=$1 ev=$2 secs=$3 end
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		if [ -f "$T/$tag.events" ] &&
			jq -r .event "$T/$tag.events" 2>/dev/null | grep -qx "$ev"; then
			return 0
		fi
		kill -0 "$BOT_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

jl_pub_start() {
	local tag=$1 p
	shift
	timeout 120 ip netns exec "$NS" $PY "$JL_HERE/publish.py" \
		--url ws://127.0.0.1:8188 "$@" >"$T/$tag.json" 2>"$T/$tag.err" &
	p=$!
	JL_PIDS="$JL_PIDS $p"
	eval "JL_PUB_$tag=$p"
}

jl_pub_wait() {
	local tag=$1 p rc
	eval "p=\$JL_PUB_$tag"
	wait "$p"
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -v DeprecationWarning "$T/$tag.err" | tail -5
		jl_fail "publisher $tag exited $rc"
	fi
	echo "publisher $tag: $(cut -c1-160 "$T/$tag.json")"
}

jl_json() {
	$PY - "$1" "$2" <<'EOF'
import json, sys
txt = open(sys.argv[1]).read().strip()
try:
    d = json.loads(txt)
except json.JSONDecodeError:
    d = json.loads(txt.splitlines()[-1])
v = eval(sys.argv[2], {"d": d})
print(json.dumps(v) if isinstance(v, (dict, list)) else v)
EOF
}

jl_streams_of() {
	$PY - "$1/meeting.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d.get("participants", []):
    if p.get("display") == sys.argv[2] and p.get("stream"):
        print(p["stream"])
EOF
}

jl_compare() {
	local out=$1 rc
	shift
	timeout 120 $PY "$JL_HERE/compare.py" "$@" >"$out"
	rc=$?
	cut -c1-400 "$out"
	return $rc
}

# jl_trim IN OUT FIRST_SAMPLE [NSAMPLES]: a piece of a 48 kHz source WAV
jl_trim() {
	if [ -n "${4:-}" ]; then
		sox "$1" "$2" trim "${3}s" "${4}s" || jl_fail "sox trim failed"
	else
		sox "$1" "$2" trim "${3}s" || jl_fail "sox trim failed"
	fi
}

# jl_mixcheck OUT.json (--wav REC | --meeting-dir D --stream S) A.wav A.json
#             B.wav B.json SOLO_S
# An AudioBridge mix against its two sources (A starts first, B is the
# tones and ends last): A's first SOLO_S s and B's last SOLO_S s are heard
# alone, so each is located in the mix by
# cross-correlation (corr_a, corr_b, their timeline offsets); then A + B
# placed at those offsets must explain the whole mix where either is
# present (corr_sum); where both speak, a least-squares fit ga*A + gb*B
# (corr_both; gain_a_ratio, gain_b_ratio = those gains over the solo
# gains, ~1 when the mixer really adds both). offset_err_s = (B - A on the timeline) - (B - A by
# the publishers' send_start_utc_ns).
jl_mixcheck() {
	$PY - "$JL_HERE" "$@" <<'EOF'
import json, os, sys, wave
import numpy as np
here, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, here)
import compare
args = sys.argv[3:]
if args[0] == "--wav":
    rec, rate = compare.read_wav(args[1])
    start_s = 0.0
    args = args[2:]
else:
    mdir, sid = args[1], args[3]
    rows = compare.stream_rows(compare.load_manifest(mdir), sid)
    rec, summ, probs = compare.assemble(mdir, rows)
    if probs:
        sys.exit(f"mixcheck: stream {sid}: {probs[:3]}")
    rate = summ["rate"]
    start_s = summ["first_start_sample"] / rate
    args = args[4:]
a_wav, a_json, b_wav, b_json, solo = args[0], args[1], args[2], args[3], \
    float(args[4])
sa, sb = compare.resample(a_wav, rate), compare.resample(b_wav, rate)
n = int(solo * rate)
# B (tones) is the louder one: find its solo tail in the whole mix, then
# A's solo head only before B starts, so that the raw cross-correlation
# peak of A cannot land on B's louder part.
lb, cb, _ = compare.best_lag(rec, sb[-n:], n // 2)
lb -= sb.size - n   # where B's sample 0 falls in rec
la, ca, _ = compare.best_lag(rec[:max(lb, n)], sa[:n], n // 2)
exp = np.zeros(rec.size)
for src, lag in ((sa, la), (sb, lb)):
    r0, s0 = max(0, lag), max(0, -lag)
    m = max(0, min(rec.size - r0, src.size - s0))
    exp[r0:r0 + m] += src[s0:s0 + m]
lo = max(0, min(la, lb))
hi = min(rec.size, max(la + sa.size, lb + sb.size))
x, y = rec[lo:hi], exp[lo:hi]
den = np.sqrt(np.dot(x, x) * np.dot(y, y))
csum = float(np.dot(x, y) / den) if den > 0 else 0.0
# Where both speak, rec ~ ga*A + gb*B (least squares): each gain must be
# close to that source's gain in its solo part, or the mixer lost one.
def seg(src, lag, r0, r1):
    return src[r0 - lag:r1 - lag]
w0, w1 = max(la, lb, 0), min(la + sa.size, lb + sb.size, rec.size)
both = dict(both_s=max(0, w1 - w0) / rate)
if w1 - w0 >= rate:
    A, B, R = seg(sa, la, w0, w1), seg(sb, lb, w0, w1), rec[w0:w1]
    g, *_ = np.linalg.lstsq(np.stack([A, B], 1), R, rcond=None)
    fit = g[0] * A + g[1] * B
    both["corr_both"] = float(np.dot(R, fit) /
                              np.sqrt(np.dot(R, R) * np.dot(fit, fit)))
    def gain(src, lag, r0, r1):
        r0, r1 = max(r0, lag, 0), min(r1, lag + src.size, rec.size)
        s = seg(src, lag, r0, r1)
        return np.dot(rec[r0:r1], s) / np.dot(s, s)
    ga0 = gain(sa, la, la, la + n)
    gb0 = gain(sb, lb, lb + sb.size - n, lb + sb.size)
    both["gain_a_ratio"] = float(g[0] / ga0)
    both["gain_b_ratio"] = float(g[1] / gb0)
ta = json.loads(open(a_json).read().strip().splitlines()[-1])
tb = json.loads(open(b_json).read().strip().splitlines()[-1])
want = (tb["send_start_utc_ns"] - ta["send_start_utc_ns"]) / 1e9
got = (lb - la) / rate
res = dict(rate=rate, corr_a=ca, corr_b=cb, corr_sum=csum,
           a_start_s=start_s + la / rate, b_start_s=start_s + lb / rate,
           b_minus_a_s=got, send_b_minus_a_s=want,
           offset_err_s=got - want, mix_s=rec.size / rate, **both)
json.dump(res, open(out, "w"))
print(json.dumps(res))
EOF
}
