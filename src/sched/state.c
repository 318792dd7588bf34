/* SPDX-License-Identifier: MIT */
/** @file state.c  SQLite state (state.h): WAL, prepared statements only. */
#include "src/sched/state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VP_LOG_MODULE "state"
#include "src/core/log.h"
#include "src/core/mem.h"

struct vp_sched_state {
	sqlite3 *db;
	char owner[64];
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS meetings("
	" id TEXT PRIMARY KEY, uid TEXT NOT NULL, start INTEGER NOT NULL,"
	" end INTEGER NOT NULL, title TEXT NOT NULL, verdict TEXT NOT NULL,"
	" state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER NOT NULL DEFAULT 0, exit_code INTEGER,"
	" pid INTEGER, owner TEXT, stop TEXT NOT NULL DEFAULT '',"
	" seen INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS attempts("
	" meeting TEXT NOT NULL, n INTEGER NOT NULL, owner TEXT,"
	" started INTEGER, pid INTEGER, ended INTEGER, exit_code INTEGER,"
	" signal INTEGER, PRIMARY KEY(meeting, n));"
	"CREATE TABLE IF NOT EXISTS schedulers("
	" id TEXT PRIMARY KEY, heartbeat INTEGER NOT NULL);"
	/* due() every tick, running counts per claim: by state, then start */
	"CREATE INDEX IF NOT EXISTS meetings_by_state"
	" ON meetings(state, start);";

static int fail(struct vp_sched_state *s, const char *what)
{
	vp_log_err("sqlite %s: %s", what, sqlite3_errmsg(s->db));
	return EIO;
}

/* Prepare sql and bind args by fmt: 's' text, 'i' int64. */
static sqlite3_stmt *prep(struct vp_sched_state *s, const char *sql,
			  const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(s, "prepare");
		return NULL;
	}
	for (int i = 1; fmt && *fmt; fmt++, i++) {
		if (*fmt == 's')
			sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
					  SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
	}
	return st;
}

/* Run one statement; *changes gets sqlite3_changes(). */
static int exec(struct vp_sched_state *s, int *changes, const char *sql,
		const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	int rc;

	va_start(ap, fmt);
	st = prep(s, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(s, "step");
	if (changes)
		*changes = sqlite3_changes(s->db);
	return 0;
}

int vp_sched_state_open(struct vp_sched_state **sp, const char *path,
			const char *owner)
{
	struct vp_sched_state *s = vp_calloc(1, sizeof(*s));
	char *msg = NULL;

	if (!s)
		return ENOMEM;
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		vp_log_err("cannot open state %s: %s", path,
			   s->db ? sqlite3_errmsg(s->db) : "no memory");
		vp_sched_state_close(s);
		return EIO;
	}
	/* two schedulers on one file wait for each other, never fail */
	sqlite3_busy_timeout(s->db, 30000);
	if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		vp_log_err("state %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		vp_sched_state_close(s);
		return EIO;
	}
	*sp = s;
	return 0;
}

void vp_sched_state_close(struct vp_sched_state *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

int vp_sched_state_seen(struct vp_sched_state *s, const char *id,
			const char *uid, int64_t start, int64_t end,
			const char *title, const char *verdict,
			const char *initial, int64_t now)
{
	/* a row not started yet follows the scan: times and verdict */
	return exec(s, NULL,
		    "INSERT INTO meetings(id, uid, start, end, title, verdict,"
		    " state, seen, updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8)"
		    " ON CONFLICT(id) DO UPDATE SET start=?3, end=?4, title=?5,"
		    " verdict=?6, seen=?8, updated=?8,"
		    " state=CASE WHEN state='waiting' AND ?7='upcoming'"
		    "  THEN state WHEN state IN ('upcoming','waiting',"
		    "  'not_joined','metadata','cancelled') THEN ?7"
		    "  ELSE state END",
		    "ssiisssi", id, uid, start, end, title, verdict, initial,
		    now);
}

static void row_of(sqlite3_stmt *st, struct vp_sched_row *r)
{
	const char *t;

	memset(r, 0, sizeof(*r));
#define TXT(i, f)                                                              \
	t = (const char *)sqlite3_column_text(st, i);                          \
	snprintf(r->f, sizeof(r->f), "%s", t ? t : "")
	TXT(0, id);
	TXT(1, state);
	TXT(2, verdict);
	TXT(3, stop);
	TXT(4, owner);
	TXT(5, title);
#undef TXT
	r->start = sqlite3_column_int64(st, 6);
	r->end = sqlite3_column_int64(st, 7);
	r->next_try = sqlite3_column_int64(st, 8);
	r->attempts = sqlite3_column_int64(st, 9);
	r->pid = sqlite3_column_int64(st, 10);
	r->exit_code = sqlite3_column_type(st, 11) == SQLITE_NULL
			       ? -1
			       : sqlite3_column_int64(st, 11);
}

#define ROW_COLS                                                               \
	"SELECT id, state, verdict, stop, owner, title, start, end,"           \
	" next_try, attempts, pid, exit_code FROM meetings "

static int rows(struct vp_sched_state *s, vp_sched_row_h *h, void *arg,
		const char *sql, const char *fmt, ...)
{
	struct vp_sched_row r;
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = prep(s, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &r);
		h(&r, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "select");
}

static void copy_row(const struct vp_sched_row *r, void *arg)
{
	*(struct vp_sched_row *)arg = *r;
}

int vp_sched_state_get(struct vp_sched_state *s, const char *id,
		       struct vp_sched_row *r)
{
	int e;

	r->id[0] = '\0';
	e = rows(s, copy_row, r, ROW_COLS "WHERE id=?1", "s", id);
	return e ? e : r->id[0] ? 0 : ENOENT;
}

int vp_sched_state_set(struct vp_sched_state *s, const char *id,
		       const char *state, int64_t next_try, int64_t exit_code)
{
	return exec(s, NULL,
		    "UPDATE meetings SET state=?2, next_try=?3,"
		    " exit_code=CASE WHEN ?4 < 0 THEN exit_code ELSE ?4 END,"
		    " pid=CASE WHEN ?2='running' THEN pid ELSE NULL END,"
		    " stop=CASE WHEN ?2='running' THEN stop ELSE '' END"
		    " WHERE id=?1",
		    "ssii", id, state, next_try, exit_code);
}

int vp_sched_state_stop(struct vp_sched_state *s, const char *id,
			const char *why)
{
	return exec(s, NULL, "UPDATE meetings SET stop=?2 WHERE id=?1", "ss",
		    id, why);
}

/* One write transaction: taken before anything is read, so no other
 * scheduler's claim lands in between. */
static int tx_begin(struct vp_sched_state *s)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return fail(s, "begin");
	return 0;
}

/* @return e, or EIO if the transaction could not end */
static int tx_end(struct vp_sched_state *s, int e, bool rollback)
{
	if (sqlite3_exec(s->db, rollback ? "ROLLBACK" : "COMMIT", NULL, NULL,
			 NULL) != SQLITE_OK)
		return fail(s, "commit");
	return e;
}

static int count_running(struct vp_sched_state *s, int64_t *n)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT count(*) FROM meetings WHERE "
			       "state='running'",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	*n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

static bool claimable(struct vp_sched_state *s, const char *id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	bool ok;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT 1 FROM meetings WHERE id=?1 AND"
			       " state IN ('upcoming','waiting','retry') AND"
			       " next_try <= ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

int vp_sched_state_claim(struct vp_sched_state *s, const char *id, int64_t now,
			 int64_t max_running)
{
	int64_t n = 0;
	int ch = 0, e;

	if (tx_begin(s))
		return EIO;
	e = count_running(s, &n);
	if (!e && !claimable(s, id, now))
		e = EALREADY;
	if (!e && n >= max_running) {
		/* a retry whose backoff passed waits like a new one (and is
		 * logged once, not at every tick) */
		e = exec(s, &ch,
			 "UPDATE meetings SET state='waiting' WHERE "
			 "id=?1 AND state IN ('upcoming','retry')",
			 "s", id);
		e = e ? e : EBUSY;
	} else if (!e) {
		e = exec(s, &ch,
			 "UPDATE meetings SET state='running', owner=?2,"
			 " attempts=attempts+1, pid=NULL, stop='', updated=?3"
			 " WHERE id=?1 AND state IN ('upcoming','waiting',"
			 " 'retry') AND next_try <= ?3",
			 "ssi", id, s->owner, now);
		if (!e && ch == 1)
			e = exec(s, NULL,
				 "INSERT OR REPLACE INTO attempts(meeting, n,"
				 " owner, started) SELECT id, attempts, owner,"
				 " ?2 FROM meetings WHERE id=?1",
				 "si", id, now);
		else if (!e)
			e = EALREADY;
	}
	return tx_end(s, e, e && e != EBUSY);
}

int vp_sched_state_unclaim(struct vp_sched_state *s, const char *id,
			   int64_t next_try)
{
	int e;

	if (tx_begin(s))
		return EIO;
	e = exec(s, NULL,
		 "DELETE FROM attempts WHERE meeting=?1 AND n=(SELECT"
		 " attempts FROM meetings WHERE id=?1 AND state='running'"
		 " AND owner=?2)",
		 "ss", id, s->owner);
	if (!e)
		e = exec(s, NULL,
			 "UPDATE meetings SET state='retry', attempts="
			 "attempts-1, next_try=?3, pid=NULL WHERE id=?1 AND"
			 " state='running' AND owner=?2",
			 "ssi", id, s->owner, next_try);
	return tx_end(s, e, e != 0);
}

int vp_sched_state_forget(struct vp_sched_state *s, int64_t before, unsigned *n)
{
	int ch = 0, e;

	*n = 0;
	if (tx_begin(s))
		return EIO;
	e = exec(s, NULL,
		 "DELETE FROM attempts WHERE meeting IN (SELECT id FROM"
		 " meetings WHERE end < ?1 AND state NOT IN ('upcoming',"
		 " 'waiting','retry','running'))",
		 "i", before);
	if (!e)
		e = exec(s, &ch,
			 "DELETE FROM meetings WHERE end < ?1 AND state NOT IN"
			 " ('upcoming','waiting','retry','running')",
			 "i", before);
	if (!e)
		e = exec(s, NULL, "DELETE FROM schedulers WHERE heartbeat < ?1",
			 "i", before);
	e = tx_end(s, e, e != 0);
	*n = e ? 0 : (unsigned)ch;
	return e;
}

int vp_sched_state_set_pid(struct vp_sched_state *s, const char *id,
			   int64_t pid)
{
	int e = exec(s, NULL, "UPDATE meetings SET pid=?2 WHERE id=?1", "si",
		     id, pid);

	return e ? e
		 : exec(s, NULL,
			"UPDATE attempts SET pid=?2 WHERE "
			"meeting=?1 AND n=(SELECT attempts FROM meetings "
			"WHERE id=?1)",
			"si", id, pid);
}

int vp_sched_state_attempt_end(struct vp_sched_state *s, const char *id,
			       int64_t code, int64_t sig, int64_t now)
{
	return exec(s, NULL,
		    "UPDATE attempts SET ended=?4, exit_code=?2,"
		    " signal=?3 WHERE meeting=?1 AND n=(SELECT attempts FROM"
		    " meetings WHERE id=?1)",
		    "siii", id, code, sig, now);
}

int vp_sched_state_adopt(struct vp_sched_state *s, int64_t now, int64_t stale_s,
			 unsigned *n)
{
	int ch = 0;
	int e = exec(s, &ch,
		     "UPDATE meetings SET owner=?1 WHERE state='running' AND"
		     " owner IS NOT ?1 AND coalesce((SELECT heartbeat FROM"
		     " schedulers WHERE id=meetings.owner), 0) < ?2",
		     "si", s->owner, now - stale_s);

	*n = e ? 0 : (unsigned)ch;
	return e;
}

int vp_sched_state_heartbeat(struct vp_sched_state *s, int64_t now)
{
	return exec(s, NULL,
		    "INSERT INTO schedulers(id, heartbeat) "
		    "VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET "
		    "heartbeat=?2",
		    "si", s->owner, now);
}

int vp_sched_state_each(struct vp_sched_state *s, const char *states,
			vp_sched_row_h *h, void *arg)
{
	if (!states)
		return rows(s, h, arg, ROW_COLS "ORDER BY start, id", NULL);
	return rows(s, h, arg,
		    ROW_COLS "WHERE instr(','||?1||',', ','||"
			     "state||',') > 0 ORDER BY start, id",
		    "s", states);
}

int vp_sched_state_unseen(struct vp_sched_state *s, const char *states,
			  int64_t since, vp_sched_row_h *h, void *arg)
{
	return rows(s, h, arg,
		    ROW_COLS "WHERE instr(','||?1||',', ','||"
			     "state||',') > 0 AND seen < ?2 ORDER BY start, id",
		    "si", states, since);
}

int vp_sched_state_begin(struct vp_sched_state *s)
{
	return tx_begin(s);
}

int vp_sched_state_commit(struct vp_sched_state *s)
{
	return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
		       ? 0
		       : fail(s, "commit");
}

int vp_sched_state_due(struct vp_sched_state *s, int64_t before,
		       vp_sched_row_h *h, void *arg)
{
	return rows(s, h, arg,
		    ROW_COLS "WHERE state IN ('upcoming','waiting',"
			     "'retry') AND start <= ?1 ORDER BY start, id",
		    "i", before);
}
