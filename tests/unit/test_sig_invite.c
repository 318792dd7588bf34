/* SPDX-License-Identifier: MIT */
/** @file test_sig_invite.c  protocols/sig/invite: good and bad invite
 *  URLs, and secrets that never reach an error message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/sig/invite.h"
#include "tests/harness/vtest.h"

/* --- invite --- */

VTEST(sig_invite_good)
{
	struct vp_invite inv;
	char err[128];

	VT_EQ(0, vp_invite_parse(&inv,
				 "janus+ws://127.0.0.1:8188/"
				 "1234?pin=s3cr%65t&name=Rec%20Bot",
				 err, sizeof(err)));
	VT_EQ(VP_INVITE_JANUS, inv.dialect);
	VT_EQ(VP_INVITE_VIDEOROOM, inv.plugin);
	VT_TRUE(!inv.tls);
	VT_STR_EQ("127.0.0.1", inv.host);
	VT_EQ(8188, inv.port);
	VT_STR_EQ("1234", inv.room);
	VT_STR_EQ("s3cret", inv.pin);
	VT_STR_EQ("Rec Bot", inv.name);

	VT_EQ(0,
	      vp_invite_parse(&inv, "janus+wss://[::1]/2468?plugin=audiobridge",
			      err, sizeof(err)));
	VT_TRUE(inv.tls && inv.host_v6);
	VT_STR_EQ("::1", inv.host);
	VT_EQ(443, inv.port);
	VT_EQ(VP_INVITE_AUDIOBRIDGE, inv.plugin);

	VT_EQ(0,
	      vp_invite_parse(&inv, "sim+ws://conf.example:80/m-42?token=abc&",
			      err, sizeof(err)));
	VT_EQ(VP_INVITE_SIM, inv.dialect);
	VT_STR_EQ("m-42", inv.room);
	VT_STR_EQ("abc", inv.token);
	VT_EQ(0, vp_invite_parse(&inv, "sim+ws://h/m%2Fx", err, sizeof(err)));
	VT_STR_EQ("m/x", inv.room);
}

VTEST(sig_invite_bad)
{
	static const struct {
		const char *url, *err;
	} t[] = {
		{"http://h:1/1", "unknown scheme 'http'"},
		{"janus+ws://h:8188/", "missing room"},
		{"janus+ws://h:8188", "missing room"},
		{"janus+ws://h:99999/1", "bad port '99999'"},
		{"janus+ws://h:0/1", "bad port '0'"},
		{"janus+ws://h:/1", "bad port"},
		{"janus+ws://:80/1", "missing host"},
		{"janus+ws://h/abc",
		 "bad room 'abc' (Janus rooms are numbers)"},
		{"janus+ws://[::1/1", "bad IPv6 host"},
		{"janus+ws://h/1?plugin=sip", "unknown plugin 'sip'"},
		{"janus+ws://h/1?pin=%zz", "bad percent-encoding in pin"},
		{"sim+ws://h/a%00b", "bad room"},
		{"janus+ws://u:pw@h/1",
		 "credentials in the URL are not supported"},
		{"1234",
		 "not an invite URL (expected SCHEME://HOST:PORT/ROOM)"},
		{"janus+ws://h/1 2",
		 "invite URL contains spaces or control characters"},
		/* issue 10: a typo or a repeat never passes silently */
		{"sim+ws://h/m?token=a&x=1",
		 "unknown query key 'x' (known: token, pin, name, plugin)"},
		{"janus+ws://h/1?pni=1",
		 "unknown query key 'pni' (known: token, pin, name, plugin)"},
		{"janus+ws://h/1?pin=1&pin=2", "duplicate query key 'pin'"},
		{"janus+ws://h/1?plugin=videoroom&plugin=audiobridge",
		 "duplicate query key 'plugin'"},
		{"sim+ws://h/m?SECRETVALUE",
		 "query part without '=' (KEY=VALUE expected)"},
		{"sim+ws://h/m?name=a%0Ab", "bad name: " VP_INVITE_NAME_RULE},
		{"sim+ws://h/m?name=a%E2%80%AEb",
		 "bad name: " VP_INVITE_NAME_RULE},
		{"sim+ws://h/m?name=a%C2%85b",
		 "bad name: " VP_INVITE_NAME_RULE},
		{"sim+ws://h/m?name=%FF", "bad name: " VP_INVITE_NAME_RULE},
	};
	struct vp_invite inv;
	char err[128];

	memset(&inv, 0x5a, sizeof(inv));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		VT_EQ(EBADMSG,
		      vp_invite_parse(&inv, t[i].url, err, sizeof(err)));
		VT_STR_EQ(t[i].err, err);
	}
	VT_EQ(0x5a, ((unsigned char *)&inv)[0]); /* out-param untouched */
	/* the one name rule: a name in another script is fine */
	VT_EQ(0, vp_invite_name_check("Zoë 会议 Notetaker"));
	VT_EQ(EBADMSG, vp_invite_name_check("a\u2066b"));
	VT_EQ(EBADMSG, vp_invite_name_check("a\tb"));
	VT_EQ(EBADMSG, vp_invite_name_check(""));
	VT_EQ(EINVAL, vp_invite_parse(NULL, "x", err, sizeof(err)));
}

VTEST(sig_invite_secrets_never_in_errors)
{
	static const char *const urls[] = {
		"janus+ws://h:70000/1?pin=TOPSECRET",
		"janus+ws://h/1?pin=TOPSECRET%zz",
		"janus+ws://h/1?pin=TOPSECRET&plugin=sip",
		"http://h/1?token=TOPSECRET",
		"sim+ws://bot:TOPSECRET@h/1",
		"janus+ws://h/abc?pin=TOPSECRET",
		"janus+ws://h/1?pin=TOPSECRET%00",
		"janus+ws://h:99999/1?token=TOPSECRET",
	};
	struct vp_invite inv;
	char err[256], red[256];

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		VT_EQ(EBADMSG,
		      vp_invite_parse(&inv, urls[i], err, sizeof(err)));
		VT_TRUE(err[0] != '\0');
		VT_TRUE(!strstr(err, "TOPSECRET"));
	}
	VT_EQ(0, vp_invite_parse(&inv,
				 "janus+ws://h:1/"
				 "5?pin=TOPSECRET&name=bot&plugin=audiobridge",
				 err, sizeof(err)));
	vp_invite_redacted(&inv, red, sizeof(red));
	VT_STR_EQ("janus+ws://h:1/5?pin=<redacted>&name=bot&plugin=audiobridge",
		  red);
	VT_EQ(0,
	      vp_invite_parse(&inv, "sim+wss://[fe80::1]:9/m?token=TOPSECRET",
			      err, sizeof(err)));
	vp_invite_redacted(&inv, red, sizeof(red));
	VT_STR_EQ("sim+wss://[fe80::1]:9/m?token=<redacted>", red);
}
