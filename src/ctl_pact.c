/* pactctl parties, members, ballots, ballot REF, declarations,
 * initiatives, statuses: the pact's state as the secretariat sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "ctl.h"
#include "util.h"

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

static void
json_time(struct json *j, const char *key, sqlite3_stmt *st, int i)
{
	char t[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		json_null(j, key);
		return;
	}
	ctl_time(sqlite3_column_int64(st, i), t, sizeof t);
	json_str(j, key, t);
}

/* A newline-separated column as a JSON array. */
static void
json_lines(struct json *j, const char *key, const char *s, const char *sep)
{
	char *copy = xstrdup(s ? s : ""), *save = NULL;

	json_arr_begin(j, key);
	for (char *l = strtok_r(copy, sep, &save); l; l = strtok_r(NULL, sep,
	    &save))
		json_str(j, NULL, l);
	json_arr_end(j);
	free(copy);
}

/* Print the document, or the table a command built alongside. */
static int
ctl_finish(struct ctl *ctl, struct json *j, struct table *tb)
{
	if (ctl->json)
		ctl_print_json(j);
	else {
		free(json_finish(j));
		table_print(tb, stdout);
	}
	table_free(tb);
	return CTL_OK;
}

/* A number as a cell. */
static const char *
num(char *buf, size_t len, long long n)
{
	snprintf(buf, len, "%lld", n);
	return buf;
}

/* A time column as a cell, in the pact's zone. */
static const char *
when(char *buf, size_t len, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	ctl_local(sqlite3_column_int64(st, i), buf, len);
	return buf;
}

int
ctl_parties(struct ctl *ctl, int argc, char **argv)
{
	const struct roster *r = &ctl->conf->roster;
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT max(version), "
	    "ref FROM declarations WHERE party = ?");
	static const char *const head[] = { "ID", "NAME", "DECLARATION",
	    "DELEGATES" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char v[16], n[16];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; i < r->nparties; i++) {
		const struct party *pt = &r->parties[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, pt->id, -1, SQLITE_STATIC);
		sqlite3_step(st);
		json_obj_begin(&j, NULL);
		json_str(&j, "id", pt->id);
		json_str(&j, "name", pt->name);
		json_arr_begin(&j, "delegates");
		for (size_t d = 0; d < pt->ndelegates; d++)
			json_str(&j, NULL, pt->delegates[d].addr);
		json_arr_end(&j);
		json_int(&j, "declaration_version", sqlite3_column_int(st, 0));
		json_obj_end(&j);
		snprintf(v, sizeof v, "v%d", sqlite3_column_int(st, 0));
		table_add(t, (const char *const[]){ pt->id, pt->name,
		    sqlite3_column_int(st, 0) ? v : NULL,
		    num(n, sizeof n, (long long)pt->ndelegates) });
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}

int
ctl_members(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, "
	    "organisation, type, cvr, contact_name, contact_addr, "
	    "nominated_by, approved, state, withdrawn FROM associates "
	    "ORDER BY approved");
	static const char *const head[] = { "REF", "STATE", "NAME", "CVR",
	    "NOMINATED BY", "APPROVED" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char at[40];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		json_str(&j, "ref", col(st, 0));
		json_str(&j, "name", col(st, 1));
		json_str(&j, "type", col(st, 2));
		json_str(&j, "cvr", col(st, 3));
		json_str(&j, "contact_name", col(st, 4));
		json_str(&j, "contact", col(st, 5));
		json_str(&j, "nominated_by", col(st, 6));
		json_time(&j, "approved", st, 7);
		json_str(&j, "state", col(st, 8));
		json_time(&j, "withdrawn", st, 9);
		json_obj_end(&j);
		table_add(t, (const char *const[]){ col(st, 0), col(st, 8),
		    col(st, 1), col(st, 3), col(st, 6),
		    when(at, sizeof at, st, 7) });
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}

/* One ballot's members of the JSON document (SPEC section 9). */
static void
ballot_json(struct ctl *ctl, struct json *j, sqlite3_stmt *st, int votes)
{
	const char *ref = col(st, 0);
	struct tally t;

	ballot_tally(ctl->store, ref, (int)ctl->conf->roster.nparties, &t);
	json_str(j, "ref", ref);
	json_str(j, "organisation", col(st, 1));
	json_str(j, "state", col(st, 2));
	json_time(j, "deadline", st, 3);
	json_int(j, "yes", t.yes);
	json_int(j, "no", t.no);
	json_int(j, "abstain", t.abstain);
	json_int(j, "not_voted", t.parties - t.voted);
	json_str(j, "nominated_by", col(st, 4));
	json_time(j, "opened", st, 5);
	json_time(j, "closed", st, 6);
	if (!votes)
		return;
	sqlite3_stmt *v = store_prepare(ctl->store, "SELECT party, vote, at "
	    "FROM votes WHERE ref = ? ORDER BY at");
	sqlite3_bind_text(v, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(j, "votes");
	while (sqlite3_step(v) == SQLITE_ROW) {
		json_obj_begin(j, NULL);
		json_str(j, "party", col(v, 0));
		json_str(j, "vote", col(v, 1));
		json_time(j, "at", v, 2);
		json_obj_end(j);
	}
	json_arr_end(j);
	store_done(v);
}

static const char ballot_sql[] = "SELECT b.ref, n.organisation, b.state, "
    "b.deadline, n.party, b.opened, b.closed FROM ballots b JOIN nominations "
    "n ON n.ref = b.ref";

int
ctl_ballots(struct ctl *ctl, int argc, char **argv)
{
	char *sql = xasprintf("%s ORDER BY b.opened", ballot_sql);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	static const char *const head[] = { "REF", "STATE", "ADMISSION OF",
	    "DEADLINE" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char at[40];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		ballot_json(ctl, &j, st, 0);
		json_obj_end(&j);
		table_add(t, (const char *const[]){ col(st, 0), col(st, 2),
		    col(st, 1), when(at, sizeof at, st, 3) });
	}
	store_done(st);
	free(sql);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}

/* One ballot for people: its fields, the tally, then each vote. */
static void
ballot_text(struct ctl *ctl, sqlite3_stmt *st, const char *ref)
{
	static const char *const head[] = { "PARTY", "VOTE", "AT" };
	struct table *tb = table_new(head, nitems(head));
	sqlite3_stmt *v;
	struct tally t;
	char at[40], *tally;

	ballot_tally(ctl->store, ref, (int)ctl->conf->roster.nparties, &t);
	ctl_field("ballot", ref);
	ctl_field("admission of", col(st, 1));
	ctl_field("state", col(st, 2));
	ctl_field("deadline", when(at, sizeof at, st, 3));
	tally = xasprintf("yes %d, no %d, abstain %d, not voted %d", t.yes,
	    t.no, t.abstain, t.parties - t.voted);
	ctl_field("tally", tally);
	free(tally);
	v = store_prepare(ctl->store, "SELECT party, vote, at FROM votes "
	    "WHERE ref = ? ORDER BY at");
	sqlite3_bind_text(v, 1, ref, -1, SQLITE_STATIC);
	while (sqlite3_step(v) == SQLITE_ROW)
		table_add(tb, (const char *const[]){ col(v, 0), col(v, 1),
		    when(at, sizeof at, v, 2) });
	store_done(v);
	printf("\n");
	table_print(tb, stdout);
	table_free(tb);
}

int
ctl_ballot(struct ctl *ctl, int argc, char **argv)
{
	char *sql = xasprintf("%s WHERE b.ref = ?", ballot_sql);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	struct json j;

	free(sql);
	sqlite3_bind_text(st, 1, argv[0], -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_done(st);
		fprintf(stderr, "pactctl: no ballot %s\n", argv[0]);
		return CTL_DATAERR;
	}
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	ballot_json(ctl, &j, st, 1);
	json_obj_end(&j);
	if (ctl->json)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		ballot_text(ctl, st, argv[0]);
	}
	store_done(st);
	return CTL_OK;
}

int
ctl_declarations(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, party, "
	    "version, motivation, objectives, contribution, submitted FROM "
	    "declarations ORDER BY party, version");
	static const char *const head[] = { "REF", "PARTY", "VERSION",
	    "SUBMITTED", "MOTIVATION" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char v[16], at[40];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		json_str(&j, "ref", col(st, 0));
		json_str(&j, "party", col(st, 1));
		json_int(&j, "version", sqlite3_column_int(st, 2));
		json_str(&j, "motivation", col(st, 3));
		json_lines(&j, "objectives", col(st, 4), "\n");
		json_str(&j, "contribution", col(st, 5));
		json_time(&j, "submitted", st, 6);
		json_obj_end(&j);
		snprintf(v, sizeof v, "v%d", sqlite3_column_int(st, 2));
		table_add(t, (const char *const[]){ col(st, 0), col(st, 1), v,
		    when(at, sizeof at, st, 6), col(st, 3) });
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}

int
ctl_initiatives(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, title, "
	    "description, purposes, partners, link, by_name, by_party, "
	    "by_associate, submitted, (SELECT count(*) FROM sparring s WHERE "
	    "s.initiative = i.ref) FROM initiatives i ORDER BY submitted");
	static const char *const head[] = { "REF", "TITLE", "PURPOSES", "BY",
	    "SUBMITTED" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char at[40];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		json_str(&j, "ref", col(st, 0));
		json_str(&j, "title", col(st, 1));
		json_str(&j, "description", col(st, 2));
		json_lines(&j, "purposes", col(st, 3), ",");
		json_lines(&j, "partners", col(st, 4), "\n");
		json_str(&j, "link", col(st, 5));
		json_str(&j, "by", col(st, 6));
		json_str(&j, "party", col(st, 7));
		json_str(&j, "associate", col(st, 8));
		json_time(&j, "submitted", st, 9);
		json_int(&j, "sparring", sqlite3_column_int(st, 10));
		json_obj_end(&j);
		table_add(t, (const char *const[]){ col(st, 0), col(st, 1),
		    col(st, 3), col(st, 6), when(at, sizeof at, st, 9) });
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}

static void
status_comments(struct ctl *ctl, struct json *j, const char *ref)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, by_name, "
	    "by_addr, text, submitted FROM comments WHERE status_ref = ? "
	    "ORDER BY submitted");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(j, "comments");
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(j, NULL);
		json_str(j, "ref", col(st, 0));
		json_str(j, "by", col(st, 1) ? col(st, 1) : col(st, 2));
		json_str(j, "text", col(st, 3));
		json_time(j, "submitted", st, 4);
		json_obj_end(j);
	}
	json_arr_end(j);
	store_done(st);
}

int
ctl_statuses(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, year, text, "
	    "pdf, deadline, submitted, published, (SELECT count(*) FROM "
	    "comments c WHERE c.status_ref = s.ref) FROM statuses s ORDER BY "
	    "year");
	static const char *const head[] = { "REF", "YEAR", "STATE",
	    "COMMENTS", "PUBLISHED" };
	struct table *t = table_new(head, nitems(head));
	struct json j;
	char y[16], n[16], at[40];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		json_str(&j, "ref", col(st, 0));
		json_int(&j, "year", sqlite3_column_int(st, 1));
		json_str(&j, "text", col(st, 2));
		json_str(&j, "pdf", col(st, 3));
		json_time(&j, "deadline", st, 4);
		json_time(&j, "submitted", st, 5);
		json_time(&j, "published", st, 6);
		status_comments(ctl, &j, col(st, 0));
		json_obj_end(&j);
		table_add(t, (const char *const[]){ col(st, 0),
		    num(y, sizeof y, sqlite3_column_int(st, 1)),
		    sqlite3_column_type(st, 6) == SQLITE_NULL ?
		    "in consultation" : "published",
		    num(n, sizeof n, sqlite3_column_int(st, 7)),
		    when(at, sizeof at, st, 6) });
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, t);
}
