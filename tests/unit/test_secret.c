/* SPDX-License-Identifier: MIT */
/** @file test_secret.c  src/core/secret.c: the one reader of invites, live
 *  URLs and webhook secrets (a file, stdin or the environment). Each rule,
 *  and that no message ever holds the value. */
#include "src/core/secret.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct vp_secret_rule url_rule = {.what = "--live-file",
					       .max = 32,
					       .stdin_ok = true,
					       .trim_blanks = true};
static const struct vp_secret_rule key_rule = {.what = "webhook secret file",
					       .max = 32};

/* A file holding n bytes of s; the path is static, one at a time. */
static const char *file_of(const char *s, size_t n)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vp-secret-test-%d", (int)getpid());
	f = fopen(path, "w");
	VT_TRUE(f != NULL);
	if (f) {
		VT_EQ(n, fwrite(s, 1, n, f));
		fclose(f);
	}
	return path;
}

/* Read s from a file under rule r; @return the errno, *out the value */
static int rd(const char *s, size_t n, const struct vp_secret_rule *r,
	      char **out, char *why, size_t sz)
{
	const char *p = file_of(s, n);
	int e = vp_secret_file(out, p, r, why, sz);

	unlink(p);
	return e;
}

static void expect_ok(const char *s, const struct vp_secret_rule *r,
		      const char *want)
{
	char why[160] = "", *v = NULL;

	VT_EQ(0, rd(s, strlen(s), r, &v, why, sizeof(why)));
	VT_STR_EQ(want, v ? v : "(null)");
	vp_secret_free(v);
}

static void expect_refused(const char *s, size_t n,
			   const struct vp_secret_rule *r, const char *fault)
{
	char why[160] = "", *v = (char *)"x";

	VT_EQ(EBADMSG, rd(s, n, r, &v, why, sizeof(why)));
	VT_TRUE(v == NULL);
	VT_TRUE(strstr(why, r->what) != NULL);
	VT_TRUE(strstr(why, fault) != NULL);
	VT_TRUE(strstr(why, "SECRET") == NULL); /* never the value */
}

VTEST(secret_file_line_end_dropped)
{
	expect_ok("ws://h/a?t=1\n", &url_rule, "ws://h/a?t=1");
	expect_ok("ws://h/a?t=1\r\n", &url_rule, "ws://h/a?t=1");
	expect_ok(" \tws://h/a \n", &url_rule, "ws://h/a");
	expect_ok("k3y\n\n", &key_rule, "k3y");
	/* a key keeps its blanks: they are part of what is signed with */
	expect_ok(" k3y \n", &key_rule, " k3y ");
	/* exactly max after trimming is accepted */
	expect_ok("0123456789abcdef0123456789abcdef\n", &key_rule,
		  "0123456789abcdef0123456789abcdef");
}

VTEST(secret_file_refusals)
{
	expect_refused("", 0, &key_rule, "empty");
	expect_refused("\n", 1, &key_rule, "empty");
	expect_refused("  \n", 3, &url_rule, "empty");
	expect_refused("SECRET\nSECRET2\n", 15, &key_rule,
		       "more than one line");
	expect_refused("SECRET\rx", 8, &url_rule, "more than one line");
	expect_refused("SEC\0RET\n", 8, &key_rule, "binary");
	expect_refused("SECRET-0123456789abcdef0123456789\n", 34, &key_rule,
		       "over 32 bytes");
	/* far longer than the read buffer */
	expect_refused("SECRET-0123456789abcdef0123456789abcdef0123456789", 49,
		       &url_rule, "over 32 bytes");
}

VTEST(secret_file_unreadable_names_the_source)
{
	char why[160] = "", *v = NULL;

	VT_EQ(EBADMSG, vp_secret_file(&v, "/nonexistent/vp-secret", &key_rule,
				      why, sizeof(why)));
	VT_TRUE(v == NULL);
	VT_TRUE(strstr(why, "webhook secret file /nonexistent/vp-secret") !=
		NULL);
	/* "-" is a file name where stdin is not allowed */
	VT_EQ(EBADMSG, vp_secret_file(&v, "-", &key_rule, why, sizeof(why)));
	VT_TRUE(strstr(why, "webhook secret file -:") != NULL);
}

VTEST(secret_env_read_then_unset)
{
	char why[160] = "", *v = NULL;

	setenv("VP_HIDDEN_TEST", "ws://h/a?t=SECRET\n", 1);
	VT_EQ(0,
	      vp_secret_env(&v, "VP_HIDDEN_TEST", &url_rule, why, sizeof(why)));
	VT_STR_EQ("ws://h/a?t=SECRET", v ? v : "(null)");
	VT_TRUE(getenv("VP_HIDDEN_TEST") == NULL);
	vp_secret_free(v);
	VT_EQ(ENOENT,
	      vp_secret_env(&v, "VP_HIDDEN_TEST", &url_rule, why, sizeof(why)));
	VT_TRUE(strstr(why, "VP_HIDDEN_TEST is not set") != NULL);
	setenv("VP_HIDDEN_TEST", "", 1);
	VT_EQ(ENOENT,
	      vp_secret_env(&v, "VP_HIDDEN_TEST", &url_rule, why, sizeof(why)));
	/* refused values are unset too, and not echoed */
	setenv("VP_HIDDEN_TEST", "SECRET\nSECRET", 1);
	VT_EQ(EBADMSG,
	      vp_secret_env(&v, "VP_HIDDEN_TEST", &key_rule, why, sizeof(why)));
	VT_TRUE(v == NULL);
	VT_TRUE(strstr(why, "more than one line") != NULL);
	VT_TRUE(strstr(why, "SECRET") == NULL);
	VT_TRUE(getenv("VP_HIDDEN_TEST") == NULL);
	setenv("VP_HIDDEN_TEST",
	       "SECRET-0123456789abcdef0123456789abcdef0123456789", 1);
	VT_EQ(EBADMSG,
	      vp_secret_env(&v, "VP_HIDDEN_TEST", &key_rule, why, sizeof(why)));
	VT_TRUE(strstr(why, "over 32 bytes") != NULL);
	VT_TRUE(getenv("VP_HIDDEN_TEST") == NULL);
}

VTEST_OOM(secret_file_oom)
{
	char why[160] = "", *v = NULL;
	const char *p = file_of("k3y\n", 4);
	int e = vp_secret_file(&v, p, &key_rule, why, sizeof(why));

	unlink(p);
	VT_TRUE(e == 0 || e == ENOMEM);
	VT_TRUE((e == 0) == (v != NULL));
	if (VT_OOM(e))
		return;
	VT_STR_EQ("k3y", v);
	vp_secret_free(v);
}
