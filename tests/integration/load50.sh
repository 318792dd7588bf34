#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# load50.sh VPBOT SIMCONF — one simconf hosting 50 meetings (two tone
# speakers each, ended by the host at 8 s), 50 vpbot processes started
# together into one --out folder. Checks (gate_check.py load50): every bot
# exits 0, every meeting has 2 streams whose dominant frequencies are 440
# and 660 Hz, no io_overflow anywhere. Prints CPU seconds and peak RSS per
# bot (/usr/bin/time) as information. N=50 by default (env N to change).
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init load50 "$1" "$2"
N=${N:-50}

gl_simconf "$GL_SCN/load50.json" 170
pids=()
for k in $(seq "$N"); do
	(
		rc=0
		ip netns exec "$NS" /usr/bin/time -f "%e %U %S %M" \
			-o "$TMP/time.$k" timeout -k 5 90 "$VPBOT" join \
			"sim+ws://127.0.0.1:$PORT/load-50-$k" --out "$TMP/out" \
			--log-level warn >"$TMP/bot.$k.out" \
			2>"$TMP/bot.$k.err" || rc=$?
		echo "$rc" >"$TMP/rc.$k"
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
# the meetings no bot reached (N < 50) keep simconf waiting: stop it
[ "$N" -lt 50 ] && kill "$SC_PID" 2>/dev/null
gl_simconf_wait
t=$(tail -c 200 "$TMP/simconf.err" 2>/dev/null | tail -1)
[ -n "$t" ] && echo "simconf: $t"
gl_check load50 "$N" || { for f in "$TMP"/bot.*.err; do
	grep -H vpbot: "$f"; done | head -10; exit 1; }
