/* SPDX-License-Identifier: MIT */
/**
 * @file dispatch_local.c  Local dispatch: `vpbot run JOB.json` by
 * posix_spawn, in its own process group (a SIGTERM to the group reaches
 * the bot and anything it starts; a Ctrl-C on the scheduler's terminal
 * does not), SIGCHLD reaped with waitpid(WNOHANG).
 */
#include "src/sched/dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/mem.h"

extern char **environ;

struct local {
	struct vp_sched_dispatch base;
	char *vpbot;
	char *dir;
};

/* The job is written whole or not at all: tmp, fsync, rename. */
static int write_job(const char *path, json_t *job)
{
	char tmp[4200];
	char *txt = vp_json_dumps(job, JSON_INDENT(2) | JSON_SORT_KEYS);
	int fd, err = 0;

	if (!txt)
		return ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
	} else {
		err = vp_fs_write_all(fd, txt, strlen(txt));
		if (!err && fsync(fd))
			err = errno;
		close(fd);
		if (!err && rename(tmp, path))
			err = errno;
	}
	free(txt);
	return err;
}

static int spawn(struct local *l, const char *job, const char *log, pid_t *pid)
{
	char *argv[] = {l->vpbot, "run", (char *)job, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int err;

	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	err = posix_spawn(pid, l->vpbot, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return err;
}

static int local_start(struct vp_sched_dispatch *d, const char *id, json_t *job,
		       int64_t *handle)
{
	struct local *l = (struct local *)d;
	char path[4096], ev[4096], log[4096];
	pid_t pid;
	int err;

	snprintf(path, sizeof(path), "%s/%s.json", l->dir, id);
	snprintf(ev, sizeof(ev), "%s/%s.events.jsonl", l->dir, id);
	snprintf(log, sizeof(log), "%s/%s.log", l->dir, id);
	json_object_set_new(job, "events", json_string(ev));
	err = write_job(path, job);
	if (!err)
		err = spawn(l, path, log, &pid);
	if (!err)
		*handle = pid;
	return err;
}

static void local_reap(struct vp_sched_dispatch *d, vp_sched_exit_h *h,
		       void *arg)
{
	int st;
	pid_t pid;

	(void)d;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (WIFEXITED(st))
			h(pid, WEXITSTATUS(st), 0, arg);
		else if (WIFSIGNALED(st))
			h(pid, -1, WTERMSIG(st), arg);
	}
}

static int local_stop(struct vp_sched_dispatch *d, int64_t handle)
{
	(void)d;
	if (handle <= 1)
		return EINVAL;
	return kill(-(pid_t)handle, SIGTERM) ? errno : 0;
}

/* The events file is JSON lines; its last complete line says how the
 * bot ended ("left", or "error" with a reason). */
static void local_last_event(struct vp_sched_dispatch *d, const char *id,
			     char *buf, size_t sz)
{
	struct local *l = (struct local *)d;
	char path[4096], line[1024], last[1024] = "";
	FILE *f;
	json_t *j;

	snprintf(buf, sz, "none");
	snprintf(path, sizeof(path), "%s/%s.events.jsonl", l->dir, id);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strchr(line, '\n'))
			memcpy(last, line, sizeof(last));
	fclose(f);
	j = vp_json_loads(last, 0, NULL);
	if (json_is_string(json_object_get(j, "event")))
		snprintf(buf, sz, "%s%s%.200s",
			 json_string_value(json_object_get(j, "event")),
			 json_is_string(json_object_get(j, "reason")) ? ": "
								      : "",
			 json_is_string(json_object_get(j, "reason"))
				 ? json_string_value(
					   json_object_get(j, "reason"))
				 : "");
	json_decref(j);
}

static void local_destroy(struct vp_sched_dispatch *d)
{
	struct local *l = (struct local *)d;

	if (!l)
		return;
	free(l->vpbot);
	free(l->dir);
	free(l);
}

static const struct vp_sched_dispatch_ops local_ops = {
	.name = "local",
	.start = local_start,
	.reap = local_reap,
	.stop = local_stop,
	.last_event = local_last_event,
	.destroy = local_destroy,
};

int vp_sched_dispatch_local(struct vp_sched_dispatch **dp, const char *vpbot,
			    const char *jobdir)
{
	struct local *l = vp_calloc(1, sizeof(*l));
	int err;

	if (!l)
		return ENOMEM;
	l->base.ops = &local_ops;
	l->vpbot = vp_strdup(vpbot);
	l->dir = vp_strdup(jobdir);
	if (!l->vpbot || !l->dir) {
		local_destroy(&l->base);
		return ENOMEM;
	}
	err = vp_fs_mkdir_p(jobdir);
	if (!err)
		chmod(jobdir, 0700);
	if (err) {
		local_destroy(&l->base);
		return err;
	}
	*dp = &l->base;
	return 0;
}
