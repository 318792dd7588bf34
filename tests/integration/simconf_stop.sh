#!/usr/bin/env bash
# simconf_stop.sh SIMCONF — SIGTERM to simconf while a client is in a
# meeting: simconf closes the connection and exits 0, and nothing is used
# after it was freed (in the ASan build, any such use fails the run).
# Signaling only, on loopback: no network namespace is needed.
set -euo pipefail
SIMCONF=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SCN=$HERE/../../tools/simconf/scenarios/two_tones.json
TMP=$(mktemp -d /tmp/simconf-stop.XXXXXX)
SC_PID= CL_PID=
cleanup() {
	[ -n "$SC_PID" ] && kill -9 "$SC_PID" 2>/dev/null || true
	[ -n "$CL_PID" ] && kill -9 "$CL_PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

"$SIMCONF" "$SCN" --port 0 --port-file "$TMP/port" --log "$TMP/send.jsonl" \
	>"$TMP/simconf.out" 2>"$TMP/simconf.err" &
SC_PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "FAIL: simconf did not start"; cat "$TMP/simconf.err"; exit 1; }

# a client that joins m1, says so, then stays until the server closes
/usr/bin/python3 - "$(cat "$TMP/port")" "$TMP/joined" <<'PY' &
import asyncio, json, sys
import websockets

async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/") as ws:
        await ws.send(json.dumps({"type": "join", "meeting": "m1",
                                  "token": "", "name": "stop-test"}))
        while json.loads(await ws.recv()).get("type") != "joined":
            pass
        open(sys.argv[2], "w").write("joined\n")
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass

asyncio.run(asyncio.wait_for(main(), 60))
PY
CL_PID=$!
for _ in $(seq 300); do [ -s "$TMP/joined" ] && break; sleep 0.1; done
[ -s "$TMP/joined" ] || { echo "FAIL: the client never joined"; cat "$TMP/simconf.err"; exit 1; }

kill -TERM "$SC_PID"
rc=0
timeout 20 tail --pid="$SC_PID" -f /dev/null || { echo "FAIL: simconf still runs 20 s after SIGTERM"; exit 1; }
wait "$SC_PID" || rc=$?
SC_PID=
wait "$CL_PID" || { echo "FAIL: the client did not see the connection close"; exit 1; }
CL_PID=
if [ "$rc" != 0 ] || grep -qE "AddressSanitizer|runtime error" "$TMP/simconf.err"; then
	echo "FAIL: simconf exited $rc after SIGTERM with a client in a meeting"
	tail -30 "$TMP/simconf.err"
	exit 1
fi
echo "ok   SIGTERM with a client in m1: simconf closed it and exited 0"
