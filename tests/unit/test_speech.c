/* SPDX-License-Identifier: MIT */
/**
 * @file test_speech.c  The energy VAD behind speech.jsonl (src/bot/speech),
 * the webhook signature (src/bot/webhook) and the strict manifest-line
 * reader of export/verify (media/pcm/read.c), on synthetic input whose
 * answer is known.
 */
#include "media/pcm/pcm_read.h"
#include "src/bot/live_priv.h"
#include "src/core/spsc.h"
#include "src/bot/speech.h"
#include "src/bot/webhook.h"
#include "src/core/mem.h"
#include "tests/harness/vtest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 16000

struct segs {
	uint64_t a[8], b[8];
	unsigned n;
};

static void on_seg(uint64_t start, uint64_t end, void *arg)
{
	struct segs *s = arg;

	if (s->n < 8) {
		s->a[s->n] = start;
		s->b[s->n] = end;
	}
	s->n++;
}

/* seconds [from, to) of a 440 Hz tone at amplitude amp, else zeros, fed in
 * 20 ms blocks starting at timeline sample base */
static void feed_tone(struct vp_speech *s, uint64_t base, double total,
		      double from, double to, double amp)
{
	int16_t blk[RATE / 50];
	uint64_t n = (uint64_t)(total * RATE);

	for (uint64_t i = 0; i < n; i += RATE / 50) {
		for (unsigned k = 0; k < RATE / 50; k++) {
			double t = (double)(i + k) / RATE;

			blk[k] = (t >= from && t < to)
					 ? (int16_t)(amp * 32767 *
						     sin(2 * M_PI * 440 * t))
					 : 0;
		}
		vp_speech_feed(s, base + i, blk, RATE / 50);
	}
}

VTEST(speech_tone_is_one_segment)
{
	struct vp_speech *s = NULL;
	struct segs g = {0};

	VT_EQ(0, vp_speech_alloc(&s, RATE, 1, on_seg, &g));
	feed_tone(s, 1000, 3.0, 0.5, 2.0, 0.3);
	vp_speech_flush(s);
	VT_EQ(1, g.n);
	VT_EQ(1000 + RATE / 2, g.a[0]);
	VT_EQ(1000 + 2 * RATE, g.b[0]);
	vp_mem_deref(s);
}

VTEST(speech_silence_and_quiet_noise_are_no_segment)
{
	struct vp_speech *s = NULL;
	struct segs g = {0};

	VT_EQ(0, vp_speech_alloc(&s, RATE, 1, on_seg, &g));
	feed_tone(s, 0, 2.0, 0, 0, 0);		  /* digital zero */
	feed_tone(s, 2 * RATE, 2.0, 0, 2, 0.001); /* -63 dBFS hum */
	vp_speech_flush(s);
	VT_EQ(0, g.n);
	vp_mem_deref(s);
}

VTEST(speech_gap_ends_segment_and_pause_splits)
{
	struct vp_speech *s = NULL;
	struct segs g = {0};

	VT_EQ(0, vp_speech_alloc(&s, RATE, 1, on_seg, &g));
	/* two words 200 ms apart: one segment (300 ms hangover) */
	feed_tone(s, 0, 0.6, 0.1, 0.4, 0.3);
	feed_tone(s, RATE * 6 / 10, 0.6, 0.0, 0.3, 0.3); /* 0.6-0.9 s */
	feed_tone(s, RATE * 12 / 10, 0.8, 0, 0, 0);	 /* silence */
	VT_EQ(1, g.n);
	VT_EQ(RATE / 10, g.a[0]);
	VT_EQ(RATE * 9 / 10, g.b[0]);
	/* 500 ms apart: two */
	feed_tone(s, 2 * RATE, 1.0, 0.1, 0.4, 0.3);
	feed_tone(s, 3 * RATE, 1.0, 0.0, 0.3, 0.3);
	VT_EQ(3, g.n);
	g.n = 1;
	/* speech up to a jump in the timeline (a gate closure) */
	feed_tone(s, 5 * RATE, 0.5, 0, 0.5, 0.3);
	feed_tone(s, 7 * RATE, 0.5, 0, 0.5, 0.3);
	vp_speech_flush(s);
	VT_EQ(3, g.n);
	VT_EQ(5 * RATE + RATE / 2, g.b[1]); /* ended where the audio did */
	VT_EQ(7 * RATE, g.a[2]);
	vp_mem_deref(s);
}

VTEST(speech_alloc_checks)
{
	struct vp_speech *s = NULL;

	VT_EQ(EINVAL, vp_speech_alloc(&s, 50, 1, on_seg, NULL));
	VT_EQ(EINVAL, vp_speech_alloc(&s, RATE, 3, on_seg, NULL));
	VT_EQ(EINVAL, vp_speech_alloc(&s, RATE, 1, NULL, NULL));
	VT_TRUE(s == NULL);
}

/* Computed independently: python3 hmac.new(b"whsec_test",
 * b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
VTEST(webhook_signature_known_answer)
{
	char sig[128];

	VT_EQ(0, vp_webhook_sign(sig, sizeof(sig), "whsec_test", 1700000000,
				 "{\"a\":1}", 7));
	VT_STR_EQ("t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6"
		  "e49ee50bd9e4cf4ca4d3789",
		  sig);
	VT_EQ(EINVAL, vp_webhook_sign(sig, sizeof(sig), "", 1, "x", 1));
	VT_EQ(EINVAL, vp_webhook_sign(sig, 20, "k", 1, "x", 1));
}

VTEST(webhook_refuses_plain_http_and_no_secret)
{
	struct vp_webhook_cfg c = {.url = "http://h/x", .secret = "s"};
	struct vp_webhook *wh = NULL;
	char why[160];

	VT_EQ(EINVAL, vp_webhook_start(&wh, &c, why, sizeof(why)));
	c.url = "https://user:pw@h/x";
	VT_EQ(EINVAL, vp_webhook_start(&wh, &c, why, sizeof(why)));
	c.url = "https://h/x";
	c.secret = "";
	VT_EQ(EINVAL, vp_webhook_start(&wh, &c, why, sizeof(why)));
	VT_TRUE(strstr(why, "secret") != NULL);
	VT_TRUE(wh == NULL);
}

/* A URL shorter than its scheme is refused without reading past its end
 * (each on the heap at its own size, where ASan sees one byte more); the
 * scheme is read in any case and the origin is kept without the path. */
VTEST(webhook_short_url_and_scheme_case)
{
	static const char *const bad[] = {"x", "", "https:/", "https://",
					  "https:/h/x"};
	struct vp_webhook_cfg c = {.secret = "s"};
	struct vp_webhook *wh = NULL;
	char why[160];
	json_t *r, *o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *u = strdup(bad[i]);

		VT_TRUE(u != NULL);
		c.url = u;
		why[0] = '\0';
		VT_EQ(EINVAL, vp_webhook_start(&wh, &c, why, sizeof(why)));
		VT_TRUE(strstr(why, "https://") != NULL);
		VT_TRUE(wh == NULL);
		free(u);
	}
	c.url = "HTTPS://hooks.example:8443/in?token=t0p";
	VT_EQ(0, vp_webhook_start(&wh, &c, why, sizeof(why)));
	r = vp_webhook_finish(wh);
	o = json_object_get(r, "origin");
	VT_STR_EQ("https://hooks.example:8443", json_string_value(o));
	json_decref(r);
}

VTEST(pcm_line_parse_strict)
{
	static const char good[] =
		"{\"stream\":\"s1\",\"file\":\"streams/s1/"
		"000002.wav\",\"seq\":2,"
		"\"start_sample\":96000,\"samples\":48000,\"rate\":48000,"
		"\"channels\":1,\"bytes\":96218,\"recovered\":true,\"new\":1}"
		"\n";
	struct vp_pcm_line l;
	char why[160];
	char bad[sizeof(good)];

	VT_EQ(0, vp_pcm_line_parse(&l, good, strlen(good), why, sizeof(why)));
	VT_STR_EQ("s1", l.stream);
	VT_STR_EQ("streams/s1/000002.wav", l.file);
	VT_EQ(2, l.seq);
	VT_EQ(96000, l.start_sample);
	VT_EQ(96218, l.bytes);
	VT_TRUE(l.recovered);
	memcpy(bad, good, sizeof(good));
	memcpy(strstr(bad, "\"samples\""), "\"sampleZ\"", 9);
	VT_EQ(EBADMSG,
	      vp_pcm_line_parse(&l, bad, strlen(bad), why, sizeof(why)));
	VT_STR_EQ("no \"samples\"", why);
	memcpy(bad, good, sizeof(good));
	memcpy(strstr(bad, "streams/s1"), "../../s1", 8);
	VT_EQ(EBADMSG,
	      vp_pcm_line_parse(&l, bad, strlen(bad), why, sizeof(why)));
	VT_EQ(EBADMSG, vp_pcm_line_parse(&l, "[1]", 3, why, sizeof(why)));
	VT_EQ(EBADMSG, vp_pcm_line_parse(&l, "{\"stream\":", 10, NULL, 0));
}

/* live.h: only the origin is printable; a query is a secret */
VTEST(live_url_parse)
{
	struct vp_live_url u;
	char why[160];

	VT_EQ(0, vp_live_url_parse(&u, "wss://asr.example/v1?token=T", why,
				   sizeof(why)));
	VT_TRUE(u.tls && u.secret && u.port == 443);
	VT_STR_EQ("asr.example", u.host);
	VT_STR_EQ("/v1?token=T", u.path);
	VT_STR_EQ("wss://asr.example:443", u.origin);
	VT_EQ(0, vp_live_url_parse(&u, "ws://[::1]:9000", why, sizeof(why)));
	VT_TRUE(!u.tls && !u.secret && u.port == 9000);
	VT_STR_EQ("::1", u.host);
	VT_STR_EQ("/", u.path);
	VT_STR_EQ("ws://[::1]:9000", u.origin);
	VT_EQ(EBADMSG, vp_live_url_parse(&u, "https://a/b", why, sizeof(why)));
	VT_EQ(EBADMSG,
	      vp_live_url_parse(&u, "ws://u:secretpw@a/b", why, sizeof(why)));
	VT_TRUE(!strstr(why, "secretpw"));
	VT_EQ(EBADMSG, vp_live_url_parse(&u, "ws://a:0/b", why, sizeof(why)));
	VT_EQ(EBADMSG, vp_live_url_parse(&u, "ws://a/b#f", why, sizeof(why)));
	VT_EQ(EINVAL, vp_live_url_parse(&u, NULL, why, sizeof(why)));
}

/* RFC 6464 §3: the level byte is V << 7 | -dBov */
VTEST(speech_rfc6464_voiced_rule)
{
	VT_TRUE(vp_speech_level_voiced(0x80 | 45)); /* V, -45 dBov */
	VT_TRUE(!vp_speech_level_voiced(45));	    /* no V, -45 dBov */
	VT_TRUE(vp_speech_level_voiced(40));	    /* loud enough alone */
	VT_TRUE(vp_speech_level_voiced(0));
	VT_TRUE(vp_speech_level_voiced(0x80 | 49));  /* V, just louder */
	VT_TRUE(!vp_speech_level_voiced(0x80 | 50)); /* V on silence */
	VT_TRUE(!vp_speech_level_voiced(0x80 | 127));
	VT_TRUE(!vp_speech_level_voiced(127));
}

/* 20 ms packets: [from, to) seconds voiced, the rest not */
static void feed_levels(struct vp_speech_lv *s, uint64_t base, double total,
			double from, double to)
{
	for (uint64_t i = 0; i < (uint64_t)(total * RATE); i += RATE / 50) {
		double t = (double)i / RATE;

		vp_speech_lv_feed(s, base + i, RATE / 50, t >= from && t < to);
	}
}

VTEST(speech_rfc6464_segments)
{
	struct vp_speech_lv *s = NULL;
	struct segs g = {0};

	VT_EQ(EINVAL, vp_speech_lv_alloc(&s, RATE, NULL, NULL));
	VT_EQ(0, vp_speech_lv_alloc(&s, RATE, on_seg, &g));
	feed_levels(s, 500, 3.0, 0.5, 2.0);
	VT_EQ(1, g.n); /* closed by the 300 ms hang, at its last packet */
	VT_EQ(500 + RATE / 2, g.a[0]);
	VT_EQ(500 + 2 * RATE, g.b[0]);
	feed_levels(s, 500 + 3 * RATE, 1.0, 0.2, 0.22); /* one packet: none */
	VT_EQ(1, g.n);
	feed_levels(s, 500 + 4 * RATE, 1.0, 0.2, 1.0); /* cut by a jump */
	feed_levels(s, 500 + 9 * RATE, 0.2, 0, 0);
	VT_EQ(2, g.n);
	VT_EQ(500 + 5 * RATE, g.b[1]);
	vp_speech_lv_flush(s);
	VT_EQ(2, g.n);
	vp_mem_deref(s);
}

static size_t read_all(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sz - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return n;
}

/* The recorder: levels count only over PCM that reached disk, and a
 * stream with levels says "rfc6464"; one without, "energy". */
VTEST(speech_rec_levels_follow_disk)
{
	char dir[] = "/tmp/vp_speech_lv_XXXXXX", path[64], buf[2048];
	struct vp_speech_rec *r = NULL;
	static int16_t pcm[RATE / 50];
	int err;

	VT_TRUE(mkdtemp(dir) != NULL);
	err = vp_speech_rec_open(&r, dir);
	if (err == ENOMEM) { /* --oom */
		rmdir(dir);
		VT_EQ(ENOMEM, err);
		return;
	}
	VT_EQ(0, err);
	vp_speech_rec_stream(r, 0, "s1", RATE, 1);
	/* 1 s of loud levels whose PCM never reached disk (gated) */
	for (uint64_t i = 0; i < RATE; i += RATE / 50)
		vp_speech_rec_level_put(r, 0, i, RATE / 50, 10);
	/* then 1 s with levels and PCM (zeros: energy would say silence) */
	for (uint64_t i = 2 * RATE; i < 3 * RATE; i += RATE / 50) {
		vp_speech_rec_level_put(r, 0, i, RATE / 50, 0x80 | 30);
		vp_speech_rec_pcm(r, 0, i, pcm, RATE / 50);
	}
	vp_speech_rec_pause(r, 0);
	r = vp_mem_deref(r);
	snprintf(path, sizeof(path), "%s/speech.jsonl", dir);
	read_all(path, buf, sizeof(buf));
	unlink(path);
	rmdir(dir);
	if (!strchr(buf, '\n') && !strstr(buf, "s1"))
		return; /* --oom: the detector's allocation failed */
	VT_TRUE(strstr(buf, "\"start_sample\":32000") != NULL);
	VT_TRUE(strstr(buf, "\"end_sample\":48000") != NULL);
	VT_TRUE(strstr(buf, "\"source\":\"rfc6464\"") != NULL);
	VT_TRUE(strchr(buf, '\n') == strrchr(buf, '\n')); /* one line */
}

/* docs/design.md §5: a link planted as MDIR/speech.jsonl is refused, and
 * the file it points at stays as it was. */
VTEST(speech_rec_refuses_a_planted_link)
{
	char dir[] = "/tmp/vp_speech_ln_XXXXXX", path[64], target[64];
	char buf[256];
	struct vp_speech_rec *r = NULL;
	static int16_t pcm[RATE / 50];
	FILE *f;
	int err;

	VT_TRUE(mkdtemp(dir) != NULL);
	snprintf(target, sizeof(target), "%s/victim", dir);
	snprintf(path, sizeof(path), "%s/speech.jsonl", dir);
	f = fopen(target, "w");
	VT_TRUE(f != NULL);
	fputs("untouched\n", f);
	fclose(f);
	VT_EQ(0, symlink(target, path));
	err = vp_speech_rec_open(&r, dir);
	if (!err) { /* the old code: write through the link */
		vp_speech_rec_stream(r, 0, "s1", RATE, 1);
		for (uint64_t i = 0; i < RATE; i += RATE / 50) {
			vp_speech_rec_level_put(r, 0, i, RATE / 50, 0x80 | 30);
			vp_speech_rec_pcm(r, 0, i, pcm, RATE / 50);
		}
		vp_speech_rec_pause(r, 0);
		r = vp_mem_deref(r);
	}
	read_all(target, buf, sizeof(buf));
	unlink(path);
	unlink(target);
	rmdir(dir);
	VT_STR_EQ("untouched\n", buf);
	VT_TRUE(err == ELOOP || err == ENOMEM); /* ENOMEM: --oom */
	VT_TRUE(r == NULL);
}

/* live.h wire format: the io thread's tap and the packing, without the
 * thread: what is written is what is sent, trimmed and grouped as the
 * chunk writer places it, and a drop marks the next segment. */
static struct vp_live *live_bare(uint32_t slots)
{
	struct vp_live *l = vp_mem_zalloc(sizeof(*l), NULL);

	if (l && vp_spsc_alloc(&l->ring, sizeof(struct live_blk), slots)) {
		vp_mem_deref(l);
		return NULL;
	}
	return l;
}

static void live_free(struct vp_live *l)
{
	vp_mem_deref(l->ring);
	free(l->msg);
	vp_mem_deref(l);
}

VTEST(live_pack_matches_the_writer)
{
	static int16_t a[320], b[320];
	struct vp_live *l = live_bare(4);
	struct vp_io_tap tap;
	json_t *h, *sg;
	const uint8_t *m;
	size_t len, hl;

	if (!l)
		return; /* --oom */
	for (unsigned i = 0; i < 320; i++) {
		a[i] = (int16_t)i;
		b[i] = (int16_t)-i;
	}
	vp_live_tap(l, &tap);
	tap.streamh(0, "s1", RATE, 1, tap.arg);
	tap.streamh(1, "s2", RATE, 1, tap.arg);
	tap.metah("{\"streams\":[{\"id\":\"s2\",\"participant\":\"bob\"}]}",
		  tap.arg);
	tap.pcmh(0, 1000, a, 320, tap.arg);
	tap.pcmh(1, 5000, b, 320, tap.arg);
	tap.pcmh(0, 1220, a, 320, tap.arg); /* 100 samples overlap: trimmed */
	tap.pcmh(0, 1540, a, 320, tap.arg); /* follows: same segment */
	tap.pcmh(0, 1860, a, 320, tap.arg); /* the ring (4) is full: dropped */
	VT_EQ(1, atomic_load(&l->dropped_blocks));
	len = vp_live__pack(l);
	if (!len) { /* --oom: counted as dropped */
		live_free(l);
		return;
	}
	m = l->msg;
	hl = (size_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3];
	h = json_loadb((const char *)m + 4, hl, 0, NULL);
	if (!h) {
		live_free(l);
		return;
	}
	sg = json_object_get(h, "segments");
	VT_EQ(2, json_array_size(sg));
	VT_STR_EQ("s1", json_string_value(json_object_get(json_array_get(sg, 0),
							  "stream")));
	VT_EQ(1000, json_integer_value(json_object_get(json_array_get(sg, 0),
						       "start_sample")));
	VT_EQ(860, json_integer_value(
			   json_object_get(json_array_get(sg, 0), "samples")));
	VT_TRUE(json_is_null(
		json_object_get(json_array_get(sg, 0), "participant")));
	VT_STR_EQ("bob", json_string_value(json_object_get(
				 json_array_get(sg, 1), "participant")));
	VT_EQ(4 + hl + (860 + 320) * 2, len);
	/* s1: a, then a[100..], then a; s2: b */
	VT_TRUE(!memcmp(m + 4 + hl, a, 640));
	VT_TRUE(!memcmp(m + 4 + hl + 640, a + 100, 440));
	VT_TRUE(!memcmp(m + 4 + hl + 1080, a, 640));
	VT_TRUE(!memcmp(m + 4 + hl + 1720, b, 640));
	json_decref(h);
	/* after the drop, s1's next block says how much is missing */
	tap.pcmh(0, 2180, a, 320, tap.arg);
	len = vp_live__pack(l);
	if (len) {
		m = l->msg;
		hl = (size_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3];
		h = json_loadb((const char *)m + 4, hl, 0, NULL);
		sg = json_array_get(json_object_get(h, "segments"), 0);
		VT_EQ(2180,
		      json_integer_value(json_object_get(sg, "start_sample")));
		VT_EQ(320, json_integer_value(json_object_get(sg, "dropped")));
		json_decref(h);
	}
	VT_EQ(0, vp_live__pack(l)); /* empty */
	live_free(l);
}

/* A participant id too long for a block goes as null, not cut: a cut in
 * the middle of a UTF-8 sequence made the segment unpackable, and the
 * header went out without it while its PCM still followed, shifting the
 * audio of every later segment. */
VTEST(live_long_participant_is_null_not_cut)
{
	static int16_t a[320];
	struct vp_live *l = live_bare(4);
	struct vp_io_tap tap;
	char meta[400], pid[200];
	json_t *h, *sg;
	const uint8_t *m;
	size_t len, hl;

	VT_TRUE(l != NULL);
	/* 126 ASCII bytes, then a two-byte é across the 128-byte buffer */
	memset(pid, 'p', 126);
	snprintf(pid + 126, sizeof(pid) - 126, "\xc3\xa9tail");
	snprintf(meta, sizeof(meta),
		 "{\"streams\":[{\"id\":\"s1\",\"participant\":\"%s\"},"
		 "{\"id\":\"s2\",\"participant\":\"bob\"}]}",
		 pid);
	vp_live_tap(l, &tap);
	tap.streamh(0, "s1", RATE, 1, tap.arg);
	tap.streamh(1, "s2", RATE, 1, tap.arg);
	tap.metah(meta, tap.arg);
	tap.pcmh(0, 0, a, 320, tap.arg);
	tap.pcmh(1, 0, a, 320, tap.arg);
	len = vp_live__pack(l);
	VT_TRUE(len > 4);
	m = l->msg;
	hl = (size_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3];
	h = json_loadb((const char *)m + 4, hl, 0, NULL);
	VT_TRUE(h != NULL);
	sg = json_object_get(h, "segments");
	VT_EQ(2, json_array_size(sg));
	VT_TRUE(json_is_null(
		json_object_get(json_array_get(sg, 0), "participant")));
	VT_STR_EQ("bob", json_string_value(json_object_get(
				 json_array_get(sg, 1), "participant")));
	VT_EQ(4 + hl + 2 * 320 * 2, len);
	json_decref(h);
	live_free(l);
}
