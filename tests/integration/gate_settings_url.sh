#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate_settings_url.sh VPBOT SIMCONF — the company settings come from an
# https:// URL where nothing listens (127.0.0.1:1): fail closed. Checks
# (gate_check.py settings_url): exit 75 (temporary) within 5 s, meeting.json
# policy says deny with settings_missing and the load error, nothing
# recorded, simconf never saw the bot join, and the URL's token appears in
# no log or output file.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init settings_url "$1" "$2"
SECRET=sekrit-$$-token

gl_simconf "$GL_SCN/gate_settings_url.json" 30
t0=$(date +%s%N)
BOT_TIMEOUT=20 gl_bot su \
	--settings "https://127.0.0.1:1/settings.json?token=$SECRET" \
	--meeting-facts "$GL_DATA/it_facts.json"
t1=$(date +%s%N)
# the meeting was never joined: stop simconf (it would wait for a bot)
kill "$SC_PID" 2>/dev/null
gl_simconf_wait
ms=$(((t1 - t0) / 1000000))
elapsed=$((ms / 1000)).$(printf %03d $((ms % 1000)))
gl_check settings_url "$BOT_RC" "$elapsed" "$SECRET" ||
	{ tail -5 "$TMP/bot.err"; exit 1; }
