/* SPDX-License-Identifier: MIT */
/**
 * @file main.c  simconf CLI: load and validate a scenario, host its
 * meetings on one WebSocket port, run until SIGINT/SIGTERM (or until every
 * meeting is done with --exit-when-done). Exit codes follow sysexits(3):
 * 64 usage, 65 bad scenario or audio, 69 cannot listen, 70 internal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>

#include "src/core/mem.h"
#include "tools/simconf/audio.h"
#include "tools/simconf/log.h"
#include "tools/simconf/meeting.h"
#include "tools/simconf/scenario.h"
#include "tools/simconf/server.h"

#define VP_LOG_MODULE "simconf"
#include "src/core/log.h"

struct app {
	struct vp_simconf_scenario *scn;
	struct vp_simconf_clip **
		*clips[VP_SIMCONF_MAX_MEETINGS]; /* [m][p][k] */
	struct vp_simconf_meeting **meetings;
	unsigned nmeetings;
	GHashTable *by_id;
	struct vp_simconf_log *log;
	struct vp_simconf_server *srv;
	GMainLoop *loop;
	bool exit_when_done;
	int rc;
};

struct opts {
	const char *scenario, *bind, *log, *port_file, *dump_dir, *media;
	unsigned port;
	bool exit_when_done;
};

static const char usage[] =
	"usage: simconf SCENARIO.json --log FILE [--port P (0 = any)]\n"
	"               [--bind 127.0.0.1] [--port-file FILE]\n"
	"               [--dump-dir DIR] [--media-addr 127.0.0.1]\n"
	"               [--exit-when-done] [--verbose]\n";

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'p'},
		{"bind", required_argument, NULL, 'b'},
		{"log", required_argument, NULL, 'l'},
		{"port-file", required_argument, NULL, 'f'},
		{"dump-dir", required_argument, NULL, 'd'},
		{"media-addr", required_argument, NULL, 'm'},
		{"exit-when-done", no_argument, NULL, 'x'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	char *end;
	int c;

	*o = (struct opts){.bind = "127.0.0.1", .media = "127.0.0.1"};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->port = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->port > 65535)
				return 64;
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'f':
			o->port_file = optarg;
			break;
		case 'd':
			o->dump_dir = optarg;
			break;
		case 'm':
			o->media = optarg;
			break;
		case 'x':
			o->exit_when_done = true;
			break;
		case 'v':
			vp_log_set_level(VP_LOG_DEBUG);
			break;
		default:
			return 64;
		}
	}
	if (optind != argc - 1 || !o->log)
		return 64;
	o->scenario = argv[optind];
	/* loopback only: simconf must never send traffic anywhere else */
	if ((strncmp(o->bind, "127.", 4) && strcmp(o->bind, "::1")) ||
	    strncmp(o->media, "127.", 4)) {
		fprintf(stderr, "simconf: --bind and --media-addr must be "
				"loopback addresses\n");
		return 64;
	}
	return 0;
}

/* Load every speak item of meeting definition mi; check no overlap */
static int load_clips(struct app *a, unsigned mi)
{
	const struct vp_simconf_mdef *m = &a->scn->meetings[mi];
	char why[300];

	a->clips[mi] = calloc(m->nparts + 1, sizeof(*a->clips[mi]));
	if (!a->clips[mi])
		return ENOMEM;
	for (unsigned p = 0; p < m->nparts; p++) {
		const struct vp_simconf_part *pt = &m->parts[p];

		a->clips[mi][p] = calloc(pt->nspeak + 1, sizeof(**a->clips));
		if (!a->clips[mi][p])
			return ENOMEM;
		for (unsigned k = 0; k < pt->nspeak; k++) {
			int err = vp_simconf_clip_load(
				&a->clips[mi][p][k], &pt->speak[k], a->scn->dir,
				why, sizeof(why));
			double end;

			if (err) {
				fprintf(stderr,
					"scenario: meetings[%u].participants"
					"[%u].speak[%u]: %s\n",
					mi, p, k, why);
				return err;
			}
			end = pt->speak[k].at +
			      (double)a->clips[mi][p][k]->n / VP_SIMCONF_RATE;
			if (k + 1 < pt->nspeak && pt->speak[k + 1].at < end) {
				fprintf(stderr,
					"scenario: meetings[%u].participants"
					"[%u].speak[%u].at must be >= %.3f "
					"(the item before ends then)\n",
					mi, p, k + 1, end);
				return EBADMSG;
			}
		}
	}
	return 0;
}

static struct vp_simconf_meeting *lookup(const char *id, void *arg)
{
	struct app *a = arg;

	return g_hash_table_lookup(a->by_id, id);
}

static int make_meetings(struct app *a, const struct opts *o)
{
	unsigned total = 0, n = 0;

	for (unsigned i = 0; i < a->scn->nmeetings; i++)
		total += vp_simconf_scenario_ncopies(&a->scn->meetings[i]);
	a->meetings = calloc(total, sizeof(*a->meetings));
	a->by_id = g_hash_table_new(g_str_hash, g_str_equal);
	if (!a->meetings)
		return ENOMEM;
	for (unsigned i = 0; i < a->scn->nmeetings; i++) {
		const struct vp_simconf_mdef *d = &a->scn->meetings[i];

		for (unsigned k = 0; k < vp_simconf_scenario_ncopies(d); k++) {
			char id[VP_SIMCONF_MAX_ID + 16];
			struct vp_simconf_meeting_cfg mc = {
				id,
				d,
				(struct vp_simconf_clip *const *const *)a->clips[i],
				a->log,
				o->dump_dir,
				o->media,
				NULL};
			int err;

			vp_simconf_scenario_meeting_id(id, sizeof(id), d, k);
			err = vp_simconf_meeting_alloc(&a->meetings[n], &mc);
			if (err)
				return err;
			g_hash_table_insert(
				a->by_id,
				(gpointer)vp_simconf_meeting_id(a->meetings[n]),
				a->meetings[n]);
			n++;
			a->nmeetings = n;
		}
	}
	return 0;
}

static gboolean on_signal(gpointer arg)
{
	struct app *a = arg;

	vp_log_info("signal: stopping");
	g_main_loop_quit(a->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean check_done(gpointer arg)
{
	struct app *a = arg;

	for (unsigned i = 0; i < a->nmeetings; i++)
		if (!vp_simconf_meeting_done(a->meetings[i]))
			return G_SOURCE_CONTINUE;
	vp_log_info("every meeting is done");
	g_main_loop_quit(a->loop);
	return G_SOURCE_CONTINUE;
}

static int write_port(const char *path, uint16_t port)
{
	char tmp[4096];
	FILE *f;

	/* write then rename, so a poller never reads a half-written port */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return ENOENT;
	fprintf(f, "%u\n", port);
	if (fclose(f) || rename(tmp, path))
		return ENOENT;
	return 0;
}

static int serve(struct app *a, const struct opts *o)
{
	struct vp_simconf_server_cfg sc = {o->bind, (uint16_t)o->port, NULL};
	uint16_t port;

	if (vp_simconf_server_alloc(&a->srv, &sc, lookup, a))
		return 69;
	port = vp_simconf_server_port(a->srv);
	if (o->port_file && write_port(o->port_file, port)) {
		fprintf(stderr, "simconf: cannot write %s\n", o->port_file);
		return 73;
	}
	printf("listening on %s:%u\n", o->bind, port);
	fflush(stdout);
	a->loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, a);
	g_unix_signal_add(SIGTERM, on_signal, a);
	if (o->exit_when_done)
		g_timeout_add(200, check_done, a);
	g_main_loop_run(a->loop);
	return 0;
}

static void app_free(struct app *a)
{
	/* the server first: closing its connections detaches them from
	 * their meetings, which must still be there */
	a->srv = vp_mem_deref(a->srv);
	for (unsigned i = 0; i < a->nmeetings; i++)
		vp_mem_deref(a->meetings[i]);
	free(a->meetings);
	for (unsigned i = 0; a->scn && i < a->scn->nmeetings; i++) {
		const struct vp_simconf_mdef *m = &a->scn->meetings[i];

		for (unsigned p = 0; a->clips[i] && p < m->nparts; p++) {
			for (unsigned k = 0;
			     a->clips[i][p] && k < m->parts[p].nspeak; k++)
				vp_mem_deref(a->clips[i][p][k]);
			free(a->clips[i][p]);
		}
		free(a->clips[i]);
	}
	if (a->by_id)
		g_hash_table_destroy(a->by_id);
	if (a->loop)
		g_main_loop_unref(a->loop);
	vp_mem_deref(a->log);
	vp_mem_deref(a->scn);
}

int main(int argc, char **argv)
{
	static struct app a;
	struct opts o;
	char why[300];
	int rc = parse_args(&o, argc, argv);

	if (rc) {
		fputs(usage, stderr);
		return rc;
	}
	rc = vp_simconf_scenario_load(&a.scn, o.scenario, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "scenario: %s\n", why);
		return rc == ENOMEM ? 70 : 65;
	}
	for (unsigned i = 0; i < a.scn->nmeetings && !rc; i++)
		rc = load_clips(&a, i);
	if (rc) {
		app_free(&a);
		return rc == ENOMEM ? 70 : 65;
	}
	if (vp_simconf_log_open(&a.log, o.log)) {
		fprintf(stderr, "simconf: cannot create %s\n", o.log);
		app_free(&a);
		return 73;
	}
	rc = make_meetings(&a, &o) ? 70 : serve(&a, &o);
	app_free(&a);
	return rc;
}
