#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate_never_record.sh VPBOT SIMCONF — alice and bob speak throughout;
# carol, a never-record member (settings members[].data_capture "never"),
# joins at 5 s, speaks, leaves at 10 s. Checks (gate_check.py never_record):
# the gate is closed exactly while carol is present (within 100 ms of
# simconf's join/leave); carol's stream has no chunk; no recorded chunk of
# any stream correlates with carol's source (< 0.2); alice's and bob's
# chunks correlate >= 0.9 with their own sources and hold nothing spoken
# while carol was present; no chunk reaches into the closed window.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init never_record "$1" "$2"

gl_simconf "$GL_SCN/gate_never_record.json" 60
gl_bot nr --settings "$GL_DATA/it_never_record.json" \
	--meeting-facts "$GL_DATA/it_facts.json"
gl_simconf_wait
gl_check never_record "$BOT_RC" || { tail -5 "$TMP/bot.err"; exit 1; }
