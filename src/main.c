/* SPDX-License-Identifier: MIT */
/**
 * @file main.c  The vpbot command line: argv -> a validated config -> the
 * subcommand's run function -> a sysexits(3) code (docs/design.md §7).
 */
#include "protocols/sig/invite.h"
#include "src/bot/bot.h"
#include "src/bot/exitcode.h"
#include "src/bot/export.h"
#include "src/bot/job.h"
#include "src/bot/live_cfg.h"
#include "src/bot/meeting.h"
#include "src/bot/replay.h"
#include "src/bot/webhook_cfg.h"
#include "src/core/log.h"
#include "src/core/mem.h"
#include "src/core/secret.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: vpbot join INVITE|--invite-file FILE|- --out DIR [--meeting "
	"ID]\n"
	"                  [--duration S] (or the invite in $VPBOT_INVITE)\n"
	"                  [--name NAME] [--rate R] [--channels 1|2]\n"
	"                  [--chunk-seconds S] [--events FILE|fd:N] "
	"[--insecure]\n"
	"                  [--settings FILE|https://URL] [--meeting-facts "
	"FILE]\n"
	"                  [--webhook https://URL|--webhook-file FILE|-\n"
	"                   [--webhook-secret-file F] [--webhook-ca PEM]\n"
	"                   [--webhook-timeout S]]\n"
	"                  [--join-timeout S] [--lobby-timeout S]\n"
	"                  [--live ws://URL|--live-file FILE|- [--live-ca "
	"PEM]]\n"
	"       vpbot run JOB.json [--log-level L]\n"
	"       vpbot replay CAPTURE --out DIR [--meeting ID] [--rate R]\n"
	"                    [--channels 1|2] [--chunk-seconds S] [--pt N]\n"
	"       vpbot export OUT/ID [--stream S] --wav FILE\n"
	"       vpbot verify OUT/ID\n"
	"       vpbot --version\n"
	"common: --log-level err|warn|info|debug|trace  --trace CATS\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "vpbot: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return VP_EXIT_USAGE;
}

/* Strict number parsing: the whole argument, within [min, max] ("nan"
 * is in no range). */
static int parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (*end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static int set_log_level(const char *s)
{
	static const char *names[] = {"err", "warn", "info", "debug", "trace"};

	for (int i = 0; i < 5; i++) {
		if (!strcmp(s, names[i])) {
			vp_log_set_level((enum vp_log_level)i);
			return 0;
		}
	}
	return -1;
}

/* --- Invites off the command line (issue 10: argv is public via ps) --- */

#define INVITE_ENV "VPBOT_INVITE"

/* src/core/secret.h: the rules every secret-bearing value follows */
static const struct vp_secret_rule invite_rule = {.what = "--invite-file",
						  .max = 4095,
						  .stdin_ok = true,
						  .trim_blanks = true};

static char *invite_owned; /* from the file or the environment */

/* One source: the argument, --invite-file, or $VPBOT_INVITE (unset once
 * read: not passed on to anything vpbot might start). */
static int pick_invite(const char **invite, const char *arg, const char *file)
{
	char why[200];
	int e = 0;

	if (arg && file)
		return usage_error("%s", "give the invite as an argument or "
					 "--invite-file, not both");
	if (file)
		e = vp_secret_file(&invite_owned, file, &invite_rule, why,
				   sizeof(why));
	else if (!arg)
		e = vp_secret_env(&invite_owned, INVITE_ENV, &invite_rule, why,
				  sizeof(why));
	unsetenv(INVITE_ENV);
	if (e == ENOENT)
		return usage_error("%s", "join needs an INVITE URL (argument, "
					 "--invite-file or $" INVITE_ENV ")");
	if (e)
		return usage_error("%s", why);
	*invite = arg ? arg : invite_owned;
	return 0;
}

/* Forget the secrets join read (overwritten, then freed). */
static int join_end(int code, char *live)
{
	vp_secret_free(invite_owned);
	invite_owned = NULL;
	vp_secret_free(live);
	return code;
}

static void on_signal(int sig)
{
	(void)sig;
	vp_replay_stop();
}

/* --meeting and --name follow the rules a job's fields do (64, named). */
static int check_names(const char *meeting, const char *name)
{
	if (meeting && vp_meeting_id_check(meeting))
		return usage_error("--meeting must be %s", VP_MEETING_ID_RULE);
	if (name && vp_invite_name_check(name))
		return usage_error("--name must be %s", VP_INVITE_NAME_RULE);
	return 0;
}

/* What replay and join share: output format and logging. */
struct media_opts {
	uint32_t rate;
	unsigned channels;
	double chunk_seconds;
	bool log_level_set;
};

#define MEDIA_OPTIONS                                                          \
	{"rate", required_argument, NULL, 'r'},                                \
		{"channels", required_argument, NULL, 'c'},                    \
		{"chunk-seconds", required_argument, NULL, 's'},               \
		{"log-level", required_argument, NULL, 'l'},                   \
	{                                                                      \
		"trace", required_argument, NULL, 't'                          \
	}

/** @return 0 handled, -1 not a shared option, else an exit code */
static int media_opt(int c, const char *arg, struct media_opts *mo)
{
	double v;

	switch (c) {
	case 'r':
		if (parse_num(arg, 8000, 48000, &v) ||
		    (v != 8000 && v != 12000 && v != 16000 && v != 24000 &&
		     v != 48000))
			return usage_error("--rate must be one of 8000 12000 "
					   "16000 24000 48000, not '%s'",
					   arg);
		mo->rate = (uint32_t)v;
		return 0;
	case 'c':
		if (parse_num(arg, 1, 2, &v) || (v != 1 && v != 2))
			return usage_error("--channels must be 1 or 2, not "
					   "'%s'",
					   arg);
		mo->channels = (unsigned)v;
		return 0;
	case 's':
		if (parse_num(arg, 0.1, 3600, &v))
			return usage_error("--chunk-seconds must be 0.1..3600, "
					   "not '%s'",
					   arg);
		mo->chunk_seconds = v;
		return 0;
	case 'l':
		if (set_log_level(arg))
			return usage_error("unknown log level '%s'", arg);
		mo->log_level_set = true;
		return 0;
	case 't':
		vp_log_trace_enable(arg);
		return 0;
	default:
		return -1;
	}
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"meeting", required_argument, NULL, 'm'},
		{"pt", required_argument, NULL, 'p'},
		MEDIA_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct media_opts mo = {
		.rate = 48000, .channels = 1, .chunk_seconds = 10};
	struct vp_replay_cfg cfg = {.pt = -1};
	double v;
	int c, e;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			cfg.out = optarg;
			break;
		case 'm':
			cfg.meeting = optarg;
			break;
		case 'p':
			if (parse_num(optarg, 0, 127, &v) || v != (int)v)
				return usage_error("--pt must be 0..127, not "
						   "'%s'",
						   optarg);
			cfg.pt = (int)v;
			break;
		default:
			e = media_opt(c, optarg, &mo);
			if (e)
				return e < 0 ? usage_error("%s", "bad option")
					     : e;
		}
	}
	if (optind + 1 != argc)
		return usage_error("%s", "replay needs exactly one CAPTURE");
	if (!cfg.out)
		return usage_error("%s", "replay needs --out DIR");
	e = check_names(cfg.meeting, NULL);
	if (e)
		return e;
	cfg.capture = argv[optind];
	cfg.rate = mo.rate;
	cfg.channels = mo.channels;
	cfg.chunk_seconds = mo.chunk_seconds;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return vp_replay_run(&cfg);
}

/* The webhook's secret comes from a file or the environment, never argv. */
static int join_webhook_run(struct vp_bot_cfg *cfg, const char *secret_file)
{
	char *secret = NULL, why[200];
	int code;

	if (!cfg->webhook_url)
		return secret_file || cfg->webhook_ca
			       ? usage_error("%s",
					     "--webhook-secret-file and "
					     "--webhook-ca need --webhook")
			       : vp_bot_run(cfg);
	if (vp_webhook_secret_load(&secret, secret_file, VP_WEBHOOK_SECRET_ENV,
				   why, sizeof(why)))
		return usage_error("%s", why);
	cfg->webhook_secret = secret;
	code = vp_bot_run(cfg);
	vp_secret_free(secret);
	return code;
}

static int cmd_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"meeting", required_argument, NULL, 'm'},
		{"duration", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"events", required_argument, NULL, 'e'},
		{"insecure", no_argument, NULL, 'k'},
		{"settings", required_argument, NULL, 'S'},
		{"meeting-facts", required_argument, NULL, 'F'},
		{"invite-file", required_argument, NULL, 'I'},
		{"webhook", required_argument, NULL, 'W'},
		{"webhook-file", required_argument, NULL, 'Y'},
		{"webhook-secret-file", required_argument, NULL, 'X'},
		{"webhook-ca", required_argument, NULL, 'A'},
		{"webhook-timeout", required_argument, NULL, 'T'},
		{"join-timeout", required_argument, NULL, 'J'},
		{"lobby-timeout", required_argument, NULL, 'L'},
		{"live", required_argument, NULL, 'V'},
		{"live-file", required_argument, NULL, 'U'},
		{"live-ca", required_argument, NULL, 'C'},
		MEDIA_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct media_opts mo = {
		.rate = 48000, .channels = 1, .chunk_seconds = 10};
	struct vp_bot_cfg cfg = {0};
	const char *invite_file = NULL;
	const char *secret_file = NULL;
	const char *live_arg = NULL, *live_file = NULL;
	const char *wh_arg = NULL, *wh_file = NULL;
	char *live = NULL, *wh_url = NULL, why[200];
	double v;
	int c, e;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			cfg.out = optarg;
			break;
		case 'm':
			cfg.meeting = optarg;
			break;
		case 'V':
			live_arg = optarg;
			break;
		case 'U':
			live_file = optarg;
			break;
		case 'C':
			cfg.live_ca = optarg;
			break;
		case 'W':
			wh_arg = optarg;
			break;
		case 'Y':
			wh_file = optarg;
			break;
		case 'X':
			secret_file = optarg;
			break;
		case 'A':
			cfg.webhook_ca = optarg;
			break;
		case 'T':
			if (parse_num(optarg, 1, 3600, &v))
				return usage_error("--webhook-timeout must be "
						   "1..3600 s, not '%s'",
						   optarg);
			cfg.webhook_timeout_s = v;
			break;
		case 'd':
			if (parse_num(optarg, 0.1, 86400 * 7, &v))
				return usage_error("--duration must be "
						   "seconds > 0, not '%s'",
						   optarg);
			cfg.duration_s = v;
			break;
		case 'n':
			cfg.name = optarg;
			break;
		case 'e':
			cfg.events = optarg;
			break;
		case 'k':
			cfg.insecure = true;
			break;
		case 'S':
			cfg.settings_src = optarg;
			break;
		case 'F':
			cfg.facts_src = optarg;
			break;
		case 'I':
			invite_file = optarg;
			break;
		case 'J':
			if (parse_num(optarg, 1, 3600, &cfg.join_timeout_s))
				return usage_error("--join-timeout must be "
						   "1..3600 seconds, not '%s'",
						   optarg);
			break;
		case 'L':
			if (parse_num(optarg, 1, 86400, &cfg.lobby_timeout_s))
				return usage_error("--lobby-timeout must be "
						   "1..86400 seconds, not '%s'",
						   optarg);
			break;
		default:
			e = media_opt(c, optarg, &mo);
			if (e)
				return e < 0 ? usage_error("%s", "bad option")
					     : e;
		}
	}
	if (optind + 1 < argc)
		return usage_error("%s", "join takes one INVITE URL");
	if (!cfg.out)
		return usage_error("%s", "join needs --out DIR");
	e = check_names(cfg.meeting, cfg.name);
	if (!e)
		e = pick_invite(&cfg.invite,
				optind < argc ? argv[optind] : NULL,
				invite_file);
	if (!e && (!!(live_file && !strcmp(live_file, "-")) +
			   !!(invite_file && !strcmp(invite_file, "-")) +
			   !!(wh_file && !strcmp(wh_file, "-")) >
		   1))
		e = usage_error("%s", "stdin holds one of --invite-file, "
				      "--live-file and --webhook-file");
	if (!e && vp_live_cfg_cli(&live, live_arg, live_file, why, sizeof(why)))
		e = usage_error("%s", why);
	if (!e && cfg.live_ca && !live)
		e = usage_error("%s", "--live-ca needs --live or --live-file");
	if (!e &&
	    vp_webhook_url_cli(&wh_url, wh_arg, wh_file, why, sizeof(why)))
		e = usage_error("%s", why);
	if (e) {
		vp_secret_free(wh_url);
		return join_end(e, live);
	}
	cfg.live_url = live;
	cfg.webhook_url = wh_url;
	cfg.rate = mo.rate;
	cfg.channels = mo.channels;
	cfg.chunk_seconds = mo.chunk_seconds;
	cfg.status_line = isatty(STDERR_FILENO);
	/* a person at a terminal gets the status line and warnings, not the
	 * audit log (which --log-level info brings back) */
	if (cfg.status_line && !mo.log_level_set)
		vp_log_set_level(VP_LOG_WARN);
	e = join_webhook_run(&cfg, secret_file);
	vp_secret_free(wh_url);
	return join_end(e, live);
}

/* The scheduler's entry: everything comes from the job file (job.h). */
static int cmd_run(int argc, char **argv)
{
	struct vp_job job;
	char err[512];
	int e, code;

	if (argc == 4 && !strcmp(argv[2], "--log-level")) {
		if (set_log_level(argv[3]))
			return usage_error("unknown log level '%s'", argv[3]);
	} else if (argc != 2) {
		return usage_error("%s", "run needs exactly one JOB.json");
	}
	e = vp_job_load(&job, argv[1], err, sizeof(err));
	if (e) {
		fprintf(stderr, "vpbot: %s\n", err);
		return VP_EXIT_DATAERR;
	}
	job.cfg.settings_json = job.settings_json;
	job.cfg.facts_json = job.facts_json;
	job.cfg.settings_src = job.settings_src;
	job.cfg.require_settings = true;
	job.cfg.status_line = false;
	code = vp_bot_run(&job.cfg);
	vp_job_free(&job);
	return code;
}

int main(int argc, char **argv)
{
	/* jansson hides some failed allocations as syntax errors: through
	 * vp_malloc, vp_mem_failures() tells them apart (a lost signaling
	 * message must close the gate, src/core/mem.h) */
	json_set_alloc_funcs(vp_malloc, free);
	if (argc < 2)
		return usage_error("%s", "missing command");
	if (!strcmp(argv[1], "--version")) {
		printf("vpbot %s\n", VP_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	/* after the call: they only read a meeting folder */
	if (!strcmp(argv[1], "export"))
		return vp_export_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return vp_verify_main(argc - 1, argv + 1);
	/* libcurl (settings URLs) wants this once, before any thread */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "join"))
		return cmd_join(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
