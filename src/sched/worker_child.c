/* SPDX-License-Identifier: MIT */
/**
 * @file worker_child.c  The worker's bots: write the job file, spawn
 * `vpbot run` through `exec-bot` (posix_spawn, own process group,
 * PR_SET_PDEATHSIG), reap, turn an exit status into an outcome.
 *
 * Why posix_spawn + a wrapper rather than fork + prctl + exec: posix_spawn
 * does not copy the worker's address space (PERF-figures in docs/fleet.md:
 * 0.75 ms against 72 ms for fork from a large parent) and is async-signal
 * safe by construction; the one thing it cannot do, PR_SET_PDEATHSIG, costs
 * one extra exec of a small program.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "src/core/json.h"
#include "src/core/fs.h"
#include "src/core/mem.h"
#include "src/sched/worker_priv.h"

extern char **environ;

#define VP_EXIT_DATAERR	    65
#define VP_EXIT_UNAVAILABLE 69
#define VP_EXIT_TEMPFAIL    75
#define VP_EXIT_NOPERM	    77
#define VP_EXIT_LOCKED	    73 /* vpbot run: the folder lock is held */

int64_t vp_worker__utc_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The job file, written atomically (tmp + rename); the meeting folder it
 * names goes into s->out for the result. */
static int write_job(struct vp_worker *w, struct vp_worker_slot *s)
{
	json_t *doc = vp_json_loads(s->job.job, 0, NULL);
	const char *out, *mid;
	char tmp[600];
	int fd, e = 0;
	size_t len;

	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return EBADMSG;
	}
	out = json_string_value(json_object_get(doc, "out"));
	mid = json_string_value(json_object_get(doc, "meeting_id"));
	snprintf(s->out, sizeof(s->out), "%s/%s", out ? out : "?",
		 mid ? mid : s->job.meeting);
	json_decref(doc);
	snprintf(s->job_path, sizeof(s->job_path), "%s/jobs/%s.%u.json",
		 w->cfg->work_dir, s->job.meeting, s->job.attempt);
	snprintf(s->log_path, sizeof(s->log_path), "%s/logs/%s.%u.log",
		 w->cfg->work_dir, s->job.meeting, s->job.attempt);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->job_path);
	/* the job may hold a settings token: readable by us only */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	len = strlen(s->job.job);
	if (vp_fs_write_all(fd, s->job.job, len))
		e = EIO;
	if (close(fd) && !e)
		e = EIO;
	if (!e && rename(tmp, s->job_path))
		e = errno;
	return e;
}

static int spawn_attrs(posix_spawnattr_t *at, posix_spawn_file_actions_t *fa,
		       const char *log_path)
{
	sigset_t none, def;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	if (posix_spawnattr_init(at))
		return ENOMEM;
	/* own process group: a drain or a deadline signals the whole bot */
	posix_spawnattr_setpgroup(at, 0);
	posix_spawnattr_setsigmask(at, &none); /* the worker blocks them */
	posix_spawnattr_setsigdefault(at, &def);
	posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
					     POSIX_SPAWN_SETSIGMASK |
					     POSIX_SPAWN_SETSIGDEF);
	if (posix_spawn_file_actions_init(fa)) {
		posix_spawnattr_destroy(at);
		return ENOMEM;
	}
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(fa, 1, log_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(fa, 1, 2);
	return 0;
}

char **vp_worker__bot_env(char *const *env)
{
	static const char pw[] = "VPBOT_REDIS_PASSWORD=";
	size_t n = 0, k = 0;
	char **v;

	while (env[n])
		n++;
	v = vp_calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], pw, sizeof(pw) - 1))
			v[k++] = env[i];
	return v;
}

int vp_worker__spawn(struct vp_worker *w, struct vp_worker_slot *s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char ppid[24];
	char *argv[] = {(char *)w->cfg->self,  "exec-bot", ppid,
			(char *)w->cfg->vpbot, "run",	   s->job_path,
			"--log-level",	       "info",	   NULL};
	char **env;
	int e;

	e = write_job(w, s);
	if (e)
		return e;
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	env = vp_worker__bot_env(environ);
	if (!env)
		return ENOMEM;
	e = spawn_attrs(&at, &fa, s->log_path);
	if (e) {
		free(env);
		return e;
	}
	e = posix_spawn(&s->pid, w->cfg->self, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (e)
		return e;
	s->state = VP_SLOT_RUNNING;
	s->stop = VP_STOP_NONE;
	s->started_us = vp_worker__utc_us();
	s->latency_us = s->job.dispatched_us
				? s->started_us - s->job.dispatched_us
				: -1;
	return 0;
}

void vp_worker__stop(struct vp_worker_slot *s, enum vp_worker_stop why)
{
	if (s->state != VP_SLOT_RUNNING || s->stop)
		return;
	s->stop = why;
	s->stop_ms = vp_sched_redis_now_ms();
	/* the bot leaves politely and finishes its chunk (docs/design.md §7) */
	kill(-s->pid, SIGTERM);
}

void vp_worker__reap(struct vp_worker *w)
{
	unsigned i;
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < w->nslots; i++) {
			struct vp_worker_slot *s = &w->slots[i];

			if (s->state != VP_SLOT_RUNNING || s->pid != p)
				continue;
			s->status = st;
			s->ended_us = vp_worker__utc_us();
			s->state = VP_SLOT_EXITED;
			w->load -= s->job.load;
			w->hold_full = false;
			vp_worker__decide(w, s);
			break;
		}
	}
}

/* Retry a transient failure while the meeting is still on. */
static void retry_or_fail(struct vp_worker *w, struct vp_worker_slot *s,
			  const char *what)
{
	time_t now = time(NULL);

	if (now < s->job.not_after) {
		int64_t b = w->cfg->retry_ms
			    << (s->job.attempt < 6 ? s->job.attempt - 1 : 5);

		s->outcome = "retry";
		s->requeue = s->job.attempt + 1;
		snprintf(s->reason, sizeof(s->reason),
			 "%s; retried within the meeting window", what);
		if (b > 60000)
			b = 60000;
		s->retry_at_ms = vp_sched_redis_now_ms() + b;
		s->state = VP_SLOT_BACKOFF;
		return;
	}
	s->outcome = "failed";
	snprintf(s->reason, sizeof(s->reason),
		 "%s after the meeting's end; not retried", what);
}

static void decide_signal(struct vp_worker *w, struct vp_worker_slot *s,
			  int sig)
{
	switch (s->stop) {
	case VP_STOP_DRAIN:
	case VP_STOP_FENCED:
		/* the meeting goes on without us: hand it to another worker */
		if (time(NULL) < s->job.not_after) {
			s->outcome =
				s->stop == VP_STOP_DRAIN ? "drained" : "fenced";
			s->requeue = s->job.attempt + 1;
			snprintf(s->reason, sizeof(s->reason),
				 "stopped by the worker (%s); requeued",
				 s->outcome);
			return;
		}
		s->outcome = "done";
		snprintf(s->reason, sizeof(s->reason), "stopped at the end");
		return;
	case VP_STOP_DEADLINE:
		s->outcome = "failed";
		snprintf(s->reason, sizeof(s->reason),
			 "stopped past the meeting's end");
		return;
	case VP_STOP_LOST:
		s->outcome = "lost";
		return;
	case VP_STOP_CANCEL:
		s->outcome = "cancelled";
		snprintf(s->reason, sizeof(s->reason),
			 "withdrawn by the scheduler");
		return;
	case VP_STOP_NONE:
		break;
	}
	snprintf(s->reason, sizeof(s->reason), "killed by signal %d", sig);
	retry_or_fail(w, s, s->reason);
}

void vp_worker__decide(struct vp_worker *w, struct vp_worker_slot *s)
{
	int code = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1;

	s->requeue = 0;
	if (code < 0) {
		decide_signal(w, s, WTERMSIG(s->status));
		return;
	}
	if (s->stop == VP_STOP_DRAIN || s->stop == VP_STOP_FENCED) {
		/* SIGTERM makes a bot leave and exit 0 (docs/design.md §7) */
		decide_signal(w, s, 0);
		if (code != 0 && !s->requeue)
			s->outcome = "failed";
		return;
	}
	if (s->stop == VP_STOP_LOST || s->stop == VP_STOP_CANCEL) {
		decide_signal(w, s, 0);
		return;
	}
	switch (code) {
	case 0:
		s->outcome = "done";
		snprintf(s->reason, sizeof(s->reason), "recorded, left");
		break;
	case VP_EXIT_TEMPFAIL:
		retry_or_fail(w, s, "temporary failure (75)");
		break;
	case VP_EXIT_DATAERR:
		s->outcome = "poison";
		snprintf(s->reason, sizeof(s->reason),
			 "bad job data (65): never retried");
		break;
	case VP_EXIT_NOPERM:
		s->outcome = "not_recorded";
		snprintf(s->reason, sizeof(s->reason),
			 "policy or consent kept the gate closed (77)");
		break;
	case VP_EXIT_LOCKED:
		/* a reclaimed job (or one requeued since, whose entry is
		 * new): the lock may be the lost host's, which a shared file
		 * system (NFS: a 90 s lease) keeps for a while */
		if (s->job.deliveries > 1 || s->job.attempt > 1) {
			retry_or_fail(w, s,
				      "the meeting's folder is still locked "
				      "(73) after a reclaim");
			break;
		}
		s->outcome = "duplicate";
		snprintf(s->reason, sizeof(s->reason),
			 "another bot holds the meeting's folder (73)");
		break;
	case VP_EXIT_UNAVAILABLE:
		s->outcome = "failed";
		snprintf(s->reason, sizeof(s->reason),
			 "unavailable, permanent (69)");
		break;
	default:
		s->outcome = "failed";
		snprintf(s->reason, sizeof(s->reason), "exit %d: not retried",
			 code);
	}
}

int vp_sched_worker_exec_bot(int argc, char **argv)
{
	long parent;
	char *end;

	if (argc < 3) {
		fprintf(stderr,
			"vpbot-sched: exec-bot PARENT-PID VPBOT ARGS\n");
		return 64;
	}
	parent = strtol(argv[1], &end, 10);
	if (*end || parent <= 1)
		return 64;
	/* SIGKILL: a bot that outlived its worker would be duplicated once
	 * the job is reclaimed; a killed bot's chunk in progress is
	 * recovered by the rerun (README "Crashes and reruns"). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		perror("vpbot-sched exec-bot: prctl");
		return 70;
	}
	if (getppid() != (pid_t)parent)
		return 75; /* the worker died before prctl took effect */
	execv(argv[2], argv + 2);
	fprintf(stderr, "vpbot-sched exec-bot: %s: %s\n", argv[2],
		strerror(errno));
	return 70;
}
