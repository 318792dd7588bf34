/* SPDX-License-Identifier: MIT */
/**
 * @file main.c  jpub CLI (jpub.h). Runs until --seconds are over or
 * SIGINT/SIGTERM, then leaves Janus politely and exits; SIGUSR1 stops
 * sending (and logs the totals) but stays in the room. Exit codes
 * follow sysexits(3): 0 done, 64 usage, 69 Janus refused, 70 internal,
 * 73 cannot write the send log,
 * 75 the connection or the media path failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "src/core/mem.h"
#include "tools/jpub/jpub.h"

#define VP_LOG_MODULE "jpub"
#include "src/core/log.h"

#define MAX_SECONDS 86400

static const char usage[] =
	"usage: jpub --url ws://127.0.0.1:8188[/PATH] --room N --log FILE\n"
	"            --seconds S [--id NAME] [--create [--publishers N]]\n"
	"            [--destroy] [--media-addr 127.0.0.2] [--amplitude A]\n"
	"            [--plugin videoroom|audiobridge]\n"
	"            [--verbose]\n";

static bool num(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && *s && !*end && *v <= max;
}

/* ws://HOST:PORT[/PATH]; janus+ws:// is accepted too */
static int parse_url(struct jpub_opts *o, const char *url, char *host,
		     size_t hsz)
{
	const char *p = url, *colon, *slash;
	unsigned long long port;
	char ps[8];

	if (!strncmp(p, "janus+", 6))
		p += 6;
	if (strncmp(p, "ws://", 5))
		return 64;
	p += 5;
	colon = strchr(p, ':');
	slash = strchr(p, '/');
	if (!colon || (slash && slash < colon) || (size_t)(colon - p) >= hsz)
		return 64;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	snprintf(ps, sizeof(ps), "%.*s",
		 (int)(slash ? slash - colon - 1 : (long)strlen(colon + 1)),
		 colon + 1);
	if (!num(ps, 65535, &port) || !port)
		return 64;
	o->port = (uint16_t)port;
	o->path = slash ? slash : "/";
	o->host = host;
	return 0;
}

static int parse_args(struct jpub_opts *o, int argc, char **argv, char *host,
		      size_t hsz)
{
	static const struct option lo[] = {
		{"url", required_argument, NULL, 'u'},
		{"room", required_argument, NULL, 'r'},
		{"log", required_argument, NULL, 'l'},
		{"seconds", required_argument, NULL, 's'},
		{"id", required_argument, NULL, 'i'},
		{"create", no_argument, NULL, 'c'},
		{"publishers", required_argument, NULL, 'p'},
		{"destroy", no_argument, NULL, 'd'},
		{"media-addr", required_argument, NULL, 'm'},
		{"amplitude", required_argument, NULL, 'a'},
		{"verbose", no_argument, NULL, 'v'},
		{"plugin", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0}};
	unsigned long long v;
	int c, err = 0;

	*o = (struct jpub_opts){.media_addr = "127.0.0.2",
				.id = "jpub",
				.room_publishers = 16,
				.amp = 0.5};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1 && !err) {
		switch (c) {
		case 'u':
			err = parse_url(o, optarg, host, hsz);
			break;
		case 'r':
			err = num(optarg, 1ULL << 53, &v) && v ? 0 : 64;
			o->room = v;
			break;
		case 's':
			err = num(optarg, MAX_SECONDS, &v) && v ? 0 : 64;
			o->seconds = (unsigned)v;
			break;
		case 'p':
			err = num(optarg, 10000, &v) && v ? 0 : 64;
			o->room_publishers = (unsigned)v;
			break;
		case 'a':
			o->amp = strtod(optarg, NULL);
			err = o->amp > 0 && o->amp <= 1 ? 0 : 64;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'i':
			o->id = optarg;
			err = strlen(optarg) && strlen(optarg) <= 64 ? 0 : 64;
			break;
		case 'c':
			o->create = true;
			break;
		case 'd':
			o->destroy = true;
			break;
		case 'm':
			o->media_addr = optarg;
			break;
		case 'v':
			vp_log_set_level(VP_LOG_DEBUG);
			break;
		case 'P':
			o->audiobridge = !strcmp(optarg, "audiobridge");
			err = o->audiobridge || !strcmp(optarg, "videoroom")
				      ? 0
				      : 64;
			break;
		default:
			err = 64;
		}
	}
	if (err || optind != argc || !o->host || !o->room || !o->log ||
	    !o->seconds)
		return 64;
	/* loopback only: jpub must never send anywhere else */
	if (strncmp(o->host, "127.", 4) || strncmp(o->media_addr, "127.", 4)) {
		fprintf(stderr, "jpub: the Janus address and --media-addr "
				"must be loopback addresses\n");
		return 64;
	}
	return 0;
}

static gboolean on_signal(gpointer arg)
{
	jpub_sig_leave(arg, "signal");
	return G_SOURCE_CONTINUE;
}

static gboolean on_pause(gpointer arg)
{
	jpub_media_pause(arg);
	return G_SOURCE_CONTINUE;
}

static gboolean on_deadline(gpointer arg)
{
	struct jpub *j = arg;

	j->deadline = 0;
	jpub_sig_leave(j, "--seconds elapsed");
	return G_SOURCE_REMOVE;
}

/* A last bound: whatever happens, the process ends 10 s after its time */
static gboolean on_hard_stop(gpointer arg)
{
	struct jpub *j = arg;

	if (!j->rc)
		j->rc = 75;
	g_main_loop_quit(j->loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	struct jpub_opts o;
	struct jpub j = {.o = &o};
	char host[256];
	int err = parse_args(&o, argc, argv, host, sizeof(host));

	if (err) {
		fputs(usage, stderr);
		return err;
	}
	if (vp_simconf_log_open(&j.log, o.log)) {
		fprintf(stderr, "jpub: cannot write %s\n", o.log);
		return 73;
	}
	j.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, &j);
	g_unix_signal_add(SIGTERM, on_signal, &j);
	g_unix_signal_add(SIGUSR1, on_pause, &j);
	j.deadline = g_timeout_add_seconds(o.seconds, on_deadline, &j);
	g_timeout_add_seconds(o.seconds + 10, on_hard_stop, &j);
	vp_simconf_log_event(j.log, "-", o.id, "start", -1,
			     json_pack("{s:I, s:I}", "room", (json_int_t)o.room,
				       "pid", (json_int_t)getpid()));
	err = jpub_sig_start(&j);
	if (err) {
		fprintf(stderr, "jpub: cannot start the websocket (%d)\n", err);
		j.rc = 70;
	} else {
		g_main_loop_run(j.loop);
	}
	jpub_media_free(&j);
	vp_simconf_log_event(j.log, j.room_s, o.id, "end", -1,
			     json_pack("{s:i, s:s}", "rc", j.rc, "why",
				       j.rc ? j.why : "ok"));
	vp_mem_deref(j.ws);
	vp_mem_deref(j.log);
	g_main_loop_unref(j.loop);
	if (j.rc)
		fprintf(stderr, "jpub: %s\n", j.why);
	return j.rc;
}
