/* OVERBLIK / OVERVIEW: open ballots, the sender's pending votes, coming
 * meetings. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kind.h"
#include "util.h"

static int kind_overview(struct submission *, struct answer *, char **);

const struct kind kind_overview_entry = {
	.name = "overview",
	.keyword = { "OVERBLIK", "OVERVIEW" },
	.roles = ROLES_ANYONE,
	.form = "form-overview.txt",
	.handle = kind_overview,
};

/* Whether the sender's party has voted on a ballot: 1, 0, or -1. */
static int
party_voted(struct store *s, const char *ref, const char *party,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM votes "
	    "WHERE ref = ? AND party = ?");
	int voted;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
	voted = store_row(st, cause);
	store_done(st);
	return voted;
}

static int
overview_ballots(struct submission *sub, struct answer *ans, char **cause)
{
	struct store *s = sub->pact->store;
	sqlite3_stmt *st = store_prepare(s, "SELECT b.ref, n.organisation, "
	    "b.deadline FROM ballots b JOIN nominations n ON n.ref = b.ref "
	    "WHERE b.state = 'open' ORDER BY b.deadline");
	char when[64];
	int r, voted = 1;

	while ((r = store_row(st, cause)) > 0) {
		const char *ref = (const char *)sqlite3_column_text(st, 0);
		struct tvars *item = tvars_add_item(ans->vars, "ballots");

		tvars_set(item, "ref", ref);
		tvars_set(item, "organisation",
		    (const char *)sqlite3_column_text(st, 1));
		clock_format_local(sub->lang, sqlite3_column_int64(st, 2), when,
		    sizeof when);
		tvars_set(item, "deadline", when);
		if (sub->from.role == ROLE_DELEGATE && (voted = party_voted(s,
		    ref, sub->from.party->id, cause)) < 0)
			break;
		if (!voted)
			tvars_add_string(ans->vars, "pending", ref);
	}
	store_done(st);
	return r < 0 || voted < 0 ? -1 : 0;
}

static int
overview_meetings(struct submission *sub, struct answer *ans, char **cause)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT ref, "
	    "title, start, location FROM meetings WHERE state = 'scheduled' "
	    "AND end >= ? ORDER BY start");
	char when[64];
	int r;

	sqlite3_bind_int64(st, 1, sub->now);
	while ((r = store_row(st, cause)) > 0) {
		struct tvars *item = tvars_add_item(ans->vars, "meetings");

		tvars_set(item, "ref", (const char *)sqlite3_column_text(st, 0));
		tvars_set(item, "title",
		    (const char *)sqlite3_column_text(st, 1));
		clock_format_local(sub->lang, sqlite3_column_int64(st, 2), when,
		    sizeof when);
		tvars_set(item, "start", when);
		tvars_set(item, "location",
		    (const char *)sqlite3_column_text(st, 3));
	}
	store_done(st);
	return r;
}

static int
kind_overview(struct submission *sub, struct answer *ans, char **cause)
{
	if (overview_ballots(sub, ans, cause) != 0 ||
	    overview_meetings(sub, ans, cause) != 0)
		return -1;
	if (sub->from.role == ROLE_DELEGATE)
		tvars_set(ans->vars, "is_delegate", "yes");
	ans->verdict = VERDICT_ANSWERED;
	ans->template = "overview.txt";
	return 0;
}
