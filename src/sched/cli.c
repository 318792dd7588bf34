/* SPDX-License-Identifier: MIT */
/**
 * @file cli.c  vpbot-sched: run | once | status (README "Scheduler").
 * Exit codes: 0, 64 usage, 65 bad config, 70 internal (no memory), 74
 * state or calendar unusable (once: every calendar failed), 75 the
 * fleet's Redis unreachable (status of a fleet, submit).
 */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/core/mem.h"
#include "src/core/json.h"
#include "src/sched/config.h"
#include "src/sched/decide.h"
#include "src/sched/loop.h"
#include "src/sched/scan.h"
#include "src/sched/state.h"
#include "src/sched/worker.h"

#define VP_LOG_MODULE "sched"
#include "src/core/log.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: vpbot-sched run CONFIG.json [--stop-bots] "
		"[--log-level L]\n"
		"       vpbot-sched once CONFIG.json [--at RFC3339] [--json]\n"
		"       vpbot-sched status (CONFIG.json | --state FILE) "
		"[--json]\n"
		"       vpbot-sched worker|submit|fleet … (docs/fleet.md)\n");
	return 64;
}

static int load(struct vp_sched_cfg *c, const char *path)
{
	char err[512];
	int e = vp_sched_cfg_load(c, path, err, sizeof(err));

	if (e)
		fprintf(stderr, "vpbot-sched: %s\n",
			e == ENOENT || e == EACCES ? strerror(e) : err);
	return e ? 65 : 0;
}

/* --- once --- */

static json_t *once_json(const struct vp_sched_meeting *m,
			 const struct vp_policy_decision *d, int64_t lead)
{
	char s[32], e[32], at[32];
	json_t *o = vp_sched_meeting_json(m, d), *x, *rs = json_array();

	if (!o)
		return NULL;
	vp_sched_utc(s, sizeof(s), m->start);
	vp_sched_utc(e, sizeof(e), m->end);
	vp_sched_utc(at, sizeof(at), m->start - lead);
	for (unsigned i = 0; i < d->nreasons; i++) { /* the codes alone */
		const char *c = strchr(d->reasons[i], ':');

		json_array_append_new(
			rs, json_stringn(d->reasons[i],
					 c ? (size_t)(c - d->reasons[i])
					   : strlen(d->reasons[i])));
	}
	x = json_pack(
		"{s:s, s:s, s:s, s:s, s:s?, s:O, s:O, s:s, s:o, s:b, "
		"s:b, s:s?}",
		"meeting_id", m->id, "uid", m->uid, "start_utc", s, "end_utc",
		e, "organizer", m->organizer, "invitees",
		json_object_get(json_object_get(o, "facts"), "invitees"),
		"calendars",
		json_object_get(json_object_get(o, "source"), "calendars"),
		"verdict", vp_policy_verdict_str(d->verdict), "reasons", rs,
		"manual_invite", m->manual_invite, "cancelled", m->cancelled,
		"dispatch_at", d->verdict == VP_POLICY_RECORD ? at : NULL);
	json_object_update(o, x);
	json_decref(x);
	json_object_set_new(o, "title", json_string(m->title));
	json_object_del(o, "status"); /* meeting.json's, not a plan's */
	json_object_del(o, "meeting");
	json_object_del(o, "reason_texts");
	json_object_set(
		o, "invite",
		json_object_get(json_object_get(o, "facts"), "conference_url"));
	return o;
}

/* The invite as printed: a sim/janus URL without its token or pin. */
static void redact(json_t *o)
{
	json_t *v = json_object_get(o, "invite");
	const char *u = json_string_value(v);
	const char *q = u ? strchr(u, '?') : NULL;

	if (q) {
		json_t *r = json_stringn(u, (size_t)(q - u));

		json_object_set_new(o, "invite", r);
		json_object_set(json_object_get(o, "facts"), "conference_url",
				r);
	}
}

static void print_once(const struct vp_sched_meeting *m,
		       const struct vp_policy_decision *d, bool js,
		       int64_t lead)
{
	char s[32];

	if (js) {
		json_t *o = once_json(m, d, lead);
		char *t;

		redact(o);
		t = o ? vp_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (t)
			puts(t);
		free(t);
		json_decref(o);
		return;
	}
	vp_sched_utc(s, sizeof(s), m->start);
	printf("%s  %-13s %s  %s\n", s, vp_policy_verdict_str(d->verdict),
	       m->id, d->verdict == VP_POLICY_RECORD ? "" : vp_policy_cause(d));
}

static int cmd_once(int argc, char **argv)
{
	struct vp_sched_cfg c;
	struct vp_sched_list l = {0};
	struct vp_sched_feed *feeds;
	struct vp_settings *s;
	int64_t at = (int64_t)time(NULL);
	unsigned failed = 0;
	bool js = false;
	int rc;

	if (argc < 3)
		return usage();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			js = true;
		} else if (!strcmp(argv[i], "--at") && i + 1 < argc) {
			if (vp_sched_parse_time(&at, argv[++i])) {
				fprintf(stderr, "vpbot-sched: --at needs an "
						"RFC 3339 time, e.g. "
						"2026-12-07T09:00:00Z\n");
				return 64;
			}
		} else {
			return usage();
		}
	}
	rc = load(&c, argv[2]);
	if (rc)
		return rc;
	vp_log_set_level(VP_LOG_WARN); /* the answer is on stdout */
	feeds = vp_calloc(c.ncals, sizeof(*feeds));
	s = vp_sched_settings(&c);
	if (!feeds || vp_sched_scan(&l, &c, feeds, at, &failed)) {
		rc = 70;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct vp_policy_decision d;

		vp_sched_decide(&d, l.v[i], s);
		print_once(l.v[i], &d, js, c.lead_s);
	}
	if (failed)
		fprintf(stderr,
			"vpbot-sched: %u of %zu calendar(s) failed "
			"(see above)\n",
			failed, c.ncals);
	rc = failed == c.ncals ? 74 : 0;
out:
	for (size_t i = 0; feeds && i < c.ncals; i++)
		vp_sched_feed_clear(&feeds[i]);
	free(feeds);
	vp_mem_deref(s);
	vp_sched_list_clear(&l);
	vp_sched_cfg_free(&c);
	return rc;
}

/* --- status --- */

struct status {
	bool js;
	unsigned n;
};

static void status_row(const struct vp_sched_row *r, void *arg)
{
	struct status *st = arg;
	char s[32], e[32];

	vp_sched_utc(s, sizeof(s), r->start);
	vp_sched_utc(e, sizeof(e), r->end);
	st->n++;
	if (st->js) {
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "meeting_id",
			r->id, "state", r->state, "verdict", r->verdict,
			"start_utc", s, "end_utc", e, "attempts",
			(json_int_t)r->attempts, "title", r->title);

		if (o && r->exit_code >= 0)
			json_object_set_new(o, "exit_code",
					    json_integer(r->exit_code));
		if (o && r->pid > 0)
			json_object_set_new(o, "pid", json_integer(r->pid));
		char *t = o ? vp_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)
			    : NULL;

		if (t)
			puts(t);
		free(t);
		json_decref(o);
		return;
	}
	if (st->n == 1)
		printf("%-20s  %-12s %-13s %3s %4s  %s\n", "START (UTC)",
		       "STATE", "VERDICT", "TRY", "EXIT", "MEETING");
	printf("%-20s  %-12s %-13s %3lld %4s  %s\n", s, r->state, r->verdict,
	       (long long)r->attempts,
	       r->exit_code < 0 ? "-"
				: (snprintf(e, sizeof(e), "%lld",
					    (long long)r->exit_code),
				   e),
	       r->id);
}

static int cmd_status(int argc, char **argv)
{
	struct status st = {0};
	struct vp_sched_state *db = NULL;
	struct vp_sched_cfg c = {0};
	const char *path = NULL;
	int rc = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			st.js = true;
		else if (!strcmp(argv[i], "--state") && i + 1 < argc)
			path = argv[++i];
		else if (!path && argv[i][0] != '-' &&
			 !(rc = load(&c, argv[i])))
			path = c.state;
		else
			return rc ? rc : usage();
	}
	if (!path)
		return usage();
	if (access(path, R_OK)) {
		fprintf(stderr, "vpbot-sched: no state at %s\n", path);
		rc = 74;
	} else if (vp_sched_state_open(&db, path, "status") ||
		   vp_sched_state_each(db, NULL, status_row, &st)) {
		rc = 74;
	}
	if (!rc && !st.n && !st.js)
		printf("no meetings\n");
	if (!rc && c.dispatch) { /* the fleet, from Redis (docs/fleet.md) */
		if (!st.js)
			printf("\nfleet (%s):\n", "redis");
		rc = vp_sched_fleet_print(c.dispatch, NULL, st.js, true);
	}
	vp_sched_state_close(db);
	vp_sched_cfg_free(&c);
	return rc;
}

/* --- run --- */

static int cmd_run(int argc, char **argv)
{
	struct vp_sched_cfg c;
	struct sigaction sa = {.sa_handler = on_signal};
	enum vp_log_level level = VP_LOG_INFO;
	bool stop_bots = false;
	int rc;

	if (argc < 3)
		return usage();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--stop-bots"))
			stop_bots = true;
		else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
			level = !strcmp(argv[++i], "debug") ? VP_LOG_DEBUG
				: !strcmp(argv[i], "warn")  ? VP_LOG_WARN
							    : VP_LOG_INFO;
		else
			return usage();
	}
	rc = load(&c, argv[2]);
	if (rc)
		return rc;
	vp_log_set_level(level);
	c.log_level = (int)level;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = vp_sched_run(&c, &stop_flag, stop_bots);
	rc = rc == ENOMEM ? 70 : rc ? 74 : 0;
	vp_sched_cfg_free(&c);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	/* jansson through vp_malloc: see src/core/json.h */
	json_set_alloc_funcs(vp_malloc, free);
	if (argc < 2)
		return usage();
	/* the fleet: worker, exec-bot, submit, fleet (docs/fleet.md) */
	rc = vp_sched_fleet_cli(argc, argv);
	if (rc >= 0)
		return rc;
	vp_log_set_level(VP_LOG_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(argv[1], "run"))
		rc = cmd_run(argc, argv);
	else if (!strcmp(argv[1], "once"))
		rc = cmd_once(argc, argv);
	else if (!strcmp(argv[1], "status"))
		rc = cmd_status(argc, argv);
	else
		rc = usage();
	curl_global_cleanup();
	return rc;
}
