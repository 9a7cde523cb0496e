/* Consultations of the advisory board. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "consult.h"
#include "log.h"
#include "notify.h"
#include "token.h"
#include "util.h"

char *
consult_pdf_path(const struct config *c, const char *ref)
{
	const char *slash = strrchr(c->database, '/');

	if (slash == NULL)
		return xasprintf("status-%s.pdf", ref);
	return xasprintf("%.*s/status-%s.pdf", (int)(slash - c->database),
	    c->database, ref);
}

/* The status's year, text and deadline as mail variables; -1 with
 * *cause. */
static int
consult_vars(struct pact *p, const char *ref, const char *lang,
    struct tvars *v, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT year, text, pdf, "
	    "deadline FROM statuses WHERE ref = ?");
	char when[64];
	int r;

	tvars_set(v, "ref", ref);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0) {
		tvars_setf(v, "year", "%d", sqlite3_column_int(st, 0));
		tvars_set(v, "status", (const char *)sqlite3_column_text(st,
		    1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			tvars_set(v, "pdf", "yes");
			tvars_setf(v, "pdf_url", "%s/status-%s.pdf",
			    p->conf->base_url, ref);
		}
		clock_format_local(lang, sqlite3_column_int64(st, 3), when,
		    sizeof when);
		tvars_set(v, "deadline", when);
	}
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* One consultation mail, carrying the member's token. */
static int
consult_mail(struct pact *p, const char *ref, const struct person *m,
    const char *word, const char *lang, time_t now, char **cause)
{
	struct tvars *v = notice_vars(p);
	struct notice n = {
		.to_addr = m->addr,
		.to_name = m->name,
		.lang = lang,
		.tmpl = "consultation.txt",
		.vars = v,
		.kind = "consultation",
		.ref = ref,
	};
	int rc;

	if ((rc = consult_vars(p, ref, lang, v, cause)) == 0) {
		tvars_set(v, "name", m->name);
		rc = token_notice_queue(p, &n, v, 'c', word, "", 1, now,
		    cause);
	}
	tvars_free(v);
	return rc;
}

int
consult_open(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct group *g = &p->conf->roster.advisory;
	const char *lang = notice_lang(p->conf, g->lang);

	for (size_t i = 0; i < g->nmembers; i++) {
		const struct person *m = &g->members[i];
		struct token t;
		int rc;

		rc = token_issue(p->store, 'c', ref, NULL, m->addr, &t, cause);
		if (rc == 0)
			rc = consult_mail(p, ref, m, t.word, lang, now, cause);
		token_free(&t);
		if (rc != 0)
			return -1;
	}
	return audit_append(p->store, "consultation opened", ref, NULL,
	    "status sent to the advisory board", cause);
}

/* Tell the secretariat the consultation closed and what came in. */
static int
consult_closed_mail(struct pact *p, const char *ref, time_t now,
    char **cause)
{
	const struct group *g = &p->conf->roster.secretariat;
	const char *lang = notice_lang(p->conf, g->lang);
	sqlite3_stmt *st = store_prepare(p->store, "SELECT count(*) FROM "
	    "comments WHERE status_ref = ?");
	struct tvars *v = notice_vars(p);
	struct notice n = {
		.tmpl = "consultation-closed.txt",
		.vars = v,
		.kind = "notice",
		.ref = ref,
		.cause_key = ref,
		.auto_generated = 1,
	};
	int ncomments = 0, rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = store_row(st, cause)) > 0)
		ncomments = sqlite3_column_int(st, 0);
	store_done(st);
	if (rc < 0 || consult_vars(p, ref, lang, v, cause) != 0) {
		tvars_free(v);
		return -1;
	}
	tvars_setf(v, "comments", "%d", ncomments);
	rc = notice_group(p, g, &n, now, cause);
	tvars_free(v);
	return rc;
}

static int
consult_close(struct pact *p, const char *ref, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "UPDATE statuses SET "
	    "published = ? WHERE ref = ? AND published IS NULL");

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if (store_exec_stmt(p->store, st, cause) != 0)
		return -1;
	log_info("%s: consultation closed; comments published", ref);
	return audit_append(p->store, "comments published", ref, NULL,
	    "the consultation closed", cause) != 0 ||
	    consult_closed_mail(p, ref, now, cause) != 0 ? -1 : 0;
}

int
consult_timers(struct pact *p, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT ref FROM statuses "
	    "WHERE published IS NULL AND deadline <= ? ORDER BY ref");
	struct strv due = { 0 };
	int rc;

	sqlite3_bind_int64(st, 1, now);
	while ((rc = store_row(st, cause)) > 0)
		strv_add(&due, (const char *)sqlite3_column_text(st, 0));
	store_done(st);
	for (size_t i = 0; i < due.n && rc == 0; i++) {
		if (store_begin(p->store, cause) != 0 ||
		    consult_close(p, due.v[i], now, cause) != 0 ||
		    store_commit(p->store, cause) != 0) {
			store_rollback(p->store);
			rc = -1;
		}
	}
	strv_free(&due);
	return rc;
}
