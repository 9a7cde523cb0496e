/*
 * pactctl forget ADDRESS: a person's address, the names they went by and
 * their text leave the database: the columns that name them, any other
 * text column that still does, the outbox's mail in its decoded form
 * (redact.c) and the audit log's payloads (audit_forget), in one
 * transaction; then VACUUM, so that no freed page keeps a copy. Their
 * organisation's votes and admission stay, and the chain verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "outbox.h"
#include "redact.h"
#include "util.h"

/* What forget erases: the address, the names it went by, its text. */
static const char *const forget_sql[] = {
	"UPDATE processed SET sender = '[forgotten]', subject = NULL "
	    "WHERE sender = ?1",
	"UPDATE declarations SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE nominations SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE nominations SET contact_addr = '[forgotten]', contact_name = "
	    "NULL WHERE contact_addr = ?1",
	"UPDATE associates SET contact_addr = '[forgotten]', contact_name = "
	    "NULL WHERE contact_addr = ?1",
	"UPDATE initiatives SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE votes SET voter = '[forgotten]' WHERE voter = ?1",
	"UPDATE comments SET by_addr = '[forgotten]', by_name = NULL, text = "
	    "'[forgotten]' WHERE by_addr = ?1",
	"UPDATE sparring SET by_addr = '[forgotten]', by_name = NULL, text = "
	    "'[forgotten]' WHERE by_addr = ?1",
	"UPDATE tokens SET addr = '[forgotten]' WHERE addr = ?1",
	"UPDATE attendees SET addr = '[forgotten]:' || rowid, name = NULL "
	    "WHERE addr = ?1",
	"UPDATE outbox SET rcpt = '[forgotten]', subject = '[forgotten]', "
	    "data = '' WHERE rcpt = ?1",
	"UPDATE processed SET subject = NULL WHERE instr(subject, ?1)",
};

/* One outbox row that still has its text. */
struct kept {
	long long id;
	char *rcpt, *state, *ref, *data;
	size_t len;
};

/* The next such row after the one with id after: 1, 0, or -1 with
 * *cause. */
static int
kept_next(struct ctl *ctl, long long after, struct kept *k, char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT id, rcpt, "
	    "state, ref, data FROM outbox WHERE id > ?1 AND length(data) > 0 "
	    "ORDER BY id LIMIT 1");
	int found;

	sqlite3_bind_int64(st, 1, after);
	if ((found = store_row(st, cause)) > 0) {
		k->id = sqlite3_column_int64(st, 0);
		k->rcpt = store_col(st, 1);
		k->state = store_col(st, 2);
		k->ref = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
		    store_col(st, 3);
		k->len = sqlite3_column_bytes(st, 4);
		k->data = xstrndup(sqlite3_column_blob(st, 4), k->len);
	}
	store_done(st);
	return found;
}

static void
kept_free(struct kept *k)
{
	free(k->rcpt);
	free(k->state);
	free(k->ref);
	free(k->data);
}

/* Queued mail that cannot go redacted does not go: failed, its text
 * gone, with a line for the operator and one in the audit log. */
static int
forget_unsend(struct ctl *ctl, const struct kept *k, const char *why,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "UPDATE outbox SET "
	    "data = X'', last_error = ?2 WHERE id = ?1");
	char *err = xasprintf("not sent: %s", why), *detail;
	int rc;

	sqlite3_bind_int64(st, 1, k->id);
	sqlite3_bind_text(st, 2, err, -1, SQLITE_STATIC);
	detail = xasprintf("outbox %lld: %s", k->id, err);
	rc = store_exec_stmt(ctl->store, st, cause) != 0 ||
	    outbox_enter(ctl->store, k->id, OUTBOX_FAILED, cause) < 0 ||
	    audit_append(ctl->store, "mail dropped", k->ref, NULL, detail,
	    cause) != 0 ? -1 : 0;
	if (rc == 0)
		fprintf(stderr, "pactctl: forget: queued mail %lld%s%s %s\n",
		    k->id, k->ref ? " " : "", k->ref ? k->ref : "", err);
	free(detail);
	free(err);
	return rc;
}

static int
forget_set_data(struct ctl *ctl, long long id, const char *data,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "UPDATE outbox SET "
	    "data = ?2 WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, data, strlen(data), SQLITE_STATIC);
	return store_exec_stmt(ctl->store, st, cause);
}

/* One stored mail: redacted in its decoded form and encoded again. When
 * a decoding of the result still finds the person, sent mail loses its
 * text and queued mail is not sent: better no copy than a leaking one. */
static int
forget_mail(struct ctl *ctl, const struct kept *k, const char *addr,
    const struct strv *needles, char **cause)
{
	int queued = outbox_parse_state(k->state) == OUTBOX_QUEUED, n, rc;
	char *red;

	if (queued && strcasecmp(k->rcpt, addr) == 0)
		return forget_unsend(ctl, k, "its recipient was forgotten",
		    cause);
	if (!redact_mentions(k->data, k->len, needles))
		return 0;
	red = redact_mail(k->data, k->len, needles, &n);
	if (!redact_mentions(red, strlen(red), needles))
		rc = forget_set_data(ctl, k->id, red, cause);
	else if (queued)
		rc = forget_unsend(ctl, k, "it names a forgotten person and "
		    "could not be redacted", cause);
	else
		rc = forget_set_data(ctl, k->id, "", cause);
	free(red);
	return rc;
}

/* Every mail in the outbox that still has its text. */
static int
forget_outbox(struct ctl *ctl, const char *addr, const struct strv *needles,
    char **cause)
{
	struct kept k;
	long long last = 0;
	int rc = 0;

	while (rc == 0 && (rc = kept_next(ctl, last, &k, cause)) > 0) {
		last = k.id;
		rc = forget_mail(ctl, &k, addr, needles, cause);
		kept_free(&k);
	}
	return rc;
}

/* The rows of one column that hold a needle, found by its first word
 * (SQL cannot match across a line break; redact_string can). */
static int
column_hits(struct ctl *ctl, const char *table, const char *column,
    const char *needle, struct strv *rowids)
{
	char *sql = xasprintf("SELECT rowid FROM \"%s\" WHERE typeof(\"%s\") "
	    "= 'text' AND instr(lower(\"%s\"), lower(?1))", table, column,
	    column), *first = xstrndup(needle, strcspn(needle, " \t\r\n"));
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(ctl->store->db, sql, -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, first, -1, SQLITE_STATIC);
		while ((rc = store_row(st, NULL)) > 0)
			strv_addn(rowids, xasprintf("%lld",
			    (long long)sqlite3_column_int64(st, 0)));
		sqlite3_finalize(st);
	} else
		rc = -1;
	free(first);
	free(sql);
	return rc;
}

/* Redact one cell in place. */
static int
cell_redact(struct ctl *ctl, const char *table, const char *column,
    const char *rowid, const struct strv *needles)
{
	char *get = xasprintf("SELECT \"%s\" FROM \"%s\" WHERE rowid = %s",
	    column, table, rowid), *set = xasprintf("UPDATE \"%s\" SET \"%s\" "
	    "= ?1 WHERE rowid = %s", table, column, rowid), *red = NULL;
	sqlite3_stmt *st;
	int n = 0, rc = -1;

	if (sqlite3_prepare_v2(ctl->store->db, get, -1, &st, NULL) ==
	    SQLITE_OK) {
		if (store_row(st, NULL) > 0)
			red = redact_string((const char *)sqlite3_column_text(
			    st, 0), needles, &n);
		sqlite3_finalize(st);
	}
	if (red != NULL && n == 0)
		rc = 0;
	else if (red != NULL && sqlite3_prepare_v2(ctl->store->db, set, -1,
	    &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, red, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
	}
	free(red);
	free(set);
	free(get);
	return rc;
}

/* Whatever column still holds the person's name or address, in free
 * text too (a nomination's Fit naming its contact): the log has its own
 * forget, the outbox's mail is decoded first. */
static int
forget_columns(struct ctl *ctl, const struct strv *needles, char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT m.name, c.name "
	    "FROM sqlite_schema AS m, pragma_table_info(m.name) AS c WHERE "
	    "m.type = 'table' AND m.name NOT IN ('log', 'sqlite_sequence') "
	    "AND NOT (m.name = 'outbox' AND c.name = 'data')");
	struct strv cols = { 0 }, rows;
	int rc;

	while ((rc = store_row(st, cause)) > 0) {
		strv_add(&cols, (const char *)sqlite3_column_text(st, 0));
		strv_add(&cols, (const char *)sqlite3_column_text(st, 1));
	}
	store_done(st);
	if (rc < 0) {
		strv_free(&cols);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i + 1 < cols.n; i += 2)
		for (size_t k = 0; rc == 0 && k < needles->n; k++) {
			memset(&rows, 0, sizeof rows);
			rc = column_hits(ctl, cols.v[i], cols.v[i + 1],
			    needles->v[k], &rows);
			for (size_t r = 0; rc == 0 && r < rows.n; r++)
				rc = cell_redact(ctl, cols.v[i], cols.v[i + 1],
				    rows.v[r], needles);
			strv_free(&rows);
		}
	if (rc != 0)
		*cause = store_error(ctl->store);
	strv_free(&cols);
	return rc;
}

/* The roster's names for addr among people. */
static void
people_names(const struct person *p, size_t n, const char *addr,
    struct strv *names)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].name != NULL && strlen(p[i].name) > 2 &&
		    strcasecmp(p[i].addr, addr) == 0 &&
		    !strv_contains_case(names, p[i].name))
			strv_add(names, p[i].name);
}

/* The names an address went by, so that they go too: in the database and
 * in the roster. -1 with *cause: a name not read would not be forgotten. */
static int
forget_names(struct ctl *ctl, const char *addr, struct strv *names,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT contact_name FROM "
	    "associates WHERE contact_addr = ?1 UNION SELECT contact_name FROM "
	    "nominations WHERE contact_addr = ?1 UNION SELECT by_name FROM "
	    "comments WHERE by_addr = ?1 UNION SELECT name FROM attendees "
	    "WHERE addr = ?1");
	const struct roster *r = &ctl->conf->roster;
	int row;

	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	while ((row = store_row(st, cause)) > 0)
		if (sqlite3_column_text(st, 0) != NULL &&
		    sqlite3_column_bytes(st, 0) > 2)
			strv_add(names, (const char *)sqlite3_column_text(st,
			    0));
	store_done(st);
	if (row < 0)
		return -1;
	for (size_t i = 0; i < r->nparties; i++)
		people_names(r->parties[i].delegates, r->parties[i].ndelegates,
		    addr, names);
	people_names(r->advisory.members, r->advisory.nmembers, addr, names);
	people_names(r->secretariat.members, r->secretariat.nmembers, addr,
	    names);
	return 0;
}

static int
forget_run(struct ctl *ctl, const char *addr, int *entries, char **cause)
{
	struct strv needles = { 0 };
	int rc = -1;

	strv_add(&needles, addr);
	/* What retention would drop at the next pass goes now. */
	if (forget_names(ctl, addr, &needles, cause) != 0 ||
	    outbox_expire(ctl->store, ctl->conf->outbox_retention_days,
	    clock_now(), cause) < 0 ||
	    forget_outbox(ctl, addr, &needles, cause) != 0)
		goto out;
	for (size_t i = 0; i < nitems(forget_sql); i++) {
		sqlite3_stmt *st = store_prepare(ctl->store, forget_sql[i]);

		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		if (store_exec_stmt(ctl->store, st, cause) != 0)
			goto out;
	}
	if (forget_columns(ctl, &needles, cause) != 0)
		goto out;
	if ((*entries = audit_forget(ctl->store, &needles, cause)) < 0)
		goto out;
	rc = 0;
out:
	strv_free(&needles);
	return rc;
}

int
ctl_forget(struct ctl *ctl, int argc, char **argv)
{
	char *addr = xstrdup(argv[0]), *cause = NULL;
	int entries = 0, rc = CTL_OK;

	str_lower(addr);
	if (strchr(addr, '@') == NULL) {
		fprintf(stderr, "pactctl: '%s' is not a mail address\n", addr);
		free(addr);
		return CTL_USAGE;
	}
	if ((rc = ctl_audit_key(ctl)) != CTL_OK) {
		free(addr);
		return rc;
	}
	/* Freed pages are zeroed, and VACUUM rewrites the file, so that no
	 * copy of the address stays behind in it. */
	if (audit_open(ctl->store, &cause) < 0 ||
	    store_exec(ctl->store, "PRAGMA secure_delete = ON", &cause) != 0 ||
	    store_begin(ctl->store, &cause) != 0 ||
	    forget_run(ctl, addr, &entries, &cause) != 0 ||
	    store_commit(ctl->store, &cause) != 0 ||
	    store_exec(ctl->store, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE)",
	    &cause) != 0) {
		store_rollback(ctl->store);
		fprintf(stderr, "pactctl: forget: %s\n", cause);
		free(cause);
		rc = CTL_FAIL;
	} else if (ctl->json) {
		struct json j;

		json_init(&j, 1);
		json_obj_begin(&j, NULL);
		json_str(&j, "forgotten", addr);
		json_int(&j, "log_entries", entries);
		json_obj_end(&j);
		ctl_print_json(&j);
	} else
		printf("%s forgotten (%d log entries blanked; the chain stays "
		    "verifiable). Remove it from roster.conf too if it is "
		    "there.\n", addr, entries);
	free(addr);
	return rc;
}
