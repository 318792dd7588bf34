/* SPDX-License-Identifier: MIT */
/**
 * @file worker_cli.c  Command lines of the fleet: `worker`, `submit` (add
 * one job file to the stream: a customer's own scheduler, or a test) and
 * `fleet` (workers, load, running and queued meetings from Redis).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/core/fs.h"
#include "src/core/json.h"
#include "src/core/mem.h"
#include "src/sched/redis_fleet.h"
#include "src/sched/worker.h"

static int usage(const char *msg)
{
	fprintf(stderr,
		"vpbot-sched: %s\n"
		"usage: vpbot-sched worker --redis URL [--capacity STREAMS] "
		"[--name N] [--vpbot PATH] [--work-dir DIR] [--reclaim-idle S] "
		"[--grace S] [--prefix P]\n"
		"       vpbot-sched submit --redis URL JOB.json [--meeting ID] "
		"[--instance I] [--window S] [--load N] [--prefix P]\n"
		"       vpbot-sched fleet --redis URL [--json|--results] "
		"[--prefix P]\n",
		msg);
	return 64;
}

static int num_arg(int64_t *v, const char *s, int64_t lo, int64_t hi)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
		return EINVAL;
	*v = x;
	return 0;
}

/* The vpbot binary next to ours (build tree, /usr/bin), else from PATH. */
static void default_vpbot(char *buf, size_t sz, const char *self)
{
	const char *slash = strrchr(self, '/');

	snprintf(buf, sz, "%.*s/vpbot", slash ? (int)(slash - self) : 1,
		 slash ? self : ".");
	if (access(buf, X_OK)) /* build tree: build/src/sched/ */
		snprintf(buf, sz, "%.*s/../vpbot",
			 slash ? (int)(slash - self) : 1, slash ? self : ".");
	if (access(buf, X_OK))
		snprintf(buf, sz, "/usr/bin/vpbot");
}

int vp_sched_worker_main(int argc, char **argv, const char *self)
{
	static const struct option o[] = {
		{"redis", 1, 0, 'r'},	     {"capacity", 1, 0, 'c'},
		{"name", 1, 0, 'n'},	     {"vpbot", 1, 0, 'v'},
		{"work-dir", 1, 0, 'w'},     {"reclaim-idle", 1, 0, 'i'},
		{"grace", 1, 0, 'g'},	     {"prefix", 1, 0, 'p'},
		{"heartbeat-ms", 1, 0, 'h'}, {0, 0, 0, 0},
	};
	struct vp_sched_worker_cfg cfg;
	char host[HOST_NAME_MAX + 1] = "worker", vp[PATH_MAX];
	int64_t v;
	int c;

	vp_sched_worker_defaults(&cfg);
	gethostname(host, sizeof(host));
	cfg.name = host;
	cfg.self = self;
	cfg.work_dir = "/var/lib/vpbot-worker";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'r':
			cfg.redis_url = optarg;
			break;
		case 'n':
			cfg.name = optarg;
			break;
		case 'v':
			cfg.vpbot = optarg;
			break;
		case 'w':
			cfg.work_dir = optarg;
			break;
		case 'p':
			cfg.prefix = optarg;
			break;
		case 'c':
			if (num_arg(&v, optarg, 1, 100000))
				return usage("--capacity must be 1..100000");
			cfg.capacity = (unsigned)v;
			break;
		case 'i':
			if (num_arg(&v, optarg, 2, 86400))
				return usage(
					"--reclaim-idle must be 2..86400 s");
			cfg.reclaim_idle_ms = v * 1000;
			break;
		case 'g':
			if (num_arg(&v, optarg, 0, 7 * 86400))
				return usage("--grace must be 0..604800 s");
			cfg.grace_s = v;
			break;
		case 'h':
			if (num_arg(&v, optarg, 100, 60000))
				return usage(
					"--heartbeat-ms must be 100..60000");
			cfg.heartbeat_ms = v;
			break;
		default:
			return usage("bad option");
		}
	}
	if (optind != argc)
		return usage("worker takes no positional argument");
	if (!cfg.redis_url)
		return usage("worker needs --redis URL");
	if (cfg.heartbeat_ms * 3 > cfg.reclaim_idle_ms)
		return usage("--reclaim-idle must be at least 3 heartbeats");
	if (!cfg.vpbot) {
		default_vpbot(vp, sizeof(vp), self);
		cfg.vpbot = vp;
	}
	if (access(cfg.vpbot, X_OK))
		return usage("the vpbot binary is not executable (--vpbot)");
	return vp_sched_worker_run(&cfg);
}

/* A job file (at most 16 MiB), or NULL. */
static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n;

	if (fd < 0)
		return NULL;
	if (vp_fs_read_all(fd, 1u << 24, &buf, &n))
		buf = NULL;
	close(fd);
	return buf;
}

static int submit(const char *url, const char *pfx,
		  struct vp_sched_fleet_job *j, int64_t window)
{
	struct vp_sched_redis *r = NULL;
	char err[256], me[HOST_NAME_MAX + 16] = "submit:";
	bool added = false;
	int e;

	if (vp_sched_redis_alloc(&r, url, err, sizeof(err)))
		return usage(err);
	gethostname(me + 7, sizeof(me) - 7);
	e = vp_sched_fleet_ensure_group(r, pfx);
	if (!e)
		e = vp_sched_fleet_dispatch(r, pfx, j, me, window + 86400,
					    false, &added);
	vp_mem_deref(r);
	if (e) {
		fprintf(stderr, "vpbot-sched: submit: redis: %s\n",
			strerror(e));
		return 75;
	}
	printf("%s %s\n", added ? "dispatched" : "already-dispatched",
	       j->meeting);
	return 0;
}

int vp_sched_submit_main(int argc, char **argv)
{
	static const struct option o[] = {
		{"redis", 1, 0, 'r'},
		{"meeting", 1, 0, 'm'},
		{"instance", 1, 0, 'i'},
		{"window", 1, 0, 'w'},
		{"load", 1, 0, 'l'},
		{"prefix", 1, 0, 'p'},
		{0, 0, 0, 0},
	};
	struct vp_sched_fleet_job j;
	const char *url = NULL, *pfx = "vpbot", *mid = NULL, *inst = "0";
	int64_t window = 3600, load = 1;
	json_t *doc;
	int c, rc;

	memset(&j, 0, sizeof(j));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'r':
			url = optarg;
			break;
		case 'm':
			mid = optarg;
			break;
		case 'i':
			inst = optarg;
			break;
		case 'p':
			pfx = optarg;
			break;
		case 'w':
			if (num_arg(&window, optarg, 1, 7 * 86400))
				return usage("--window must be 1..604800 s");
			break;
		case 'l':
			if (num_arg(&load, optarg, 1, 100000))
				return usage("--load must be 1..100000");
			break;
		default:
			return usage("bad option");
		}
	}
	if (!url || optind + 1 != argc)
		return usage("submit needs --redis URL and one JOB.json");
	j.job = read_file(argv[optind]);
	if (!j.job)
		return usage("cannot read the job file");
	doc = vp_json_loads(j.job, 0, NULL);
	if (!mid)
		mid = json_string_value(json_object_get(doc, "meeting_id"));
	if (!mid || strlen(mid) >= sizeof(j.meeting)) {
		json_decref(doc);
		free(j.job);
		return usage("the job needs a meeting_id (or --meeting)");
	}
	snprintf(j.meeting, sizeof(j.meeting), "%s", mid);
	snprintf(j.instance, sizeof(j.instance), "%s", inst);
	json_decref(doc);
	j.attempt = 1;
	j.load = (unsigned)load;
	j.not_after = time(NULL) + window;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		j.dispatched_us =
			(int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	rc = submit(url, pfx, &j, window);
	free(j.job);
	return rc;
}

/* One line per worker, then the queue. */
static void print_table(json_t *st)
{
	json_t *w, *q, *m;
	size_t i, k;

	printf("%-24s %8s %8s  %s\n", "WORKER", "LOAD", "CAPACITY", "RUNNING");
	json_array_foreach(json_object_get(st, "workers"), i, w)
	{
		printf("%-24s %8" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
		       " ",
		       json_string_value(json_object_get(w, "name")) ?: "?",
		       json_integer_value(json_object_get(w, "load")),
		       json_integer_value(json_object_get(w, "capacity")));
		json_array_foreach(json_object_get(w, "running"), k, m) printf(
			" %s", json_string_value(json_object_get(m, "meeting"))
				       ?: "?");
		printf("\n");
	}
	q = json_object_get(st, "queued");
	printf("queued: %zu (waiting for room)", json_array_size(q));
	json_array_foreach(q, i, m) printf(
		" %s", json_string_value(json_object_get(m, "meeting")) ?: "?");
	printf("\npending (taken, not acknowledged): %" JSON_INTEGER_FORMAT
	       "\n",
	       json_integer_value(json_object_get(st, "pending")));
}

/* --results: every outcome so far, one JSON object per line */
static int print_results(struct vp_sched_redis *r, const char *pfx)
{
	char last[48] = "0";
	json_t *arr, *o;
	size_t i, n;
	int e;

	do {
		e = vp_sched_fleet_results(r, pfx, last, 500, &arr);
		if (e)
			return e;
		n = json_array_size(arr);
		json_array_foreach(arr, i, o)
		{
			json_dumpf(o, stdout, JSON_COMPACT);
			printf("\n");
		}
		json_decref(arr);
	} while (n);
	return 0;
}

int vp_sched_fleet_main(int argc, char **argv)
{
	static const struct option o[] = {
		{"redis", 1, 0, 'r'},  {"json", 0, 0, 'j'},
		{"prefix", 1, 0, 'p'}, {"results", 0, 0, 'R'},
		{0, 0, 0, 0},
	};
	struct vp_sched_redis *r = NULL;
	const char *url = NULL, *pfx = "vpbot";
	bool as_json = false, results = false;
	char err[256];
	int c, e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (c == 'r')
			url = optarg;
		else if (c == 'j')
			as_json = true;
		else if (c == 'p')
			pfx = optarg;
		else if (c == 'R')
			results = true;
		else
			return usage("bad option");
	}
	if (!url || optind != argc)
		return usage("fleet needs --redis URL");
	if (vp_sched_redis_alloc(&r, url, err, sizeof(err)))
		return usage(err);
	if (results) {
		e = print_results(r, pfx);
		vp_mem_deref(r);
		return e ? 75 : 0;
	}
	vp_mem_deref(r);
	return vp_sched_fleet_print(url, pfx, as_json, false);
}

int vp_sched_fleet_print(const char *url, const char *pfx, bool as_json,
			 bool wrap)
{
	struct vp_sched_redis *r = NULL;
	json_t *st = NULL;
	char err[256];
	int e;

	if (vp_sched_redis_alloc(&r, url, err, sizeof(err)))
		return usage(err);
	vp_sched_redis_set_timeout(r, 3000);
	e = vp_sched_fleet_status(r, pfx ? pfx : "vpbot", &st);
	vp_mem_deref(r);
	if (e) {
		fprintf(stderr, "vpbot-sched: fleet: redis: %s\n", strerror(e));
		return 75;
	}
	if (as_json && wrap)
		st = json_pack("{s:o}", "fleet", st);
	if (as_json) {
		json_dumpf(st, stdout, JSON_COMPACT);
		printf("\n");
	} else {
		print_table(st);
	}
	json_decref(st);
	return 0;
}

int vp_sched_fleet_cli(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "exec-bot"))
		return vp_sched_worker_exec_bot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "submit"))
		return vp_sched_submit_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fleet"))
		return vp_sched_fleet_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "worker"))
		return -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 70;
	self[n] = '\0';
	return vp_sched_worker_main(argc - 1, argv + 1, self);
}
