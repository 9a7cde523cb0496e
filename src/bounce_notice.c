/*
 * The secretariat learns of bounces once a day: one notice listing every
 * mail that bounced since the last, and what its recipient missed. The
 * day of the last notice and the mail it listed are in the database, in
 * the notice's own transaction, so a restart neither repeats nor loses it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bounce_notice.h"
#include "log.h"
#include "notify.h"
#include "roster.h"

#define BOUNCE_NOTICE_MAX	200	/* listed in one notice; the rest counted */

/* The local calendar day of t, in [pact] timezone: "2026-12-06". */
static void
notice_day(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* What a ballot or meeting mail was about: the nominee, or the title. */
static char *
notice_about(struct store *s, const char *kind, const char *ref)
{
	const char *sql = NULL;
	sqlite3_stmt *st;
	char *about = NULL;

	if (ref == NULL)
		return NULL;
	if (strcmp(kind, "ballot") == 0 || strcmp(kind, "reminder") == 0)
		sql = "SELECT organisation FROM nominations WHERE ref = ?";
	else if (strcmp(kind, "invitation") == 0 ||
	    strcmp(kind, "cancellation") == 0)
		sql = "SELECT title FROM meetings WHERE ref = ?";
	if (sql == NULL)
		return NULL;
	st = store_prepare(s, sql);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		about = store_col(st, 0);
	store_done(st);
	return about;
}

/* One bounced mail as an item of the notice. */
static void
notice_item(struct pact *p, sqlite3_stmt *st, struct tvars *v)
{
	struct tvars *item = tvars_add_item(v, "bounces");
	const char *rcpt = (const char *)sqlite3_column_text(st, 1);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	const char *ref = (const char *)sqlite3_column_text(st, 3);
	char *about = notice_about(p->store, kind, ref);
	struct sender who;

	roster_lookup(p->conf, p->store, rcpt, &who);
	tvars_set(item, "to", rcpt);
	tvars_set(item, "name", who.name);
	tvars_set(item, "org", who.org);
	tvars_set(item, "ref", ref);
	tvars_set(item, "about", about);
	tvars_set(item, "subject", (const char *)sqlite3_column_text(st, 4));
	tvars_set(item, "status", (const char *)sqlite3_column_text(st, 5));
	tvars_set(item, "diagnostic", (const char *)sqlite3_column_text(st, 6));
	if (strcmp(kind, "ballot") == 0 || strcmp(kind, "reminder") == 0)
		tvars_set(item, "is_ballot", "yes");
	else if (strcmp(kind, "invitation") == 0 ||
	    strcmp(kind, "cancellation") == 0)
		tvars_set(item, "is_meeting", "yes");
	else if (strcmp(kind, "reply") == 0)
		tvars_set(item, "is_reply", "yes");
	else
		tvars_set(item, "is_other", "yes");
	free(about);
	sender_free(&who);
}

/* The bounces not yet told, into v; how many there are, and the last id. */
static int
notice_collect(struct pact *p, struct tvars *v, long long *last)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT id, rcpt, kind, "
	    "ref, subject, status, diagnostic FROM outbox INDEXED BY "
	    "outbox_unnoticed WHERE state = 'bounced' AND noticed IS NULL "
	    "ORDER BY id");
	int n = 0;

	*last = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* The notice's own bounces are not listed: no daily echo. */
		if (strcmp((const char *)sqlite3_column_text(st, 2),
		    "bounces") == 0)
			continue;
		if (n++ < BOUNCE_NOTICE_MAX)
			notice_item(p, st, v);
		*last = sqlite3_column_int64(st, 0);
	}
	store_done(st);
	if (n > BOUNCE_NOTICE_MAX)
		tvars_setf(v, "more", "%d", n - BOUNCE_NOTICE_MAX);
	tvars_setf(v, "count", "%d", n);
	return n;
}

/* Queue the notice and record it as told, in one transaction. */
static int
notice_send(struct pact *p, struct tvars *v, long long last,
    const char *day, time_t now, char **cause)
{
	struct notice n = {
		.tmpl = "bounces.txt",
		.vars = v,
		.kind = "bounces",
		.cause_key = "bounces",
		.auto_generated = 1,
	};
	sqlite3_stmt *st;

	if (store_begin(p->store, cause) != 0)
		return -1;
	st = store_prepare(p->store, "UPDATE outbox SET noticed = ? WHERE "
	    "state = 'bounced' AND noticed IS NULL AND id <= ?");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, last);
	if (notice_group(p, &p->conf->roster.secretariat, &n, now, cause) != 0 ||
	    store_exec_stmt(p->store, st, cause) != 0 ||
	    store_meta_set(p->store, "bounce_notice_day", day, cause) != 0 ||
	    audit_append(p->store, "bounce notice", NULL, NULL, day,
	    cause) != 0 || store_commit(p->store, cause) != 0) {
		store_rollback(p->store);
		return -1;
	}
	return 0;
}

int
bounce_notice_run(struct pact *p, time_t now, char **cause)
{
	char day[16], *done = store_meta_get(p->store, "bounce_notice_day");
	struct tvars *v;
	long long last;
	int n, rc = 0;

	notice_day(now, day, sizeof day);
	if (done != NULL && strcmp(done, day) == 0) {
		free(done);
		return 0;
	}
	free(done);
	v = notice_vars(p);
	if ((n = notice_collect(p, v, &last)) > 0 &&
	    (rc = notice_send(p, v, last, day, now, cause)) == 0)
		log_info("bounces: secretariat told of %d bounced mail(s)", n);
	tvars_free(v);
	return rc;
}
