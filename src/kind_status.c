/* ÅRSSTATUS / ANNUAL STATUS: the secretariat's written status for a year,
 * as text or an attached PDF; it opens the advisory board's consultation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "clock.h"
#include "consult.h"
#include "fileio.h"
#include "kind.h"
#include "problem.h"
#include "util.h"
#include "validate.h"

static int kind_status(struct submission *, struct answer *, char **);

const struct kind kind_status_entry = {
	.name = "status",
	.keyword = { "ÅRSSTATUS", "ANNUAL STATUS" },
	.roles = ROLE_BIT(ROLE_SECRETARIAT),
	.form = "form-status.txt",
	.fields = FIELD_BIT(F_YEAR) | FIELD_BIT(F_DEADLINE) |
	    FIELD_BIT(F_STATUS),
	.handle = kind_status,
};

struct status {
	int year;
	time_t deadline;
	const char *text;
	const struct mime_part *pdf;
};

/* The first attached PDF, if any. */
static const struct mime_part *
status_pdf(const struct mail *m)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *pt = &m->parts[i];
		size_t fl = pt->filename ? strlen(pt->filename) : 0;

		if (strcmp(pt->content_type, "application/pdf") == 0 ||
		    (fl > 4 && strcasecmp(pt->filename + fl - 4, ".pdf") == 0))
			return pt;
	}
	return NULL;
}

static void
status_check(struct submission *sub, struct answer *ans, struct status *st)
{
	const char *year = kind_require(sub, ans, F_YEAR);
	const char *deadline = sub->fields.f[F_DEADLINE].value;
	char *end;
	int y, m, d;

	if (year != NULL) {
		st->year = (int)strtol(year, &end, 10);
		if (*str_trim(end) != '\0' || st->year < 2000 ||
		    st->year > 2200)
			problem_add(sub, ans, "bad-year", "value", year, NULL);
	}
	st->deadline = deadline_after(sub->now,
	    sub->pact->conf->consultation_days);
	if (deadline != NULL) {
		if (date_parse(deadline, &y, &m, &d) != 0)
			problem_add(sub, ans, "bad-deadline", "value",
			    deadline, NULL);
		else if ((st->deadline = date_local(y, m, d, 1)) <= sub->now)
			problem_add(sub, ans, "deadline-passed", "value",
			    deadline, NULL);
	}
	st->text = sub->fields.f[F_STATUS].value;
	st->pdf = status_pdf(sub->mail);
	if (st->pdf == NULL && (st->text == NULL || *st->text == '\0'))
		problem_add(sub, ans, "status-missing", NULL);
}

/* A status for the year already exists. */
static void
status_duplicate(struct submission *sub, struct answer *ans, int year)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT ref FROM "
	    "statuses WHERE year = ?");
	char y[16];

	sqlite3_bind_int(st, 1, year);
	snprintf(y, sizeof y, "%d", year);
	if (sqlite3_step(st) == SQLITE_ROW)
		problem_add(sub, ans, "status-exists", "year", y, "ref",
		    store_text(st, 0), NULL);
	store_done(st);
}

/* Keep the PDF beside the database, written whole or not at all and
 * durable before the transaction that names it commits. */
static int
status_save_pdf(const struct config *c, const char *ref,
    const struct mime_part *pdf, char **path, char **cause)
{
	*path = consult_pdf_path(c, ref);
	return file_write_atomic(*path, pdf->data, pdf->len, 0644, cause);
}

static int
status_insert(struct submission *sub, const char *ref,
    const struct status *st, const char *pdf, char **cause)
{
	sqlite3_stmt *q = store_prepare(sub->pact->store, "INSERT INTO "
	    "statuses(ref, year, text, pdf, deadline, submitted) "
	    "VALUES(?,?,?,?,?,?)");

	sqlite3_bind_text(q, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, st->year);
	sqlite3_bind_text(q, 3, st->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, pdf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, st->deadline);
	sqlite3_bind_int64(q, 6, sub->now);
	return store_exec_stmt(sub->pact->store, q, cause);
}

static int
kind_status(struct submission *sub, struct answer *ans, char **cause)
{
	struct status st = { 0 };
	char *pdf = NULL, *detail;
	int rc = -1;

	status_check(sub, ans, &st);
	if (ans->problems.n == 0)
		status_duplicate(sub, ans, st.year);
	if (ans->problems.n > 0)
		return 0;
	if (kind_new_ref(sub, ans, cause) != 0 || (st.pdf != NULL &&
	    status_save_pdf(sub->pact->conf, ans->ref, st.pdf, &pdf,
	    cause) != 0))
		return -1;
	detail = xasprintf("annual status %d%s", st.year, pdf ? " (PDF)" : "");
	if (status_insert(sub, ans->ref, &st, pdf, cause) == 0 &&
	    audit_append(sub->pact->store, "annual status", ans->ref,
	    sub->msgkey, detail, cause) == 0 &&
	    consult_open(sub->pact, ans->ref, sub->now, cause) == 0)
		rc = 0;
	free(detail);
	free(pdf);
	if (rc != 0)
		return -1;
	{
		char when[64];

		clock_format_local(sub->lang, st.deadline, when, sizeof when);
		tvars_set(ans->vars, "deadline", when);
	}
	tvars_setf(ans->vars, "year", "%d", st.year);
	tvars_setf(ans->vars, "members", "%zu",
	    sub->pact->conf->roster.advisory.nmembers);
	if (st.pdf != NULL)
		tvars_set(ans->vars, "pdf", "yes");
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "status-receipt.txt";
	return 0;
}
