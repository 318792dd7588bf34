#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# speech_rfc6464.sh VPBOT SIMCONF — who spoke when from RFC 6464 audio
# levels (issue #12 item 3): simconf sends the ssrc-audio-level header
# extension in every packet (scenarios/speech_rfc6464.json, the consent
# scenario of speech.sh), so every speech.jsonl line must say "source":
# "rfc6464", its boundaries within 100 ms of simconf's send log, and the
# silent participant (level 127, V=0) gets no segment.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init speech6464 "$1" "$2"
fail() { echo "speech-rfc6464: FAIL: $*"; exit 1; }

gl_consent_run "$GL_SCN/speech_rfc6464.json" sl --meeting sl ||
	fail "vpbot exited $BOT_RC"
M=$TMP/out/sl
[ -s "$M/speech.jsonl" ] || fail "no speech.jsonl lines"
/usr/bin/python3 "$GL_HERE/speech_check.py" "$TMP" "$M" sl rfc6464 || fail "segments"
echo "PASS: speech segments from RFC 6464 levels"
