#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# chromium_publish.sh  publish a WAV from headless Chromium into a Janus
# VideoRoom, inside a test netns.
#
#   chromium_publish.sh NS WAV DURATION [ROOM] [DISPLAY]
#
# Serves index.html + publish.js + janus.js + adapter.js (Debian's
# libjs-janus-gateway and libjs-webrtc-adapter) with `python3 -m http.server`
# on 127.0.0.1 inside NS, and points Chromium's fake microphone at WAV
# (looped by Chromium; the page turns echo cancellation, noise suppression
# and AGC off). The page publishes for DURATION seconds after webrtcup, then
# unpublishes and leaves. Prints one JSON line like publish.py:
#   {"display":…, "send_start_utc_ns":…, "send_end_utc_ns":…}
# Exit 0 on success, 1 on failure (Chromium log tail on stderr). Bounded by
# DURATION + 40 s; everything it started is stopped on exit.
set -u
NS=$1 WAV=$2 DUR=$3 ROOM=${4:-4321} DISPLAY_NAME=${5:-chromium}
HERE=$(cd "$(dirname "$0")" && pwd)
JANUS_JS=/usr/share/javascript/janus-gateway/janus.js
ADAPTER_JS=/usr/share/javascript/webrtc-adapter/adapter.js
PORT=${PORT:-8765}

die() { echo "chromium_publish.sh: $*" >&2; exit 1; }
CHROME=$(command -v chromium || command -v chromium-browser) ||
	die "chromium not installed (apt-get install chromium)"
[ -f "$JANUS_JS" ] || die "$JANUS_JS missing (apt-get install libjs-janus-gateway)"
[ -f "$ADAPTER_JS" ] || die "$ADAPTER_JS missing (apt-get install libjs-webrtc-adapter)"
[ -f "$WAV" ] || die "no such WAV: $WAV"

W=$(mktemp -d /tmp/vpi-chromium.XXXXXX)
SRV= CHR=
cleanup() {
	for p in $CHR $SRV; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $CHR $SRV; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/www" "$W/profile"
cp "$HERE/index.html" "$HERE/publish.js" "$JANUS_JS" "$ADAPTER_JS" "$W/www/"
cp "$WAV" "$W/src.wav"

ip netns exec "$NS" /usr/bin/python3 -m http.server "$PORT" \
	--bind 127.0.0.1 --directory "$W/www" >"$W/http.log" 2>&1 &
SRV=$!
for _ in $(seq 50); do
	ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" \
		2>/dev/null && break
	sleep 0.1
done

URL="http://127.0.0.1:$PORT/index.html?room=$ROOM&display=$DISPLAY_NAME&dur=$DUR"
ip netns exec "$NS" "$CHROME" --headless=new --no-sandbox --disable-gpu \
	--disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync \
	--user-data-dir="$W/profile" --allow-loopback-in-peer-connection \
	--use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
	--use-file-for-fake-audio-capture="$W/src.wav" \
	--autoplay-policy=no-user-gesture-required \
	--enable-logging=stderr --v=0 "$URL" >"$W/chromium.log" 2>&1 &
CHR=$!

deadline=$((SECONDS + ${DUR%.*} + 40))
while [ $SECONDS -lt $deadline ]; do
	grep -qE 'VPI-(DONE|ERROR)' "$W/chromium.log" && break
	kill -0 "$CHR" 2>/dev/null || break
	sleep 0.2
done
vpi() { grep -o "VPI-$1[^\"]*" "$W/chromium.log" | head -1 | cut -d' ' -f2; }
if ! grep -q 'VPI-DONE' "$W/chromium.log"; then
	echo "chromium_publish.sh: no clean finish; chromium log tail:" >&2
	grep -v 'dbus\|Fontconfig' "$W/chromium.log" | tail -30 >&2
	exit 1
fi
printf '{"display": "%s", "send_start_utc_ns": %s, "send_end_utc_ns": %s}\n' \
	"$DISPLAY_NAME" "$(vpi START)" "$(vpi END)"
exit 0
