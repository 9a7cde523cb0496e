/* INDSTILLING / NOMINATION: a founding party proposes an associate member
 * after a bilateral dialogue; an accepted nomination opens a ballot. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "ballot.h"
#include "kind.h"
#include "problem.h"
#include "util.h"
#include "validate.h"

static int kind_nomination(struct submission *, struct answer *, char **);

const struct kind kind_nomination_entry = {
	.name = "nomination",
	.keyword = { "INDSTILLING", "NOMINATION" },
	.roles = ROLE_BIT(ROLE_DELEGATE),
	.form = "form-nomination.txt",
	.fields = FIELD_BIT(F_ORGANISATION) | FIELD_BIT(F_TYPE) |
	    FIELD_BIT(F_CVR) | FIELD_BIT(F_CONTACT) | FIELD_BIT(F_DIALOGUE) |
	    FIELD_BIT(F_PRINCIPLES) | FIELD_BIT(F_INITIATIVES) |
	    FIELD_BIT(F_FIT),
	.handle = kind_nomination,
};

struct nominee {
	const char *org;
	const char *type;	/* company|association */
	char cvr[9];
	struct person contact;
	char dialogue[11];	/* YYYY-MM-DD */
	const struct strv *initiatives;
	const char *fit;
};

/* The first word of a value, lower case, without trailing punctuation. */
static void
first_word(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (*s != '\0' && !isspace((unsigned char)*s) && n + 1 < len)
		out[n++] = (char)tolower((unsigned char)*s++);
	while (n > 0 && strchr(".,;:!-", out[n - 1]) != NULL)
		n--;
	out[n] = '\0';
}

static void
check_type(struct submission *sub, struct answer *ans, struct nominee *nm)
{
	const char *v = kind_require(sub, ans, F_TYPE);
	char w[32];

	if (v == NULL)
		return;
	first_word(v, w, sizeof w);
	if (!strcmp(w, "virksomhed") || !strcmp(w, "company"))
		nm->type = "company";
	else if (!strcmp(w, "forening") || !strcmp(w, "association"))
		nm->type = "association";
	else
		problem_add(sub, ans, "bad-type", "value", v, NULL);
}

static void
check_cvr(struct submission *sub, struct answer *ans, struct nominee *nm)
{
	const char *v = kind_require(sub, ans, F_CVR);

	if (v != NULL && !cvr_valid(v, nm->cvr))
		problem_add(sub, ans, "bad-cvr", "value", v, NULL);
}

static void
check_contact(struct submission *sub, struct answer *ans, struct nominee *nm)
{
	const char *v = kind_require(sub, ans, F_CONTACT);

	if (v != NULL && person_parse(v, &nm->contact) != 0)
		problem_add(sub, ans, "bad-contact", "value", v, NULL);
}

static void
check_dialogue(struct submission *sub, struct answer *ans, struct nominee *nm)
{
	const char *v = kind_require(sub, ans, F_DIALOGUE);
	int y, m, d;

	if (v == NULL)
		return;
	if (date_parse(v, &y, &m, &d) != 0)
		problem_add(sub, ans, "bad-dialogue-date", "value", v, NULL);
	else if (date_local(y, m, d, 0) > sub->now)
		problem_add(sub, ans, "dialogue-in-future", "value", v, NULL);
	else
		snprintf(nm->dialogue, sizeof nm->dialogue, "%04d-%02d-%02d",
		    y, m, d);
}

static void
check_principles(struct submission *sub, struct answer *ans)
{
	const char *v = kind_require(sub, ans, F_PRINCIPLES);
	char w[32];

	if (v == NULL)
		return;
	first_word(v, w, sizeof w);
	if (strcmp(w, "ja") != 0 && strcmp(w, "yes") != 0)
		problem_add(sub, ans, "no-principles", "value", v, NULL);
}

/* An open ballot or an active member with the same CVR number. */
static void
check_duplicate(struct submission *sub, struct answer *ans,
    const struct nominee *nm)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT n.ref FROM "
	    "nominations n JOIN ballots b ON b.ref = n.ref WHERE n.cvr = ? AND "
	    "b.state = 'open'");

	sqlite3_bind_text(st, 1, nm->cvr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		problem_add(sub, ans, "nomination-open", "cvr", nm->cvr, "ref",
		    store_text(st, 0), NULL);
	store_done(st);
	st = store_prepare(sub->pact->store, "SELECT ref FROM associates "
	    "WHERE cvr = ? AND state = 'active'");
	sqlite3_bind_text(st, 1, nm->cvr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		problem_add(sub, ans, "already-member", "cvr", nm->cvr, "ref",
		    store_text(st, 0), NULL);
	store_done(st);
}

static int
nomination_insert(struct submission *sub, const char *ref,
    const struct nominee *nm, char **cause)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "INSERT INTO "
	    "nominations(ref, party, organisation, type, cvr, contact_name, "
	    "contact_addr, dialogue, initiatives, fit, sender, submitted) "
	    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
	char *inits = list_join(nm->initiatives);
	int rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sub->from.party->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, nm->org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, nm->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, nm->cvr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, nm->contact.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, nm->contact.addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, nm->dialogue, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, inits, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, nm->fit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, sub->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, sub->now);
	rc = store_exec_stmt(sub->pact->store, st, cause);
	free(inits);
	return rc;
}

static int
kind_nomination(struct submission *sub, struct answer *ans, char **cause)
{
	struct nominee nm;
	int rc = -1;

	memset(&nm, 0, sizeof nm);
	nm.org = kind_require(sub, ans, F_ORGANISATION);
	check_type(sub, ans, &nm);
	check_cvr(sub, ans, &nm);
	check_contact(sub, ans, &nm);
	check_dialogue(sub, ans, &nm);
	check_principles(sub, ans);
	nm.initiatives = kind_require_list(sub, ans, F_INITIATIVES);
	nm.fit = kind_require(sub, ans, F_FIT);
	if (ans->problems.n == 0)
		check_duplicate(sub, ans, &nm);
	if (ans->problems.n > 0) {
		rc = 0;
		goto out;
	}
	if (kind_new_ref(sub, ans, cause) != 0 ||
	    nomination_insert(sub, ans->ref, &nm, cause) != 0 ||
	    audit_append(sub->pact->store, "nomination", ans->ref, sub->msgkey,
	    nm.org, cause) != 0 ||
	    ballot_open(sub->pact, ans->ref, sub->now, cause) != 0)
		goto out;
	ballot_vars(sub->pact, ans->ref, sub->lang, ans->vars);
	tvars_set(ans->vars, "contact_addr", nm.contact.addr);
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "nomination-receipt.txt";
	rc = 0;
out:
	person_free(&nm.contact);
	return rc;
}
