#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate_revoke.sh VPBOT SIMCONF — consent enforced; bob revokes his consent
# at 5 s while speaking and consents again at 9 s while speaking. Checks
# (gate_check.py revoke): the gate closes within one frame of the revoke
# reaching the bot (the bot's `consent` event) and reopens within one frame
# of the new consent; no recorded sample after the revoke + 20 ms until the
# reopening; bob's audio before the revoke and after the re-consent is on
# disk and matches his source (>= 0.9); nothing on disk was spoken between
# the revoke and the re-consent.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init revoke "$1" "$2"

gl_simconf "$GL_SCN/gate_revoke.json" 60
gl_bot rv --settings "$GL_DATA/it_enforced.json" \
	--meeting-facts "$GL_DATA/it_facts.json"
gl_simconf_wait
gl_check revoke "$BOT_RC" || { tail -5 "$TMP/bot.err"; exit 1; }
