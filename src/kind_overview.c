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

/* Whether the sender's party has voted on a ballot. */
static int
party_voted(struct store *s, const char *ref, const char *party)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM votes "
	    "WHERE ref = ? AND party = ?");
	int voted;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
	voted = sqlite3_step(st) == SQLITE_ROW;
	store_done(st);
	return voted;
}

static void
overview_ballots(struct submission *sub, struct answer *ans)
{
	struct store *s = sub->pact->store;
	sqlite3_stmt *st = store_prepare(s, "SELECT b.ref, n.organisation, "
	    "b.deadline FROM ballots b JOIN nominations n ON n.ref = b.ref "
	    "WHERE b.state = 'open' ORDER BY b.deadline");
	char when[64];

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *ref = (const char *)sqlite3_column_text(st, 0);
		struct tvars *item = tvars_add_item(ans->vars, "ballots");

		tvars_set(item, "ref", ref);
		tvars_set(item, "organisation",
		    (const char *)sqlite3_column_text(st, 1));
		clock_format_local(sub->lang, sqlite3_column_int64(st, 2), when,
		    sizeof when);
		tvars_set(item, "deadline", when);
		if (sub->from.role == ROLE_DELEGATE &&
		    !party_voted(s, ref, sub->from.party->id))
			tvars_add_string(ans->vars, "pending", ref);
	}
	store_done(st);
}

static void
overview_meetings(struct submission *sub, struct answer *ans)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT ref, "
	    "title, start, location FROM meetings WHERE state = 'scheduled' "
	    "AND end >= ? ORDER BY start");
	char when[64];

	sqlite3_bind_int64(st, 1, sub->now);
	while (sqlite3_step(st) == SQLITE_ROW) {
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
}

static int
kind_overview(struct submission *sub, struct answer *ans, char **cause)
{
	overview_ballots(sub, ans);
	overview_meetings(sub, ans);
	if (sub->from.role == ROLE_DELEGATE)
		tvars_set(ans->vars, "is_delegate", "yes");
	ans->verdict = VERDICT_ANSWERED;
	ans->template = "overview.txt";
	return 0;
}
