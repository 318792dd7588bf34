#!/usr/bin/env bash
# cli_secret.sh VPBOT SIMCONF — issue 10 item 8: an invite's token never
# shows in the process list. The bot is started the ways README documents
# (--invite-file - fed on stdin, and $VPBOT_INVITE) against a simconf
# meeting that requires a token; while it runs, /proc/PID/cmdline must not
# hold the token, and the bot must still join (simconf accepted the token)
# and record. A wrong token given the same way is refused (69), so the
# token really travelled through the file and the variable.
# Runs in its own network namespace (root). KEEP=1 keeps the work folder.
set -u
VPBOT=$(realpath "${1:?usage: cli_secret.sh VPBOT SIMCONF}")
SIMCONF=$(realpath "${2:?usage: cli_secret.sh VPBOT SIMCONF}")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../interop/lib/netns.sh"
NS=vp-secret-$$
T=$(mktemp -d /tmp/vp-secret.$$.XXXXXX)
SC_PID=
FAILS=0
TOK_FILE=tokF-$$-$RANDOM-q7
TOK_ENV=tokE-$$-$RANDOM-z3

cleanup() {
	[ -n "$SC_PID" ] && kill -TERM "$SC_PID" 2>/dev/null && wait "$SC_PID"
	netns_down "$NS"
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
if [ "$(id -u)" != 0 ]; then
	echo "cli_secret: FAIL: needs root for a network namespace"
	exit 1
fi
trap cleanup EXIT
trap 'exit 1' INT TERM
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

sed -e "s/TOKEN-FILE-PLACEHOLDER/$TOK_FILE/" -e "s/TOKEN-ENV-PLACEHOLDER/$TOK_ENV/" \
	"$HERE/scenarios/secret_invite.json" >"$T/scenario.json"
netns_up "$NS" || { echo "FAIL: netns_up $NS"; exit 1; }
ip netns exec "$NS" "$SIMCONF" "$T/scenario.json" --port 0 \
	--port-file "$T/port" --log "$T/send.jsonl" --media-addr 127.0.0.2 \
	>"$T/simconf.out" 2>"$T/simconf.err" &
SC_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/simconf.err"; echo "FAIL: simconf did not start"; exit 1; }
URL=sim+ws://127.0.0.1:$(cat "$T/port")

# watch PID TOKEN TAG (in the background, one per bot): once PID is vpbot
# itself (comm), its /proc/PID/cmdline and its ps line must not hold TOKEN, for a
# few looks while it runs. The verdict goes to $T/TAG.watch.
watch() {
	local pid=$1 tok=$2 tag=$3 seen=0
	for _ in $(seq 600); do
		[ -e "/proc/$pid" ] || break
		# ip netns exec execs vpbot in place; its exe path may read
		# differently in another mount namespace, its name does not
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = vpbot ]; then
			tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/$tag.cmdline" 2>/dev/null
			ps -o args= -p "$pid" >>"$T/$tag.cmdline" 2>/dev/null
			seen=$((seen + 1))
			if grep -q -- "$tok" "$T/$tag.cmdline"; then
				echo "$tag: the token is in the process list: $(cat "$T/$tag.cmdline")" >"$T/$tag.watch"
				return
			fi
			[ "$seen" -ge 5 ] && break
		fi
		sleep 0.1
	done
	if [ "$seen" -ge 1 ]; then echo ok >"$T/$tag.watch"
	else echo "$tag: never saw the vpbot process" >"$T/$tag.watch"; fi
}

# the file way: the invite on stdin (--invite-file -)
echo "$URL/viafile?token=$TOK_FILE&name=secret-test" |
	ip netns exec "$NS" "$VPBOT" join --invite-file - --out "$T/out" \
	--duration 30 --log-level debug >"$T/file.log" 2>&1 &
PID_FILE=$!
# the environment way
VPBOT_INVITE="$URL/viaenv?token=$TOK_ENV" ip netns exec "$NS" "$VPBOT" \
	join --out "$T/out" --duration 30 --log-level debug >"$T/env.log" 2>&1 &
PID_ENV=$!
# a wrong token through a file: refused, so the token is what gets us in
echo "$URL/wrong?token=wrong-$$" >"$T/wrong.invite"
chmod 600 "$T/wrong.invite"
ip netns exec "$NS" "$VPBOT" join --invite-file "$T/wrong.invite" \
	--out "$T/out-wrong" --duration 15 >"$T/wrong.log" 2>&1 &
PID_WRONG=$!
watch "$PID_FILE" "$TOK_FILE" file &
W1=$!
watch "$PID_ENV" "$TOK_ENV" env &
W2=$!
wait "$W1" "$W2"
for tag in file env; do
	[ "$(cat "$T/$tag.watch")" = ok ] || bad "$(cat "$T/$tag.watch")"
done
wait "$PID_FILE"; RC_FILE=$?
wait "$PID_ENV"; RC_ENV=$?
wait "$PID_WRONG"; RC_WRONG=$?
echo "== exits: file $RC_FILE, env $RC_ENV, wrong token $RC_WRONG"

[ "$RC_FILE" = 0 ] || bad "--invite-file -: exit $RC_FILE ($(grep -m1 '^vpbot:' "$T/file.log"))"
[ "$RC_ENV" = 0 ] || bad "VPBOT_INVITE: exit $RC_ENV ($(grep -m1 '^vpbot:' "$T/env.log"))"
[ "$RC_WRONG" = 69 ] || bad "wrong token: exit $RC_WRONG, expected 69"
grep -q 'bad_token' "$T/wrong.log" || bad "wrong token: no bad_token in its log"
for m in viafile viaenv; do
	# the default folder names the server: sim-HOST_PORT_ROOM (README)
	D="$T/out/sim-127.0.0.1_$(cat "$T/port")_$m"
	jq -e '.status.state == "finished"' "$D/meeting.json" >/dev/null ||
		bad "$m: meeting.json status $(jq -c .status "$D/meeting.json" 2>&1)"
	[ "$(jq -s 'map(.samples) | add // 0' "$D/manifest.jsonl" 2>/dev/null)" -gt 48000 ] ||
		bad "$m: less than 1 s recorded"
done
# and the token is nowhere on disk or in a log
if grep -rl -e "$TOK_FILE" -e "$TOK_ENV" "$T/out" "$T"/*.log 2>/dev/null; then
	bad "a token was written to a file or log"
fi
if [ "$FAILS" -eq 0 ]; then
	echo "cli_secret: ok"
	exit 0
fi
echo "cli_secret: $FAILS check(s) failed"
exit 1
