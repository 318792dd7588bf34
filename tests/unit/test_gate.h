/* SPDX-License-Identifier: MIT */
/**
 * @file test_gate.h  Helpers shared by the gate's unit tests (test_gate.c:
 * policy, parsing, loading; test_gate_live.c: the live gate). JSON in
 * these files is written with ' for " (see json()) to stay readable.
 */
#ifndef VP_TESTS_TEST_GATE_H
#define VP_TESTS_TEST_GATE_H

#include <string.h>

#include "src/core/mem.h"
#include "src/gate/gate.h"
#include "src/gate/policy.h"
#include "src/gate/settings.h"
#include "tests/harness/vtest.h"

/* ' -> " into a buffer */
static inline const char *json(const char *src, char *buf, size_t sz)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < sz; i++)
		buf[i] = src[i] == '\'' ? '"' : src[i];
	buf[i] = '\0';
	return buf;
}

static inline struct vp_settings *settings(const char *q)
{
	char buf[4096], err[256] = "";
	struct vp_settings *s = NULL;
	int e;

	json(q, buf, sizeof(buf));
	e = vp_settings_parse(&s, buf, strlen(buf), err, sizeof(err));
	if (e)
		vtest_fail(__FILE__, __LINE__, "settings %d: %s", e, err);
	return s;
}

static inline struct vp_meeting_facts *facts(const char *q)
{
	char buf[4096], err[256] = "";
	struct vp_meeting_facts *f = NULL;
	int e;

	json(q, buf, sizeof(buf));
	e = vp_meeting_facts_parse(&f, buf, strlen(buf), err, sizeof(err));
	if (e)
		vtest_fail(__FILE__, __LINE__, "facts %d: %s", e, err);
	return f;
}

/* Settings S(...) and facts F(...), written with ' for " */
#define S(rint, rext, members, extra)                                          \
	"{'company_domains': ['example.com'], 'record_internal': " rint        \
	", 'record_external': " rext ", 'recorded_members': " members          \
	", 'consent': {'mode': 'enforced'}" extra "}"
#define S_ALL S("true", "true", "'all'", "")
#define S_EXCL                                                                 \
	S("true", "true", "'all'",                                             \
	  ", 'exclude': {'domains': ['lawfirm.test'], 'addresses': "           \
	  "['ceo@partner.test'], 'title_words': ['confidential', "             \
	  "'HR review', '1:1']}")
#define S_LIST                                                                 \
	S("true", "true", "['alice@example.com']",                             \
	  ", 'members': [{'address': 'dave@example.com', 'data_capture': "     \
	  "'always'}, {'address': 'carol@example.com', 'data_capture': "       \
	  "'never'}]")
#define F(org, inv, title, priv, manual, url)                                  \
	"{'organizer': " org ", 'invitees': " inv ", 'title': " title          \
	", 'private': " priv ", 'manual_invite': " manual                      \
	", 'conference_url': " url "}"
#define URL	 "'https://meet.example.com/x'"
#define INTERNAL "['bob@example.com']"
#define EXTERNAL "['erin@customer.test']"
#define ALICE	 "'alice@example.com'"

#endif
