/* pactctl parties, members, ballots, ballot REF, declarations,
 * initiatives, statuses: the pact's state as the secretariat sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ballot.h"
#include "ctl.h"
#include "util.h"

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
	int row = 0;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; row >= 0 && i < r->nparties; i++) {
		const struct party *pt = &r->parties[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, pt->id, -1, SQLITE_STATIC);
		if ((row = store_row(st, NULL)) < 0)
			break;
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
		    ctl_num(n, sizeof n, (long long)pt->ndelegates) });
	}
	store_done(st);
	json_arr_end(&j);
	return row < 0 ? ctl_unread(&j, t) : ctl_finish(ctl, &j, t);
}

static const struct ctl_col member_json[] = {
	{ "ref", 0, CTL_TEXT },
	{ "name", 1, CTL_TEXT },
	{ "type", 2, CTL_TEXT },
	{ "cvr", 3, CTL_TEXT },
	{ "contact_name", 4, CTL_TEXT },
	{ "contact", 5, CTL_TEXT },
	{ "nominated_by", 6, CTL_TEXT },
	{ "approved", 7, CTL_TIME },
	{ "state", 8, CTL_TEXT },
	{ "withdrawn", 9, CTL_TIME },
};

static const struct ctl_col member_text[] = {
	{ "REF", 0, CTL_TEXT },
	{ "STATE", 8, CTL_TEXT },
	{ "NAME", 1, CTL_TEXT },
	{ "CVR", 3, CTL_TEXT },
	{ "NOMINATED BY", 6, CTL_TEXT },
	{ "APPROVED", 7, CTL_TIME },
};

static const struct ctl_list member_list = {
	"SELECT ref, organisation, type, cvr, contact_name, contact_addr, "
	"nominated_by, approved, state, withdrawn FROM associates ORDER BY "
	"approved",
	member_json, nitems(member_json), member_text, nitems(member_text)
};

int
ctl_members(struct ctl *ctl, int argc, char **argv)
{
	return ctl_list(ctl, &member_list);
}

/* One ballot's members of the JSON document (SPEC section 9); -1 when a
 * read failed. */
static int
ballot_json(struct ctl *ctl, struct json *j, sqlite3_stmt *st, int votes)
{
	const char *ref = store_text(st, 0);
	struct tally t;
	int r;

	if (ballot_tally(ctl->store, ref, (int)ctl->conf->roster.nparties, &t,
	    NULL) != 0)
		return -1;
	json_str(j, "ref", ref);
	json_str(j, "organisation", store_text(st, 1));
	json_str(j, "state", store_text(st, 2));
	ctl_json_time(j, "deadline", st, 3);
	json_int(j, "yes", t.yes);
	json_int(j, "no", t.no);
	json_int(j, "abstain", t.abstain);
	json_int(j, "not_voted", t.parties - t.voted);
	json_str(j, "nominated_by", store_text(st, 4));
	ctl_json_time(j, "opened", st, 5);
	ctl_json_time(j, "closed", st, 6);
	if (!votes)
		return 0;
	sqlite3_stmt *v = store_prepare(ctl->store, "SELECT party, vote, at "
	    "FROM votes WHERE ref = ? ORDER BY at");
	sqlite3_bind_text(v, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(j, "votes");
	while ((r = store_row(v, NULL)) > 0) {
		json_obj_begin(j, NULL);
		json_str(j, "party", store_text(v, 0));
		json_str(j, "vote", store_text(v, 1));
		ctl_json_time(j, "at", v, 2);
		json_obj_end(j);
	}
	json_arr_end(j);
	store_done(v);
	return r;
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
	int r;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		json_obj_begin(&j, NULL);
		if (ballot_json(ctl, &j, st, 0) != 0) {
			r = -1;
			break;
		}
		json_obj_end(&j);
		table_add(t, (const char *const[]){ store_text(st, 0),
		    store_text(st, 2), store_text(st, 1), ctl_when(at, sizeof at,
		    st, 3) });
	}
	store_done(st);
	free(sql);
	json_arr_end(&j);
	return r < 0 ? ctl_unread(&j, t) : ctl_finish(ctl, &j, t);
}

/* One ballot for people: its fields, the tally, then each vote; -1 when
 * a read failed. */
static int
ballot_text(struct ctl *ctl, sqlite3_stmt *st, const char *ref)
{
	static const char *const head[] = { "PARTY", "VOTE", "AT" };
	struct table *tb;
	sqlite3_stmt *v;
	struct tally t;
	char at[40], *tally;
	int r;

	if (ballot_tally(ctl->store, ref, (int)ctl->conf->roster.nparties, &t,
	    NULL) != 0)
		return -1;
	tb = table_new(head, nitems(head));
	ctl_field("ballot", ref);
	ctl_field("admission of", store_text(st, 1));
	ctl_field("state", store_text(st, 2));
	ctl_field("deadline", ctl_when(at, sizeof at, st, 3));
	tally = xasprintf("yes %d, no %d, abstain %d, not voted %d", t.yes,
	    t.no, t.abstain, t.parties - t.voted);
	ctl_field("tally", tally);
	free(tally);
	v = store_prepare(ctl->store, "SELECT party, vote, at FROM votes "
	    "WHERE ref = ? ORDER BY at");
	sqlite3_bind_text(v, 1, ref, -1, SQLITE_STATIC);
	while ((r = store_row(v, NULL)) > 0)
		table_add(tb, (const char *const[]){ store_text(v, 0),
		    store_text(v, 1), ctl_when(at, sizeof at, v, 2) });
	store_done(v);
	if (r == 0) {
		printf("\n");
		table_print(tb, stdout);
	}
	table_free(tb);
	return r;
}

int
ctl_ballot(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st;
	struct json j;
	int r;

	if ((st = ctl_one(ctl, ballot_sql, "b.ref", argv[0], "ballot",
	    &r)) == NULL)
		return r;
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	r = ballot_json(ctl, &j, st, 1);
	json_obj_end(&j);
	if (ctl->json && r == 0)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		if (r == 0)
			r = ballot_text(ctl, st, argv[0]);
	}
	store_done(st);
	return r < 0 ? CTL_FAIL : CTL_OK;
}

static const struct ctl_col declaration_json[] = {
	{ "ref", 0, CTL_TEXT },
	{ "party", 1, CTL_TEXT },
	{ "version", 2, CTL_NUM },
	{ "motivation", 3, CTL_TEXT },
	{ "objectives", 4, CTL_LINES },
	{ "contribution", 5, CTL_TEXT },
	{ "submitted", 6, CTL_TIME },
};

static const struct ctl_col declaration_text[] = {
	{ "REF", 0, CTL_TEXT },
	{ "PARTY", 1, CTL_TEXT },
	{ "VERSION", 2, CTL_VERSION },
	{ "SUBMITTED", 6, CTL_TIME },
	{ "MOTIVATION", 3, CTL_TEXT },
};

static const struct ctl_list declaration_list = {
	"SELECT ref, party, version, motivation, objectives, contribution, "
	"submitted FROM declarations ORDER BY party, version",
	declaration_json, nitems(declaration_json),
	declaration_text, nitems(declaration_text)
};

int
ctl_declarations(struct ctl *ctl, int argc, char **argv)
{
	return ctl_list(ctl, &declaration_list);
}

static const struct ctl_col initiative_json[] = {
	{ "ref", 0, CTL_TEXT },
	{ "title", 1, CTL_TEXT },
	{ "description", 2, CTL_TEXT },
	{ "purposes", 3, CTL_COMMAS },
	{ "partners", 4, CTL_LINES },
	{ "link", 5, CTL_TEXT },
	{ "by", 6, CTL_TEXT },
	{ "party", 7, CTL_TEXT },
	{ "associate", 8, CTL_TEXT },
	{ "submitted", 9, CTL_TIME },
	{ "sparring", 10, CTL_NUM },	/* the advisory board's answers */
};

static const struct ctl_col initiative_text[] = {
	{ "REF", 0, CTL_TEXT },
	{ "TITLE", 1, CTL_TEXT },
	{ "PURPOSES", 3, CTL_TEXT },
	{ "BY", 6, CTL_TEXT },
	{ "SUBMITTED", 9, CTL_TIME },
};

static const struct ctl_list initiative_list = {
	"SELECT ref, title, description, purposes, partners, link, by_name, "
	"by_party, by_associate, submitted, (SELECT count(*) FROM sparring s "
	"WHERE s.initiative = i.ref) FROM initiatives i ORDER BY submitted",
	initiative_json, nitems(initiative_json),
	initiative_text, nitems(initiative_text)
};

int
ctl_initiatives(struct ctl *ctl, int argc, char **argv)
{
	return ctl_list(ctl, &initiative_list);
}

/* A status's comments as a JSON array; -1 when a read failed. */
static int
status_comments(struct ctl *ctl, struct json *j, const char *ref)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT ref, by_name, "
	    "by_addr, text, submitted FROM comments WHERE status_ref = ? "
	    "ORDER BY submitted");
	int r;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(j, "comments");
	while ((r = store_row(st, NULL)) > 0) {
		json_obj_begin(j, NULL);
		json_str(j, "ref", store_text(st, 0));
		json_str(j, "by", store_text(st, 1) ? store_text(st, 1) :
		    store_text(st, 2));
		json_str(j, "text", store_text(st, 3));
		ctl_json_time(j, "submitted", st, 4);
		json_obj_end(j);
	}
	json_arr_end(j);
	store_done(st);
	return r;
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
	int r;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		json_obj_begin(&j, NULL);
		json_str(&j, "ref", store_text(st, 0));
		json_int(&j, "year", sqlite3_column_int(st, 1));
		json_str(&j, "text", store_text(st, 2));
		json_str(&j, "pdf", store_text(st, 3));
		ctl_json_time(&j, "deadline", st, 4);
		ctl_json_time(&j, "submitted", st, 5);
		ctl_json_time(&j, "published", st, 6);
		if (status_comments(ctl, &j, store_text(st, 0)) != 0) {
			r = -1;
			break;
		}
		json_obj_end(&j);
		table_add(t, (const char *const[]){ store_text(st, 0),
		    ctl_num(y, sizeof y, sqlite3_column_int(st, 1)),
		    sqlite3_column_type(st, 6) == SQLITE_NULL ?
		    "in consultation" : "published",
		    ctl_num(n, sizeof n, sqlite3_column_int(st, 7)),
		    ctl_when(at, sizeof at, st, 6) });
	}
	store_done(st);
	json_arr_end(&j);
	return r < 0 ? ctl_unread(&j, t) : ctl_finish(ctl, &j, t);
}
