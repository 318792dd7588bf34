#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate_never_consents.sh VPBOT SIMCONF — consent enforced (company
# settings), bob is in the meeting from the start and never consents: the
# gate never opens, so vpbot exits 77, writes no chunk, and meeting.json and
# the events say why (consent_missing). Checks: gate_check.py never_consents.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init never_consents "$1" "$2"

gl_simconf "$GL_SCN/gate_never_consents.json" 40
gl_bot nc --settings "$GL_DATA/it_enforced.json" \
	--meeting-facts "$GL_DATA/it_facts.json"
gl_simconf_wait
gl_check never_consents "$BOT_RC" || { tail -5 "$TMP/bot.err"; exit 1; }
