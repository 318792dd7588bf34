#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_audiobridge.sh  live `vpbot join` into AudioBridge room 2468
# (?plugin=audiobridge): the bot records the one mix Janus sends it.
#
#   join_audiobridge.sh VPBOT
#
# vpbot joins first; A (speech) sends 10 s from t=0, B (tones) 10 s from
# t=5: A alone, both, B alone. Checks (jl_mixcheck in join_lib.sh): exit 0;
# exactly one stream; A's solo head and B's solo tail are found in it
# (corr >= MIN_SOLO); where both speak the mix is their sum: a least-squares
# fit ga*A + gb*B has corr >= MIN_BOTH and each gain within GAIN_LO..GAIN_HI
# of that source's solo gain (a mixer that drops or halves one fails); B
# lands after A by the publishers' send-time difference +- OFFSET_TOL s.
# Thresholds, measured: Janus's own mix recording (record=true, before
# Janus's Opus encoder) gives solo 0.970 / 0.997, both 0.993; what a
# subscriber receives went through one more Opus pass, and an independent
# receiver (sub_aiortc.py --plugin audiobridge) measured solo A 0.893 (once
# 0.63: aiortc's start), B 0.959, both 0.977, gain ratios 1.01 / 1.05,
# offset error 0.02-0.05 s; vpbot measured 0.892 / 0.959 / 0.977, 0.99 /
# 1.05, 0.009 s. A wrong or missing source correlates ~0.05.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
MIN_SOLO=${MIN_SOLO:-0.8}
MIN_BOTH=${MIN_BOTH:-0.9}
GAIN_LO=${GAIN_LO:-0.8}
GAIN_HI=${GAIN_HI:-1.25}
OFFSET_TOL=${OFFSET_TOL:-0.15}
jl_init ab "${1:-}"

jl_signal speech 0 10 "$T/a.wav"
jl_signal tones 1 10 "$T/b.wav"
jl_janus_up

echo "== vpbot joins audiobridge 2468 first"
jl_bot_start bot 60 "janus+ws://127.0.0.1:8188/2468?plugin=audiobridge" \
	--meeting m --duration 20
jl_wait_event bot joined 15 || jl_fail "vpbot did not emit 'joined' in 15 s"

echo "== A: speech 10 s now; B: tones 10 s after 5 s"
jl_pub_start A --plugin audiobridge --room 2468 --display alice \
	--wav "$T/a.wav" --duration 10
jl_pub_start B --plugin audiobridge --room 2468 --display bob \
	--wav "$T/b.wav" --duration 10 --start-delay 5
jl_pub_wait A
jl_pub_wait B
jl_bot_wait bot
[ "$BOT_RC" -eq 0 ] || jl_fail "vpbot exit $BOT_RC, expected 0"
echo "check: exit 0 - ok"

M=$T/out/m
timeout 60 $PY "$HERE/compare.py" --list --meeting-dir "$M" >"$T/list" ||
	{ cat "$T/list"; jl_fail "manifest/chunks inconsistent"; }
n=$(jl_json "$T/list" 'len(d["streams"])')
S=$(jl_json "$T/list" 'd["streams"][0]["stream"]')
echo "check: one stream (the mix): $n, id '$S'"
[ "$n" -eq 1 ] || { cat "$T/list"; jl_fail "expected 1 stream, found $n"; }

echo "check: solo parts, sum where both speak, B's offset"
jl_mixcheck "$T/mix.json" --meeting-dir "$M" --stream "$S" \
	"$T/a.wav" "$T/A.json" "$T/b.wav" "$T/B.json" 4 ||
	jl_fail "mix check could not run"
$PY - "$T/mix.json" "$MIN_SOLO" "$MIN_BOTH" "$GAIN_LO" "$GAIN_HI" \
	"$OFFSET_TOL" <<'EOF' || jl_fail "the mix is not A + B"
import json, sys
d = json.load(open(sys.argv[1]))
solo, both, glo, ghi, tol = map(float, sys.argv[2:])
bad = []
def chk(ok, what):
    print(f"check: {what} - {'ok' if ok else 'FAILED'}")
    if not ok:
        bad.append(what)
chk(d["corr_a"] >= solo, f"A alone corr {d['corr_a']:.3f} >= {solo}")
chk(d["corr_b"] >= solo, f"B alone corr {d['corr_b']:.3f} >= {solo}")
chk(d.get("corr_both", 0) >= both,
    f"A+B fit corr {d.get('corr_both', 0):.3f} >= {both} "
    f"over {d['both_s']:.2f} s")
for k in ("gain_a_ratio", "gain_b_ratio"):
    g = d.get(k, 0)
    chk(glo <= g <= ghi, f"{k} {g:.3f} in {glo}..{ghi}")
chk(abs(d["offset_err_s"]) <= tol,
    f"B after A {d['b_minus_a_s']:.3f} s vs send "
    f"{d['send_b_minus_a_s']:.3f} s (+- {tol})")
sys.exit(1 if bad else 0)
EOF

echo "PASS: join_audiobridge"
exit 0
