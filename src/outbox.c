/*
 * The outbox. A mail is written here in the same transaction as the state
 * change that causes it, with its Message-ID fixed, so a retry sends the
 * same mail. Its state moves queued -> delivering (all data handed over,
 * just before the final dot) -> sent. A server takes a mail only with
 * that dot, so after a kill a mail still 'queued' was not taken and goes
 * again, and one left 'delivering' was taken and is not sent twice. Sent
 * mail is marked in batches: 'delivering' already says enough. A refused
 * mail is failed (or bounced, when the server said the mailbox refuses
 * it), and a delivery report bounces mail that was taken. Every move goes
 * through outbox_enter, which knows which moves there are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bounce.h"
#include "clock.h"
#include "fault.h"
#include "header.h"
#include "log.h"
#include "outbox.h"
#include "util.h"
#include "watchdog.h"

#define OUTBOX_GIVE_UP	(5 * 24 * 3600)	/* as MTAs do: five days */
#define OUTBOX_MAX_WAIT	3600
#define OUTBOX_TAG	12	/* base32 characters: 60 bits */

/* What an older pactd stored while a mail was being sent: it had not
 * been taken, so it is queued. */
#define OUTBOX_NAME_SENDING	"sending"

#define OUTBOX_BIT(s)	(1u << (s))
#define OUTBOX_ANY	(OUTBOX_BIT(OUTBOX_QUEUED) | \
    OUTBOX_BIT(OUTBOX_DELIVERING) | OUTBOX_BIT(OUTBOX_SENT) | \
    OUTBOX_BIT(OUTBOX_FAILED) | OUTBOX_BIT(OUTBOX_BOUNCED))

static const char *const outbox_states[] = {
	[OUTBOX_QUEUED] = OUTBOX_NAME_QUEUED,
	[OUTBOX_DELIVERING] = OUTBOX_NAME_DELIVERING,
	[OUTBOX_SENT] = OUTBOX_NAME_SENT,
	[OUTBOX_FAILED] = OUTBOX_NAME_FAILED,
	[OUTBOX_BOUNCED] = OUTBOX_NAME_BOUNCED
};

/* The states each state may be entered from. A mail the server refused
 * after the final dot (a 4xx) was not taken and waits again; only mail
 * the server took, or refused, can bounce; nothing leaves failed. */
static const unsigned outbox_moves[] = {
	[OUTBOX_QUEUED] = OUTBOX_BIT(OUTBOX_DELIVERING),
	[OUTBOX_DELIVERING] = OUTBOX_BIT(OUTBOX_QUEUED),
	[OUTBOX_SENT] = OUTBOX_BIT(OUTBOX_QUEUED) |
	    OUTBOX_BIT(OUTBOX_DELIVERING),
	[OUTBOX_FAILED] = OUTBOX_BIT(OUTBOX_QUEUED) |
	    OUTBOX_BIT(OUTBOX_DELIVERING),
	[OUTBOX_BOUNCED] = OUTBOX_BIT(OUTBOX_QUEUED) |
	    OUTBOX_BIT(OUTBOX_DELIVERING) | OUTBOX_BIT(OUTBOX_SENT)
};

const char *
outbox_strstate(enum outbox_state st)
{
	return outbox_states[st];
}

int
outbox_parse_state(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < nitems(outbox_states); i++)
		if (strcmp(name, outbox_states[i]) == 0)
			return (int)i;
	if (strcmp(name, OUTBOX_NAME_SENDING) == 0)
		return OUTBOX_QUEUED;
	return -1;
}

/* The move itself, for mail in one of the states in from: 1 when moved,
 * 0 when it stays where it is, -1 with *cause. */
static int
outbox_move(struct store *s, long long id, unsigned from,
    enum outbox_state to, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT state, message_id FROM "
	    "outbox WHERE id = ?");
	char *name = NULL, *mid = NULL;
	int r, cur = -1;

	sqlite3_bind_int64(st, 1, id);
	if ((r = store_row(st, cause)) > 0) {
		name = store_col(st, 0);
		mid = store_col(st, 1);
		cur = outbox_parse_state(name);
	}
	store_done(st);
	if (r > 0 && cur != (int)to && (cur < 0 ||
	    !(OUTBOX_BIT(cur) & from & outbox_moves[to])))
		log_debug("outbox: mail %lld <%s> stays %s (no move to %s)",
		    id, mid, name, outbox_strstate(to));
	if (r > 0 && (cur < 0 || !(OUTBOX_BIT(cur) & from & outbox_moves[to])))
		r = 0;
	free(name);
	if (r <= 0) {
		free(mid);
		return r;
	}
	log_debug("outbox: mail %lld <%s>: %s -> %s", id, mid,
	    outbox_strstate(cur), outbox_strstate(to));
	free(mid);
	st = store_prepare(s, "UPDATE outbox SET state = ? WHERE id = ?");
	sqlite3_bind_text(st, 1, outbox_strstate(to), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return store_exec_stmt(s, st, cause) != 0 ? -1 : 1;
}

int
outbox_enter(struct store *s, long long id, enum outbox_state to,
    char **cause)
{
	return outbox_move(s, id, OUTBOX_ANY, to, cause);
}

int
outbox_queue(struct store *s, const struct config *c,
    const struct outmail *m, const char *kind, const char *ref,
    const char *cause_key, time_t now, char **cause)
{
	sqlite3_stmt *st;
	char *mid, *data, *why = NULL, *to, *subject, tag[OUTBOX_TAG + 1];
	int rc;

	/* A mail that cannot be built safely is not sent, and the state
	 * change that caused it still holds. */
	if ((data = message_build(c, m, now, &mid, &why)) == NULL) {
		to = header_clean(m->to_addr);
		log_warnx("%s %s: mail to %s not built: %s", kind,
		    ref != NULL ? ref : "-", to, why);
		free(to);
		free(why);
		return 0;
	}
	random_token(tag, OUTBOX_TAG);
	st = store_prepare(s, "INSERT INTO outbox(message_id, rcpt, kind, ref, "
	    "subject, data, auto_reply, next_try, created, cause, reply_seq, "
	    "bounce_tag, state) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,CASE "
	    "WHEN ?7 THEN (SELECT coalesce(max(reply_seq), 0) + 1 FROM outbox "
	    "WHERE rcpt = ?2 AND auto_reply = 1) END, ?11, ?12)");
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->to_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	/* The subject as the header says it, for pactctl outbox. */
	subject = header_clean(m->subject);
	sqlite3_bind_text(st, 5, subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, data, strlen(data), SQLITE_STATIC);
	sqlite3_bind_int(st, 7, !m->auto_generated);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_text(st, 10, cause_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, tag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, outbox_strstate(OUTBOX_QUEUED), -1,
	    SQLITE_STATIC);
	if ((rc = store_exec_stmt(s, st, cause)) == 0)
		log_debug("outbox: <%s> to %s: queued", mid, m->to_addr);
	free(subject);
	free(data);
	free(mid);
	return rc;
}

int
outbox_recent_replies(struct store *s, const char *rcpt, time_t now,
    int limit, char **cause)
{
	/* Two seeks in covering indexes, however many replies there are:
	 * the newest reply's number minus that of the first in the hour. */
	sqlite3_stmt *st = store_prepare(s, "SELECT (SELECT max(reply_seq) "
	    "FROM outbox WHERE rcpt = ?1 AND auto_reply = 1) - (SELECT "
	    "reply_seq FROM outbox INDEXED BY outbox_replies WHERE rcpt = ?1 "
	    "AND auto_reply = 1 AND created > ?2 ORDER BY created, reply_seq "
	    "LIMIT 1) + 1");
	int n = 0, r;

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - 3600);
	if ((r = store_row(st, cause)) > 0)
		n = sqlite3_column_int(st, 0);	/* NULL: none in the hour */
	store_done(st);
	if (r < 0)
		return -1;
	/* A clock set back can order the numbers against the times. */
	if (n < 0)
		n = 0;
	return n < limit ? n : limit;
}

/* Mail an older pactd left 'sending' had not been taken: queued. */
static int
outbox_requeue_sending(struct store *s, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET state = ?1 "
	    "WHERE state = ?2");

	sqlite3_bind_text(st, 1, outbox_strstate(OUTBOX_QUEUED), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, OUTBOX_NAME_SENDING, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st, cause);
}

/* The ids of the mail left delivering, read before any of it moves. */
static int
outbox_delivering(struct store *s, long long **ids, size_t *n,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id FROM outbox WHERE "
	    "state = ? ORDER BY id");
	int r;

	*ids = NULL;
	*n = 0;
	sqlite3_bind_text(st, 1, outbox_strstate(OUTBOX_DELIVERING), -1,
	    SQLITE_STATIC);
	while ((r = store_row(st, cause)) > 0) {
		*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	store_done(st);
	return r;
}

/* One mail whose final dot had left: the server took it. */
static int
outbox_recover_one(struct store *s, long long id, char **cause)
{
	sqlite3_stmt *st;
	char *detail;
	int rc;

	if ((rc = outbox_enter(s, id, OUTBOX_SENT, cause)) <= 0)
		return rc;
	st = store_prepare(s, "UPDATE outbox SET attempts = attempts + 1, "
	    "sent_at = ?2 WHERE id = ?1 RETURNING message_id, ref, rcpt");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, clock_now());
	if ((rc = store_row(st, cause)) > 0) {
		detail = xasprintf("to %s (taken by the server before a "
		    "restart)", sqlite3_column_text(st, 2));
		rc = audit_append(s, "mail sent", (const char *)
		    sqlite3_column_text(st, 1), (const char *)
		    sqlite3_column_text(st, 0), detail, cause) != 0 ? -1 : 1;
		free(detail);
	}
	store_done(st);
	return rc;
}

int
outbox_recover(struct store *s, char **cause)
{
	long long *ids;
	size_t n;
	int rc;

	if (outbox_requeue_sending(s, cause) != 0 ||
	    store_begin(s, cause) != 0)
		return -1;
	rc = outbox_delivering(s, &ids, &n, cause);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (outbox_recover_one(s, ids[i], cause) < 0)
			rc = -1;
	free(ids);
	if (rc != 0 || store_commit(s, cause) != 0) {
		store_rollback(s);
		return -1;
	}
	if (n > 0)
		log_warnx("outbox: %zu mail(s) taken by the server before a "
		    "restart; counted as sent", n);
	return 0;
}

int
outbox_expire(struct store *s, int days, time_t now, char **cause)
{
	/* The partial index holds only bodies still kept: no scan of the
	 * mail whose bodies are gone. */
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET data = X'' "
	    "WHERE length(data) > 0 AND state IN " OUTBOX_SQL_DONE " AND "
	    "coalesce(sent_at, created) < ?1");
	int n;

	sqlite3_bind_int64(st, 1, (long long)now - (long long)days * 86400);
	if (store_exec_stmt(s, st, cause) != 0)
		return -1;
	if ((n = sqlite3_changes(s->db)) > 0)
		log_info("outbox: dropped the text of %d mail(s) sent more "
		    "than %d days ago", n, days);
	return n;
}

/* The row a report names: by the envelope sender's ID and tag, else by
 * the original Message-ID when the report's recipient is that row's. */
/* The row a report names: by the envelope sender's ID and tag, else by
 * the original Message-ID when the report's recipient is that row's.
 * Its id, 0 when none, -1 with *cause. */
static long long
outbox_bounce_row(struct store *s, const struct bounce *b, char **cause)
{
	sqlite3_stmt *st;
	char tag[OUTBOX_TAG + 1];
	long long id = 0, rowid;
	int r = 0;

	if (b->envid != NULL && bounce_envid_split(b->envid, &rowid, tag,
	    sizeof tag) == 0) {
		st = store_prepare(s, "SELECT id FROM outbox WHERE id = ? AND "
		    "bounce_tag = ?");
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
		if ((r = store_row(st, cause)) > 0)
			id = sqlite3_column_int64(st, 0);
		store_done(st);
	}
	if (r < 0)
		return -1;
	if (id != 0 || b->orig_mid == NULL)
		return id;
	st = store_prepare(s, "SELECT id FROM outbox WHERE message_id = ? AND "
	    "(?2 IS NULL OR rcpt = ?2 COLLATE NOCASE)");
	sqlite3_bind_text(st, 1, b->orig_mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->rcpt, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0)
		id = sqlite3_column_int64(st, 0);
	store_done(st);
	return r < 0 ? -1 : id;
}

int
outbox_bounced(struct store *s, const struct bounce *b, const char *key,
    time_t now, char **cause)
{
	long long id = outbox_bounce_row(s, b, cause);
	sqlite3_stmt *st;
	char *mid = NULL, *ref = NULL, *rcpt = NULL, *detail;
	int rc;

	if (id <= 0)
		return (int)id;
	/* Only mail the server took: a report cannot undo a failure, and
	 * one marked before stays as it was. */
	if ((rc = outbox_move(s, id, OUTBOX_BIT(OUTBOX_SENT) |
	    OUTBOX_BIT(OUTBOX_DELIVERING), OUTBOX_BOUNCED, cause)) <= 0)
		return rc < 0 ? -1 : 1;
	st = store_prepare(s, "UPDATE outbox SET status = ?, diagnostic = ?, "
	    "bounced_at = ? WHERE id = ? RETURNING message_id, ref, rcpt");
	sqlite3_bind_text(st, 1, b->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->diagnostic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	if ((rc = store_row(st, cause)) > 0) {
		mid = store_col(st, 0);
		ref = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL :
		    store_col(st, 1);
		rcpt = store_col(st, 2);
	}
	store_done(st);
	if (rc < 0)
		return -1;
	if (mid == NULL)
		return 1;	/* gone meanwhile */
	log_info("<%s> to %s bounced: %s %s", mid, rcpt, b->status,
	    b->diagnostic ? b->diagnostic : "");
	detail = xasprintf("to %s: %s%s%s (report %s)", rcpt, b->status,
	    b->diagnostic ? " " : "", b->diagnostic ? b->diagnostic : "", key);
	rc = audit_append(s, "mail bounced", ref, mid, detail, cause);
	free(detail);
	free(mid);
	free(ref);
	free(rcpt);
	return rc != 0 ? -1 : 1;
}

time_t
outbox_next_due(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT min(next_try) FROM outbox "
	    "WHERE state = ?");
	time_t t = 0;

	sqlite3_bind_text(st, 1, outbox_strstate(OUTBOX_QUEUED), -1,
	    SQLITE_STATIC);
	if (store_row(st, NULL) > 0 &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(st, 0);
	store_done(st);
	return t;
}

/* The state an attempt leaves a mail in. */
static enum outbox_state
outbox_outcome(enum smtp_result r, time_t now, time_t created)
{
	switch (r) {
	case SMTP_OK:
		return OUTBOX_SENT;
	case SMTP_REFUSED:
		return OUTBOX_BOUNCED;
	case SMTP_PERMFAIL:
		return OUTBOX_FAILED;
	default:
		return now - created > OUTBOX_GIVE_UP ? OUTBOX_FAILED :
		    OUTBOX_QUEUED;
	}
}

/* Record the outcome of one attempt with its audit entry, inside the
 * caller's transaction; reply is the server's answer to a refusal. */
static int
outbox_settle(struct store *s, long long id, const char *mid,
    const char *ref, const char *rcpt, enum smtp_result r, const char *err,
    const char *reply, int attempts, time_t created, char **cause)
{
	time_t now = clock_now();
	long wait = 60L << (attempts < 6 ? attempts : 6);
	enum outbox_state to = outbox_outcome(r, now, created);
	sqlite3_stmt *st;
	char *detail, *status = NULL;
	int rc;

	if (wait > OUTBOX_MAX_WAIT)
		wait = OUTBOX_MAX_WAIT;
	if (r == SMTP_REFUSED)
		status = bounce_smtp_status(reply);
	st = store_prepare(s, "UPDATE outbox SET attempts = ?2, "
	    "next_try = ?3, last_error = ?4, sent_at = ?5, status = ?6, "
	    "diagnostic = ?7, bounced_at = ?8 WHERE id = ?9");
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int64(st, 3, now + wait);
	sqlite3_bind_text(st, 4, err, -1, SQLITE_STATIC);
	if (r == SMTP_OK)
		sqlite3_bind_int64(st, 5, now);
	if (r == SMTP_REFUSED) {
		sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, reply && *reply ? reply : err, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, now);
	}
	sqlite3_bind_int64(st, 9, id);
	detail = xasprintf("to %s%s%s", rcpt, err ? ": " : "", err ? err : "");
	rc = store_exec_stmt(s, st, cause) != 0 ||
	    outbox_enter(s, id, to, cause) < 0 ||
	    (to != OUTBOX_QUEUED && audit_append(s, r == SMTP_OK ?
	    "mail sent" : r == SMTP_REFUSED ? "mail bounced" : "mail failed",
	    ref, mid, detail, cause) != 0);
	free(detail);
	free(status);
	return rc ? -1 : 0;
}

struct delivering {
	struct store *store;
	long long id;
	int quick;	/* the store is in quick-write mode: restore it */
};

/*
 * Called by smtp.c once the whole message is sent, just before the final
 * dot. What happens between the mark and the dot is the only window in
 * which a kill loses a mail, so it is kept to the mark's own write (and
 * the read of the row's state, which the page cache holds): no
 * fsync (a kill pending during an fsync would land right after it, just
 * where the dot has not yet left) and no WAL checkpoint (which may copy
 * megabytes); both come back in outbox_quick_end, once the dot is sent.
 * Only a power cut can lose the mark, and then the mail goes twice rather
 * than not at all.
 */
static int
outbox_before_end(void *arg)
{
	struct delivering *d = arg;
	char *cause = NULL;
	int rc;

	fault_point("before-dot");
	rc = store_exec(d->store, "PRAGMA synchronous = OFF; "
	    "PRAGMA wal_autocheckpoint = 0", &cause);
	d->quick = 1;
	if (rc == 0)
		rc = outbox_enter(d->store, d->id, OUTBOX_DELIVERING,
		    &cause) < 0 ? -1 : 0;
	if (rc != 0) {
		log_warnx("outbox: %s", cause ? cause : "cannot mark mail");
		free(cause);
	}
	return rc;
}

/* Durable commits and checkpoints again, after the SMTP transaction. */
static int
outbox_quick_end(struct delivering *d, char **cause)
{
	if (!d->quick)
		return 0;
	d->quick = 0;
	return store_exec(d->store, "PRAGMA synchronous = FULL; "
	    "PRAGMA wal_autocheckpoint = 1000", cause);
}

/* One mail the SMTP server took, waiting to be marked sent. */
struct taken {
	long long id;
	char *mid, *ref, *rcpt, *tag;
	int attempts;
	time_t created;
};

static void
taken_free(struct taken *t)
{
	free(t->mid);
	free(t->ref);
	free(t->rcpt);
	free(t->tag);
}

#define OUTBOX_BATCH	64

/* Mark the mails the server took as sent, in one transaction: a kill
 * before it leaves them 'delivering', which recovery counts as sent. */
static int
outbox_settle_taken(struct store *s, struct taken *t, int *n, char **cause)
{
	int rc = 0;

	if (*n == 0)
		return 0;
	if (store_begin(s, cause) != 0)
		rc = -1;
	for (int i = 0; i < *n && rc == 0; i++)
		rc = outbox_settle(s, t[i].id, t[i].mid, t[i].ref, t[i].rcpt,
		    SMTP_OK, NULL, NULL, t[i].attempts, t[i].created, cause);
	if (rc == 0 && store_commit(s, cause) != 0)
		rc = -1;
	if (rc != 0)
		store_rollback(s);
	for (int i = 0; i < *n; i++)
		taken_free(&t[i]);
	*n = 0;
	return rc;
}

/* The next mail that is due after the one with id after: 1, 0 when
 * none, -1 with *cause. A run never takes the same mail twice. */
static int
outbox_next(struct store *s, long long after, struct taken *t, char **data,
    size_t *len, char **cause)
{
	/* The partial index keeps this a step, however many are sent. */
	sqlite3_stmt *st = store_prepare(s, "SELECT id, rcpt, data, attempts, "
	    "created, message_id, ref, bounce_tag FROM outbox INDEXED BY "
	    "outbox_queued WHERE state = " OUTBOX_SQL(OUTBOX_NAME_QUEUED) " "
	    "AND next_try <= ? AND id > ? ORDER BY id LIMIT 1");
	int found;

	sqlite3_bind_int64(st, 1, clock_now());
	sqlite3_bind_int64(st, 2, after);
	if ((found = store_row(st, cause)) > 0) {
		t->id = sqlite3_column_int64(st, 0);
		t->rcpt = store_col(st, 1);
		*len = sqlite3_column_bytes(st, 2);
		*data = xstrndup(sqlite3_column_blob(st, 2), *len);
		t->attempts = sqlite3_column_int(st, 3) + 1;
		t->created = sqlite3_column_int64(st, 4);
		t->mid = store_col(st, 5);
		t->ref = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL :
		    store_col(st, 6);
		t->tag = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL :
		    store_col(st, 7);
	}
	store_done(st);
	return found;
}

int
outbox_run(struct store *s, struct smtp *smtp, volatile sig_atomic_t *stop,
    int *tempfail, char **cause)
{
	struct taken batch[OUTBOX_BATCH], t;
	int n = 0, sent = 0, rc = 0, more;
	char *data, *err, *again = NULL;
	long long last = 0;
	size_t len;

	*tempfail = 0;
	while ((stop == NULL || !*stop) &&
	    (more = outbox_next(s, last, &t, &data, &len, cause)) != 0) {
		struct delivering dv = { s, t.id, 0 };
		enum smtp_result r;
		char *envid;

		if (more < 0) {
			rc = -1;
			break;
		}
		envid = t.tag ? bounce_envid(t.id, t.tag) : NULL;
		last = t.id;
		err = NULL;
		watchdog_feed();
		r = smtp_send(smtp, envid, t.rcpt, data, len, outbox_before_end,
		    &dv, &err);
		free(envid);
		free(data);
		if (outbox_quick_end(&dv, cause) != 0) {
			taken_free(&t);
			free(err);
			rc = -1;
			break;
		}
		if (r == SMTP_OK) {
			fault_point("after-dot");
			log_info("sent <%s> to %s%s%s", t.mid, t.rcpt,
			    t.ref ? " " : "", t.ref ? t.ref : "");
			sent++;
			batch[n++] = t;
			if (n == OUTBOX_BATCH &&
			    (rc = outbox_settle_taken(s, batch, &n, cause)) != 0)
				break;
			continue;
		}
		log_warnx("sending <%s> to %s: %s", t.mid, t.rcpt, err);
		if ((rc = outbox_settle_taken(s, batch, &n, cause)) == 0 &&
		    store_begin(s, cause) == 0) {
			if ((rc = outbox_settle(s, t.id, t.mid, t.ref, t.rcpt, r,
			    err, smtp_last_reply(smtp), t.attempts, t.created,
			    cause)) == 0)
				rc = store_commit(s, cause);
			else
				store_rollback(s);
		} else
			rc = -1;
		taken_free(&t);
		free(err);
		if (rc != 0 || r == SMTP_TEMPFAIL) {
			*tempfail = r == SMTP_TEMPFAIL;
			break;	/* the server is down or busy: later */
		}
	}
	/* After a failure, its cause is the one to tell. */
	if (outbox_settle_taken(s, batch, &n, rc == 0 ? cause : &again) != 0)
		rc = -1;
	free(again);
	return rc != 0 ? -1 : sent;
}
