/*
 * The outbox. A mail is written here in the same transaction as the state
 * change that causes it, with its Message-ID fixed, so a retry sends the
 * same mail. Its state moves queued -> sending (before the SMTP
 * transaction) -> delivering (all data handed over, just before the final
 * dot) -> sent. A server takes a mail only with that dot, so after a kill
 * a mail left 'sending' was not taken and goes again, and one left
 * 'delivering' was taken and is not sent twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "fault.h"
#include "log.h"
#include "outbox.h"
#include "util.h"

#define OUTBOX_GIVE_UP	(5 * 24 * 3600)	/* as MTAs do: five days */
#define OUTBOX_MAX_WAIT	3600

int
outbox_queue(struct store *s, const struct config *c,
    const struct outmail *m, const char *kind, const char *ref,
    const char *cause_key, time_t now, char **cause)
{
	sqlite3_stmt *st;
	char *mid, *data;
	int rc;

	data = message_build(c, m, now, &mid);
	st = store_prepare(s, "INSERT INTO outbox(message_id, rcpt, kind, ref, "
	    "subject, data, auto_reply, next_try, created, cause) "
	    "VALUES(?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->to_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, data, strlen(data), SQLITE_STATIC);
	sqlite3_bind_int(st, 7, !m->auto_generated);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_text(st, 10, cause_key, -1, SQLITE_STATIC);
	rc = store_exec_stmt(s, st, cause);
	free(data);
	free(mid);
	return rc;
}

int
outbox_recent_replies(struct store *s, const char *rcpt, time_t now)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM outbox "
	    "WHERE rcpt = ? AND auto_reply = 1 AND created > ?");
	int n = 0;

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - 3600);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
outbox_recover(struct store *s, char **cause)
{
	int n;

	if (store_exec(s, "UPDATE outbox SET state = 'queued' "
	    "WHERE state = 'sending'", cause) != 0)
		return -1;
	if ((n = sqlite3_changes(s->db)) > 0)
		log_warnx("outbox: %d mail(s) interrupted before the server "
		    "took them; sending them again", n);
	if (store_exec(s, "UPDATE outbox SET state = 'sent', sent_at = "
	    "next_try WHERE state = 'delivering'", cause) != 0)
		return -1;
	if ((n = sqlite3_changes(s->db)) > 0)
		log_warnx("outbox: %d mail(s) interrupted after their final dot "
		    "left; counted as sent", n);
	return 0;
}

time_t
outbox_next_due(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT min(next_try) FROM outbox "
	    "WHERE state = 'queued'");
	time_t t = 0;

	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}

/* Record the outcome of one attempt with its audit entry. */
static int
outbox_settle(struct store *s, long long id, const char *mid,
    const char *ref, const char *rcpt, enum smtp_result r, const char *err,
    int attempts, time_t created, char **cause)
{
	time_t now = clock_now();
	long wait = 60L << (attempts < 6 ? attempts : 6);
	const char *state = "queued";
	sqlite3_stmt *st;
	char *detail;

	if (wait > OUTBOX_MAX_WAIT)
		wait = OUTBOX_MAX_WAIT;
	if (r == SMTP_OK)
		state = "sent";
	else if (r == SMTP_PERMFAIL || now - created > OUTBOX_GIVE_UP)
		state = "failed";
	if (store_begin(s, cause) != 0)
		return -1;
	st = store_prepare(s, "UPDATE outbox SET state = ?, attempts = ?, "
	    "next_try = ?, last_error = ?, sent_at = ? WHERE id = ?");
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int64(st, 3, now + wait);
	sqlite3_bind_text(st, 4, err, -1, SQLITE_STATIC);
	if (r == SMTP_OK)
		sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, id);
	detail = xasprintf("to %s%s%s", rcpt, err ? ": " : "", err ? err : "");
	if (store_exec_stmt(s, st, cause) != 0 ||
	    (strcmp(state, "queued") != 0 && audit_append(s, r == SMTP_OK ?
	    "mail sent" : "mail failed", ref, mid, detail, cause) != 0)) {
		free(detail);
		store_rollback(s);
		return -1;
	}
	free(detail);
	return store_commit(s, cause);
}

/* Mark a row; durable before the step of the SMTP transaction it names. */
static int
outbox_mark(struct store *s, long long id, const char *state, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET state = ? "
	    "WHERE id = ?");

	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(s, st, cause);
}

struct delivering {
	struct store *store;
	long long id;
};

/* Called by smtp.c just before the final dot. */
static int
outbox_before_end(void *arg)
{
	struct delivering *d = arg;
	char *cause = NULL;

	fault_point("before-dot");
	if (outbox_mark(d->store, d->id, "delivering", &cause) != 0) {
		log_warnx("outbox: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

int
outbox_run(struct store *s, struct smtp *smtp, volatile sig_atomic_t *stop,
    int *tempfail, char **cause)
{
	int sent = 0;

	*tempfail = 0;
	while (stop == NULL || !*stop) {
		sqlite3_stmt *st = store_prepare(s, "SELECT id, rcpt, data, "
		    "attempts, created, message_id, ref FROM outbox WHERE "
		    "state = 'queued' AND next_try <= ? ORDER BY id LIMIT 1");
		long long id;
		char *rcpt, *mid, *ref, *err = NULL;
		const void *data;
		size_t len;
		enum smtp_result r;
		int attempts, rc;
		time_t created;

		sqlite3_bind_int64(st, 1, clock_now());
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			break;
		}
		id = sqlite3_column_int64(st, 0);
		rcpt = store_col(st, 1);
		data = sqlite3_column_blob(st, 2);
		len = sqlite3_column_bytes(st, 2);
		attempts = sqlite3_column_int(st, 3) + 1;
		created = sqlite3_column_int64(st, 4);
		mid = store_col(st, 5);
		ref = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL :
		    store_col(st, 6);
		struct delivering dv = { s, id };

		if (outbox_mark(s, id, "sending", cause) != 0) {
			sqlite3_finalize(st);
			free(rcpt);
			free(mid);
			free(ref);
			return -1;
		}
		r = smtp_send(smtp, rcpt, data, len, outbox_before_end, &dv,
		    &err);
		if (r == SMTP_OK)
			fault_point("after-dot");
		sqlite3_finalize(st);
		if (r == SMTP_OK) {
			log_info("sent <%s> to %s%s%s", mid, rcpt,
			    ref ? " " : "", ref ? ref : "");
			sent++;
		} else
			log_warnx("sending <%s> to %s: %s", mid, rcpt, err);
		rc = outbox_settle(s, id, mid, ref, rcpt, r, err, attempts,
		    created, cause);
		free(rcpt);
		free(mid);
		free(ref);
		free(err);
		if (rc != 0)
			return -1;
		if (r == SMTP_TEMPFAIL) {
			*tempfail = 1;
			break;	/* the server is down or busy: later */
		}
	}
	return sent;
}
