#!/bin/bash
# SPDX-License-Identifier: MIT
# Interop: protocols/sig against Debian's Janus 1.1.2 + an aiortc publisher,
# on loopback inside the netns vpt-sig-PID (docs/janus.md §2, §3).
# Usage: tests/interop/sig_janus.sh BUILD_DIR     (needs root for ip netns)
# Checks: (1) join, publisher seen, offer names it, answer -> started,
# publisher stops -> participant_left + renegotiation, clean leave;
# (2) wrong room -> permanent error; (3) Janus killed -> transient error.
set -u
BUILD=${1:-build}
PROBE=$(realpath "$BUILD")/protocols/sig/sig_janus_probe
HERE=$(cd "$(dirname "$0")" && pwd)
NS=vpt-sig-$$
TMP=$(mktemp -d /tmp/vpt-sig.XXXXXX)
JPID= PPID_PUB= FAIL=0
URL=janus+ws://127.0.0.1:8188

cleanup() {
	[ -n "$PPID_PUB" ] && kill "$PPID_PUB" 2>/dev/null
	[ -n "$JPID" ] && kill -INT "$JPID" 2>/dev/null && sleep 1 &&
		kill -KILL "$JPID" 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

[ -x "$PROBE" ] || { echo "no probe at $PROBE (ninja -C $BUILD protocols/sig/sig_janus_probe)"; exit 1; }
[ -x /usr/bin/janus ] || { echo "janus not installed"; exit 1; }

ip netns del $NS 2>/dev/null
ip netns add $NS || exit 1
ip -n $NS link set lo up
ip -n $NS link add va type veth peer name vb
ip netns exec $NS sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n $NS addr add 127.0.0.2/32 dev va
ip -n $NS link set va up
ip -n $NS link set vb up

mkdir -p "$TMP/conf" "$TMP/rec"
cat > "$TMP/conf/janus.jcfg" <<EOC
general: { configs_folder = "$TMP/conf", debug_level = 4, debug_timestamps = true,
  debug_colors = false, session_timeout = 60 }
certificates: { }
media: { ipv6 = false, rtp_port_range = "20000-20999" }
nat: { ice_enforce_list = "127.0.0.2", full_trickle = false, ignore_mdns = true }
plugins: { disable = "libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_lua.so,libjanus_duktape.so" }
transports: { disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so" }
loggers: { disable = "libjanus_jsonlog.so" }
events: { broadcast = false }
EOC
cat > "$TMP/conf/janus.transport.websockets.jcfg" <<EOC
general: { json = "compact", ws = true, ws_ip = "127.0.0.1", ws_port = 8188, wss = false }
admin: { admin_ws = false, admin_wss = false }
EOC
cat > "$TMP/conf/janus.transport.http.jcfg" <<EOC
general: { json = "compact", base_path = "/janus", http = true, ip = "127.0.0.1", port = 8088, https = false }
admin: { admin_http = false, admin_https = false }
EOC
cat > "$TMP/conf/janus.plugin.videoroom.jcfg" <<EOC
room-1234: { description = "bot test room", publishers = 6, audiocodec = "opus", record = false }
EOC
cat > "$TMP/conf/janus.plugin.audiobridge.jcfg" <<EOC
room-2468: { description = "bot mix room", sampling_rate = 48000, record = false }
EOC

start_janus() {
	ip netns exec $NS /usr/bin/janus -F "$TMP/conf" -o \
		>"$TMP/janus.log" 2>&1 &
	JPID=$!
	for _ in $(seq 50); do
		ip netns exec $NS bash -c 'exec 3<>/dev/tcp/127.0.0.1/8188' 2>/dev/null && return 0
		sleep 0.1
	done
	echo "janus did not start"; tail -20 "$TMP/janus.log"; return 1
}

stop_janus() {
	[ -n "$JPID" ] || return
	kill -INT "$JPID" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$JPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null; JPID=
}

check() { # name, result
	if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAILED: $1"; FAIL=1; fi
}

start_janus || exit 1

# (1) full flow
ip netns exec $NS timeout 60 /usr/bin/python3 "$HERE/janus_publish.py" \
	--room 1234 >"$TMP/pub.log" 2>&1 &
PPID_PUB=$!
ip netns exec $NS timeout 40 "$PROBE" full "$URL/1234" >"$TMP/full.out" 2>"$TMP/full.err" &
PROBE_PID=$!
for _ in $(seq 300); do grep -q '^READY' "$TMP/full.out" && break; sleep 0.1; done
# the publisher goes only once Janus confirmed the subscriber's "start"
# (an event, not a delay; 20 s only catch a hang)
for _ in $(seq 200); do
	grep -q "subscriber started" "$TMP/full.err" && break
	sleep 0.1
done
kill "$PPID_PUB" 2>/dev/null; wait "$PPID_PUB" 2>/dev/null; PPID_PUB=
wait $PROBE_PID; rc=$?
cat "$TMP/full.out"
grep -q "subscriber started" "$TMP/full.err"; started=$?
[ $started = 0 ] || echo "(no 'started' from Janus)"
[ $rc = 0 ] && [ $started = 0 ]; check "join/offer/answer/started/left/renegotiate/leave" $?

# (2) wrong room -> permanent
ip netns exec $NS timeout 20 "$PROBE" permanent "$URL/9999" >"$TMP/perm.out" 2>"$TMP/perm.err"
rc=$?; cat "$TMP/perm.out"; check "wrong room is a permanent error" $rc

# (3) Janus killed -> transient within a few seconds
ip netns exec $NS timeout 20 "$PROBE" transient "$URL/1234" >"$TMP/tr.out" 2>"$TMP/tr.err" &
PROBE_PID=$!
for _ in $(seq 100); do grep -q '^JOINED' "$TMP/tr.out" && break; sleep 0.1; done
t0=$(date +%s.%N)
kill -KILL "$JPID"; wait "$JPID" 2>/dev/null; JPID=
wait $PROBE_PID; rc=$?
dt=$(echo "$(date +%s.%N) - $t0" | bc)
cat "$TMP/tr.out"; echo "transient error after ${dt}s"
[ $rc = 0 ] && [ "$(echo "$dt < 5" | bc)" = 1 ]; check "janus killed is a transient error within 5 s" $?

if [ $FAIL != 0 ]; then
	echo "--- probe stderr (full) ---"; tail -40 "$TMP/full.err"
	echo "--- publisher ---"; tail -20 "$TMP/pub.log"
	echo "--- janus ---"; tail -30 "$TMP/janus.log"
fi
stop_janus
exit $FAIL
