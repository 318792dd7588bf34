#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate_lobby_and_end.sh VPBOT SIMCONF — a meeting with a lobby (the host
# admits the bot after 2 s) that the host ends at 8 s. Checks (gate_check.py
# lobby_end): the bot waited in the lobby, recorded nothing before being
# admitted, recorded both speakers (>= 0.9 correlation with their sources,
# first/last audible sample within 100 ms of what the send log says went
# out, contiguous chunks), left when the host ended the meeting, exit 0.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init lobby_and_end "$1" "$2"

gl_simconf "$GL_SCN/gate_lobby_and_end.json" 60
gl_bot le --settings "$GL_DATA/it_enforced.json" \
	--meeting-facts "$GL_DATA/it_facts.json"
gl_simconf_wait
gl_check lobby_end "$BOT_RC" || { tail -5 "$TMP/bot.err"; exit 1; }
