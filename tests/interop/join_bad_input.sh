#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_bad_input.sh  `vpbot join` with invites that cannot work: the exit
# code must tell a scheduler whether to retry (docs/design.md sections 4 and 7).
#
#   join_bad_input.sh VPBOT
#
# 1. bad URLs (unknown scheme, no room, bad port, plugin=nope) -> 64 within
#    1 s, a one-line error, and no network activity at all: run under
#    `strace -f -e trace=socket,connect`, no AF_INET/AF_INET6 socket may be
#    created.
# 2. Janus not running (netns without Janus) -> 75 within UNREACH_TO s.
# 3. unknown room 999999 -> 69 with a message that names the room problem,
#    within 15 s; and the bot leaves nothing recorded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
UNREACH_TO=${UNREACH_TO:-15}
jl_init bad "${1:-}" strace
netns_up "$NS" || jl_fail "cannot create netns $NS"

# run_bot TAG BUDGET INVITE: foreground run in the netns, sets RC, SECS
run_bot() {
	local t0
	t0=$(jl_now)
	JL_BOT_LOGS="$JL_BOT_LOGS $T/$1.log"
	timeout -s INT -k 5 "$2" ip netns exec "$NS" "$VPBOT" join "$3" \
		--out "$T/out-$1" --events "$T/$1.events" >"$T/$1.log" 2>&1
	RC=$?
	SECS=$(jl_since "$t0")
}

i=0
for url in 'zoom+ws://127.0.0.1:8188/1234' \
	'janus+ws://127.0.0.1:8188/' \
	'janus+ws://127.0.0.1:99999/1234' \
	'janus+ws://127.0.0.1:8188/1234?plugin=nope'; do
	i=$((i + 1))
	t0=$(jl_now)
	# LeakSanitizer cannot run under ptrace: off for a sanitized build
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout 10 ip netns exec "$NS" strace -f -qq -o "$T/strace$i" \
		-e trace=socket,connect "$VPBOT" join "$url" \
		--out "$T/out-u$i" >"$T/u$i.log" 2>&1
	rc=$?
	secs=$(jl_since "$t0")
	inet=$(grep -cE 'AF_INET6?[,}]' "$T/strace$i")
	echo "check: '$url' -> exit $rc (expect 64) in $secs s," \
		"$inet inet socket calls; says: $(head -c 200 "$T/u$i.log" | head -1)"
	[ "$rc" -eq 64 ] || { cat "$T/u$i.log"; jl_fail "'$url': exit $rc, expected 64"; }
	# strace itself costs a little; 1 s is "instant" for a parse error
	awk -v s="$secs" 'BEGIN{exit !(s<1.5)}' || jl_fail "'$url': took $secs s"
	[ "$inet" -eq 0 ] || { cat "$T/strace$i"; jl_fail "'$url': network activity"; }
	[ -s "$T/u$i.log" ] || jl_fail "'$url': no error message"
done

echo "== Janus not running"
run_bot down $((UNREACH_TO + 20)) 'janus+ws://127.0.0.1:8188/1234'
echo "check: unreachable -> exit $RC (expect 75) in $SECS s (<= $UNREACH_TO)"
[ "$RC" -eq 75 ] || jl_fail "unreachable: exit $RC, expected 75"
awk -v s="$SECS" -v m="$UNREACH_TO" 'BEGIN{exit !(s<=m)}' ||
	jl_fail "unreachable: took $SECS s"

jl_janus_up
echo "== unknown room 999999"
run_bot noroom 30 'janus+ws://127.0.0.1:8188/999999'
msg=$(grep -iE 'room' "$T/noroom.log" | grep -iE 'no such|not exist|unknown|999999' | head -1)
echo "check: unknown room -> exit $RC (expect 69) in $SECS s; says: $msg"
[ "$RC" -eq 69 ] || jl_fail "unknown room: exit $RC, expected 69"
[ -n "$msg" ] || { tail -20 "$T/noroom.log"; jl_fail "no message naming the room problem"; }
awk -v s="$SECS" 'BEGIN{exit !(s<=15)}' || jl_fail "unknown room: took $SECS s"
n=$(find "$T/out-noroom" -name '*.wav' 2>/dev/null | wc -l)
echo "check: nothing recorded for the unknown room: $n WAV files"
[ "$n" -eq 0 ] || jl_fail "WAV files written for a room that does not exist"

echo "== unknown room with the audiobridge plugin"
run_bot noroom-ab 30 'janus+ws://127.0.0.1:8188/999999?plugin=audiobridge'
echo "check: unknown audiobridge room -> exit $RC (expect 69) in $SECS s"
[ "$RC" -eq 69 ] || jl_fail "unknown audiobridge room: exit $RC, expected 69"

echo "PASS: join_bad_input"
exit 0
