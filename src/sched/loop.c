/* SPDX-License-Identifier: MIT */
/**
 * @file loop.c  The lifecycle (docs/design.md §8): scan -> decide -> at
 * start - lead decide again and dispatch -> exit code -> done, retry
 * with backoff while the meeting is on (75, 70, a signal), or never
 * (64/65/69/77). A meeting cancelled or gone from every calendar is
 * withdrawn (a running bot gets SIGTERM); one moved later is rescheduled.
 * Over max_concurrent, due meetings wait and are logged, never dropped.
 * Every transition goes to the SQLite state first, so a restart after
 * kill -9 continues: bots of a dead scheduler (stale heartbeat) are
 * adopted and watched through their folder lock.
 */
#include "src/sched/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/bot/meeting_lock.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/sched/decide.h"
#include "src/sched/dispatch.h"
#include "src/sched/redis_dispatch.h"
#include "src/sched/loop_priv.h"
#include "src/sched/scan.h"

#define VP_LOG_MODULE "sched"
#include "src/core/log.h"

#define HEARTBEAT_S 5
#define STALE_S	    20
/* Meetings that ended this long ago leave the state (and `status`); their
 * folders stay. Checked hourly. */
#define FORGET_AFTER_S (30 * 86400)
#define FORGET_EVERY_S 3600
/* past end + grace: the fleet lost the job. A worker stops a bot at the
 * meeting's end + 15 min at the latest (worker.c DEADLINE_GRACE_S). */
#define FLEET_LOST_S 1800

struct vp_settings *vp_sched_settings(const struct vp_sched_cfg *cfg)
{
	struct vp_settings *s = NULL;
	char err[256];
	int e;

	if (cfg->settings_json)
		e = vp_settings_parse(&s, cfg->settings_json,
				      strlen(cfg->settings_json), err,
				      sizeof(err));
	else
		e = vp_settings_load(&s, cfg->settings_src, err, sizeof(err));
	if (e) {
		vp_log_err("settings unavailable (%s): every meeting is "
			   "denied until they are back",
			   err);
		return NULL;
	}
	return s;
}

const char *vp_sched__initial(const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d)
{
	if (m->cancelled)
		return "cancelled";
	if (d->verdict == VP_POLICY_RECORD)
		return "upcoming";
	return d->verdict == VP_POLICY_METADATA_ONLY ? "metadata"
						     : "not_joined";
}

static struct vp_sched_meeting *find(struct loop *l, const char *id)
{
	return vp_sched_list_find(&l->cur, id);
}

static struct kid *kid_of(struct loop *l, int64_t handle)
{
	for (size_t i = 0; i < l->nkids; i++)
		if (l->kids[i].handle == handle)
			return &l->kids[i];
	return NULL;
}

static struct kid *kid_by_id(struct loop *l, const char *id)
{
	for (size_t i = 0; i < l->nkids; i++)
		if (!strcmp(l->kids[i].id, id))
			return &l->kids[i];
	return NULL;
}

static void kid_drop(struct loop *l, struct kid *k)
{
	*k = l->kids[--l->nkids];
}

void vp_sched__stop_bot(struct loop *l, const struct vp_sched_row *r,
			const char *why)
{
	struct kid *k = kid_by_id(l, r->id);
	char dir[4096];

	vp_sched_state_stop(l->st, r->id, why);
	snprintf(dir, sizeof(dir), "%s/%s", l->cfg->out, r->id);
	if (k)
		l->disp->ops->stop(l->disp, k->handle);
	else if (l->disp->ops->stop_meeting)
		l->disp->ops->stop_meeting(l->disp, r->id); /* adopted */
	else if (r->pid > 1 && vp_meeting_lock_held(dir))
		l->disp->ops->stop(l->disp, r->pid); /* an adopted bot */
	vp_log_info("meeting %s: %s: the running bot is asked to leave "
		    "(SIGTERM)",
		    r->id, why);
}

/* --- exit codes (docs/design.md §7) --- */

static int64_t backoff(const struct vp_sched_cfg *c, int64_t attempts)
{
	int64_t b = c->retry_base_s;

	for (int64_t i = 1; i < attempts && b < c->retry_max_s; i++)
		b *= 2;
	return b < c->retry_max_s ? b : c->retry_max_s;
}

static bool folder_locked(const struct loop *l, const char *id)
{
	char dir[4096];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", l->cfg->out, id) >=
	    sizeof(dir))
		return false;
	return vp_meeting_lock_held(dir);
}

void vp_sched__ended(struct loop *l, const char *id, int code, int sig)
{
	struct vp_sched_row r;
	int64_t now = l->now;
	const char *next;
	char ev[256] = "?";

	if (vp_sched_state_get(l->st, id, &r))
		return;
	vp_sched_state_attempt_end(l->st, id, code, sig, now);
	if (!strcmp(r.stop, "cancelled")) {
		next = "cancelled";
	} else if (!strcmp(r.stop, "moved")) {
		next = "upcoming";
	} else if (code == 0) {
		next = "done";
	} else if (code == 77) {
		next = "not_recorded";
	} else if (code == 73 && folder_locked(l, id)) {
		/* another bot holds the folder: watch it instead (73 without
		 * a lock is an output that cannot be created: failed) */
		vp_log_warn("meeting %s: another bot holds its folder; "
			    "watching that one",
			    id);
		vp_sched_state_set_pid(l->st, id, 0);
		return;
	} else if (code == 64 || code == 65 || code == 69 || code == 73) {
		next = "failed";
	} else if (now < r.end && r.attempts < l->cfg->max_attempts) {
		int64_t b = backoff(l->cfg, r.attempts);

		vp_log_warn("meeting %s: bot %s %d; retry in %llds (attempt "
			    "%lld of %lld)",
			    id, sig ? "killed by signal" : "exited",
			    sig ? sig : code, (long long)b,
			    (long long)r.attempts + 1,
			    (long long)l->cfg->max_attempts);
		vp_sched_state_set(l->st, id, "retry", now + b, code);
		return;
	} else {
		next = "failed";
	}
	if (l->disp->ops->last_event)
		l->disp->ops->last_event(l->disp, id, ev, sizeof(ev));
	vp_log_info("meeting %s: bot %s %d -> %s (last event: %s)", id,
		    sig ? "killed by signal" : "exited", sig ? sig : code, next,
		    ev);
	vp_sched_state_set(l->st, id, next, 0, sig ? 128 + sig : code);
}

static void on_exit_h(int64_t handle, int code, int sig, void *arg)
{
	struct loop *l = arg;
	struct kid *k = kid_of(l, handle);
	char id[sizeof(k->id)];

	if (!k)
		return;
	snprintf(id, sizeof(id), "%s", k->id);
	kid_drop(l, k);
	vp_sched__ended(l, id, code, sig);
}

/* --- dispatch at start - lead, with the policy asked again --- */

static json_t *job_doc(struct loop *l, const struct vp_sched_meeting *m)
{
	const struct vp_sched_cfg *c = l->cfg;
	int64_t dur = m->end - l->now + c->grace_s;
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:I, s:o}", "invite",
			  m->conference_url, "out", c->out, "meeting_id", m->id,
			  "max_duration_s", (json_int_t)(dur < 60 ? 60 : dur),
			  "meeting", vp_sched_facts_json(m));

	if (!j)
		return NULL;
	if (c->bot_name)
		json_object_set_new(j, "name", json_string(c->bot_name));
	if (c->settings_json)
		json_object_set_new(j, "settings",
				    vp_json_loads(c->settings_json, 0, NULL));
	else
		json_object_set_new(j,
				    vp_settings_src_is_url(c->settings_src)
					    ? "settings_url"
					    : "settings_file",
				    json_string(c->settings_src));
	if (c->job_extra)
		json_object_update(j, c->job_extra);
	return j;
}

static void start_bot(struct loop *l, struct vp_sched_meeting *m, bool again)
{
	json_t *job = job_doc(l, m);
	int64_t h = 0;
	int e;

	l->disp->start_utc = m->start;
	l->disp->end_utc = m->end;
	l->disp->again = again;
	e = job ? l->disp->ops->start(l->disp, m->id, job, &h) : ENOMEM;

	json_decref(job);
	if (e == ECONNRESET) {
		/* the fleet is away (Redis restarting): no bot was tried, so
		 * no attempt is spent; due() tries until the meeting's end */
		vp_log_warn("meeting %s: the %s dispatcher cannot be reached; "
			    "trying again in %llds",
			    m->id, l->disp->ops->name,
			    (long long)l->cfg->retry_base_s);
		vp_sched_state_unclaim(l->st, m->id,
				       l->now + l->cfg->retry_base_s);
		return;
	}
	if (e) {
		vp_log_err("meeting %s: cannot start a bot: %s", m->id,
			   strerror(e));
		vp_sched__ended(l, m->id, 75, 0);
		return;
	}
	snprintf(l->kids[l->nkids].id, sizeof(l->kids[0].id), "%s", m->id);
	l->kids[l->nkids++].handle = h;
	vp_sched_state_set_pid(l->st, m->id, h);
	vp_log_info("meeting %s: bot started (pid %lld, %s dispatch)", m->id,
		    (long long)h, l->disp->ops->name);
}

void vp_sched__write_decision(struct loop *l, const struct vp_sched_meeting *m,
			      const struct vp_policy_decision *d,
			      int64_t attempts)
{
	char mj[4200];

	snprintf(mj, sizeof(mj), "%s/%s/meeting.json", l->cfg->out, m->id);
	if (attempts > 0 && !access(mj, F_OK))
		return; /* a bot's: streams, the gate's record */
	vp_sched_write_decision(l->cfg->out, m, d);
}

static void due(const struct vp_sched_row *r, void *arg)
{
	struct loop *l = arg;
	struct vp_sched_meeting *m = find(l, r->id);
	struct vp_policy_decision d;
	int e;

	/* also when the scan no longer has it (its end is behind the
	 * window): nothing else would ever end the row */
	if (l->now >= r->end) {
		vp_log_warn("meeting %s ended before a bot could start (%s)",
			    r->id, r->state);
		vp_sched_state_set(l->st, r->id, "failed", 0, -1);
		return;
	}
	if (!m) /* not in the last scan: the next one withdraws it */
		return;
	if (r->next_try > l->now || l->nkids >= MAX_KIDS)
		return;
	/* settings may have changed since the meeting was found */
	vp_sched_decide(&d, m, l->settings);
	if (d.verdict != VP_POLICY_RECORD) {
		vp_log_info("meeting %s: %s at dispatch: %s", r->id,
			    vp_policy_verdict_str(d.verdict),
			    vp_policy_cause(&d));
		vp_sched_state_set(l->st, r->id, vp_sched__initial(m, &d), 0,
				   -1);
		vp_sched__write_decision(l, m, &d, r->attempts);
		return;
	}
	e = vp_sched_state_claim(l->st, r->id, l->now, l->cfg->max_concurrent);
	if (e == EBUSY && strcmp(r->state, "waiting"))
		vp_log_warn("meeting %s waits: %lld bots running "
			    "(max_concurrent)",
			    r->id, (long long)l->cfg->max_concurrent);
	/* its last bot ended with 0 and it is due again (cancelled or moved
	 * while it ran, then back): that attempt is over, a new one is due.
	 * A retry is not: it ended otherwise, or was only presumed gone,
	 * and its job may still be in the fleet. */
	if (!e)
		start_bot(l, m, r->attempts > 0 && r->exit_code == 0);
}

void vp_sched__due(struct loop *l)
{
	vp_sched_state_due(l->st, l->now + l->cfg->lead_s, due, l);
}

/* An adopted bot, or one that lost the folder race: its lock says
 * whether it still runs, its meeting.json how it ended. A fleet job whose
 * outcome never came (Redis lost it) ends FLEET_LOST_S after end + grace,
 * past the worker's own bound, so it does not hold a max_concurrent slot
 * for good. */
static void watch(const struct vp_sched_row *r, void *arg)
{
	struct loop *l = arg;
	struct kid *k = kid_by_id(l, r->id);
	char dir[4096], path[4200];
	json_t *doc;
	int code = -1;

	if (k && l->cfg->dispatch &&
	    l->now > r->end + l->cfg->grace_s + FLEET_LOST_S) {
		vp_log_warn("meeting %s: no outcome from the fleet %llds after "
			    "its end: counted failed",
			    r->id, (long long)(l->now - r->end));
		kid_drop(l, k);
		vp_sched__ended(l, r->id, 69, 0);
		return;
	}
	if (strcmp(r->owner, l->owner) || k)
		return;
	snprintf(dir, sizeof(dir), "%s/%s", l->cfg->out, r->id);
	if (vp_meeting_lock_held(dir))
		return;
	snprintf(path, sizeof(path), "%s/meeting.json", dir);
	doc = vp_json_load_path(path, 0, NULL);
	if (doc && json_is_integer(json_object_get(
			   json_object_get(doc, "status"), "exit_code")))
		code = (int)json_integer_value(json_object_get(
			json_object_get(doc, "status"), "exit_code"));
	json_decref(doc);
	vp_log_info("meeting %s: the watched bot is gone (exit code %d from "
		    "meeting.json)",
		    r->id, code);
	vp_sched__ended(l, r->id, code, code < 0 ? 9 : 0);
}

void vp_sched__watch(struct loop *l)
{
	vp_sched_state_each(l->st, "running", watch, l);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

void vp_sched__between(void *arg)
{
	struct loop *l = arg;

	l->now = now_s();
	/* a long scan must not look like a dead scheduler (STALE_S) */
	if (l->now - l->beat >= HEARTBEAT_S) {
		vp_sched_state_heartbeat(l->st, l->now);
		l->beat = l->now;
	}
	if (l->disp)
		l->disp->ops->reap(l->disp, on_exit_h, l);
	vp_sched__due(l);
}

static void tick(struct loop *l)
{
	unsigned n;

	l->now = now_s();
	if (l->now - l->beat >= HEARTBEAT_S) {
		vp_sched_state_heartbeat(l->st, l->now);
		l->beat = l->now;
		if (!vp_sched_state_adopt(l->st, l->now, STALE_S, &n) && n)
			vp_log_info("adopted %u running bot(s) of a stopped "
				    "scheduler",
				    n);
		vp_sched__watch(l);
	}
	if (l->now >= l->next_forget) {
		l->next_forget = l->now + FORGET_EVERY_S;
		if (!vp_sched_state_forget(l->st, l->now - FORGET_AFTER_S,
					   &n) &&
		    n)
			vp_log_info("forgot %u meeting(s) that ended more than "
				    "30 days ago",
				    n);
	}
	l->disp->ops->reap(l->disp, on_exit_h, l);
	if (l->now >= l->next_scan) {
		vp_sched__scan(l);
		l->next_scan = l->now + l->cfg->scan_s;
	}
	vp_sched__due(l);
}

static void nap(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

static void shutdown_bots(struct loop *l, bool stop_bots)
{
	if (!stop_bots) {
		if (l->nkids)
			vp_log_info("%zu bot(s) keep running; a later "
				    "scheduler adopts them",
				    l->nkids);
		vp_sched_state_heartbeat(l->st, 0); /* adopt at once */
		return;
	}
	for (size_t i = 0; i < l->nkids; i++) {
		vp_sched_state_stop(l->st, l->kids[i].id, "cancelled");
		l->disp->ops->stop(l->disp, l->kids[i].handle);
	}
	for (int i = 0; i < 300 && l->nkids; i++) {
		l->now = now_s();
		l->disp->ops->reap(l->disp, on_exit_h, l);
		nap(0.1);
	}
}

int vp_sched_run(const struct vp_sched_cfg *cfg, volatile sig_atomic_t *stop,
		 bool stop_bots)
{
	struct loop l = {.cfg = cfg};
	char jobdir[4200];
	int e;

	snprintf(l.owner, sizeof(l.owner), "sched-%ld-%lld", (long)getpid(),
		 (long long)now_s());
	snprintf(jobdir, sizeof(jobdir), "%s.jobs", cfg->state);
	l.feeds = vp_calloc(cfg->ncals, sizeof(*l.feeds));
	if (!l.feeds)
		return ENOMEM;
	e = vp_sched_state_open(&l.st, cfg->state, l.owner);
	if (!e && cfg->dispatch) /* the fleet (docs/fleet.md) */
		e = vp_sched_dispatch_redis(&l.disp, cfg->dispatch,
					    cfg->grace_s, l.owner);
	else if (!e)
		e = vp_sched_dispatch_local(&l.disp, cfg->vpbot, jobdir);
	if (!e) {
		vp_log_info("scheduler %s: %zu calendar(s), state %s, out %s",
			    l.owner, cfg->ncals, cfg->state, cfg->out);
		while (!*stop) {
			tick(&l);
			nap(cfg->tick_s);
		}
		shutdown_bots(&l, stop_bots);
	}
	if (l.disp)
		l.disp->ops->destroy(l.disp);
	vp_sched_state_close(l.st);
	for (size_t i = 0; i < cfg->ncals; i++)
		vp_sched_feed_clear(&l.feeds[i]);
	free(l.feeds);
	vp_sched_list_clear(&l.cur);
	vp_mem_deref(l.settings);
	return e;
}
