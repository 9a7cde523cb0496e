/* UDMELDELSE / WITHDRAWAL: an associate leaves the pact, on its contact's
 * word or the secretariat's. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "member.h"
#include "problem.h"
#include "util.h"

static int kind_withdrawal(struct submission *, struct answer *, char **);

const struct kind kind_withdrawal_entry = {
	.name = "withdrawal",
	.keyword = { "UDMELDELSE", "WITHDRAWAL" },
	.roles = ROLE_BIT(ROLE_ASSOCIATE) | ROLE_BIT(ROLE_SECRETARIAT),
	.form = "form-withdrawal.txt",
	.fields = FIELD_BIT(F_ORGANISATION),
	.handle = kind_withdrawal,
};

/* The active associate the secretariat names in "Organisation". */
static char *
withdrawal_named(struct submission *sub, struct answer *ans)
{
	const char *org = kind_require(sub, ans, F_ORGANISATION);
	sqlite3_stmt *st;
	char *ref = NULL;

	if (org == NULL)
		return NULL;
	st = store_prepare(sub->pact->store, "SELECT ref FROM associates WHERE "
	    "state = 'active' AND (organisation = ? COLLATE NOCASE OR ref = ? "
	    "COLLATE NOCASE)");
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ref = store_col(st, 0);
	store_done(st);
	if (ref == NULL)
		problem_add(sub, ans, "not-a-member", "value", org, NULL);
	return ref;
}

static int
kind_withdrawal(struct submission *sub, struct answer *ans, char **cause)
{
	char *ref;
	sqlite3_stmt *st;

	if (sub->from.role == ROLE_ASSOCIATE)
		ref = xstrdup(sub->from.associate_ref);
	else if ((ref = withdrawal_named(sub, ans)) == NULL)
		return 0;
	if (ans->problems.n > 0) {
		free(ref);
		return 0;
	}
	st = store_prepare(sub->pact->store, "SELECT organisation FROM "
	    "associates WHERE ref = ?");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		tvars_set(ans->vars, "organisation",
		    (const char *)sqlite3_column_text(st, 0));
	store_done(st);
	if (member_withdraw(sub->pact, ref, sub->now, cause) != 0) {
		free(ref);
		return -1;
	}
	ans->ref = ref;
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "withdrawal-receipt.txt";
	return 0;
}
