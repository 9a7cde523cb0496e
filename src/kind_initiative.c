/* INITIATIV / INITIATIVE: a new initiative by a founding party or an
 * active associate, tied to the charter's purposes 1-3. */
#include <stdlib.h>

#include "audit.h"
#include "kind.h"
#include "problem.h"
#include "sparring.h"
#include "util.h"
#include "validate.h"

static int kind_initiative(struct submission *, struct answer *, char **);

const struct kind kind_initiative_entry = {
	.name = "initiative",
	.keyword = { "INITIATIV", "INITIATIVE" },
	.roles = ROLE_BIT(ROLE_DELEGATE) | ROLE_BIT(ROLE_ASSOCIATE),
	.form = "form-initiative.txt",
	.fields = FIELD_BIT(F_TITLE) | FIELD_BIT(F_DESCRIPTION) |
	    FIELD_BIT(F_PURPOSE) | FIELD_BIT(F_PARTNERS) | FIELD_BIT(F_LINK),
	.handle = kind_initiative,
};

struct initiative {
	const char *title, *description, *link;
	int purposes;
	char *partners;
};

static void
initiative_check(struct submission *sub, struct answer *ans,
    struct initiative *in)
{
	const char *purpose;

	in->title = kind_require(sub, ans, F_TITLE);
	in->description = kind_require(sub, ans, F_DESCRIPTION);
	if ((purpose = kind_require(sub, ans, F_PURPOSE)) != NULL &&
	    (in->purposes = purposes_parse(purpose)) < 0)
		problem_add(sub, ans, "bad-purpose", "value", purpose, NULL);
	in->link = sub->fields.f[F_LINK].value;
	if (in->link != NULL && !url_valid(in->link))
		problem_add(sub, ans, "bad-link", "value", in->link, NULL);
	in->partners = list_join(&sub->fields.f[F_PARTNERS].items);
}

static int
initiative_insert(struct submission *sub, const char *ref,
    const struct initiative *in, char **cause)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "INSERT INTO "
	    "initiatives(ref, title, description, purposes, partners, link, "
	    "by_party, by_associate, by_name, sender, submitted) "
	    "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
	char purposes[16];

	purposes_format(in->purposes, purposes, sizeof purposes);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, purposes, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, *in->partners ? in->partners : NULL, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->link, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, sub->from.party ? sub->from.party->id : NULL,
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, sub->from.associate_ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, sub->from.org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, sub->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, sub->now);
	return store_exec_stmt(sub->pact->store, st, cause);
}

static int
kind_initiative(struct submission *sub, struct answer *ans, char **cause)
{
	struct initiative in = { 0 };
	char purposes[16];
	int rc = 0;

	initiative_check(sub, ans, &in);
	if (ans->problems.n > 0)
		goto out;
	rc = -1;
	if (kind_new_ref(sub, ans, cause) != 0 ||
	    initiative_insert(sub, ans->ref, &in, cause) != 0 ||
	    audit_append(sub->pact->store, "initiative", ans->ref, sub->msgkey,
	    in.title, cause) != 0 ||
	    sparring_open(sub->pact, ans->ref, sub->now, cause) != 0)
		goto out;
	purposes_format(in.purposes, purposes, sizeof purposes);
	tvars_set(ans->vars, "title", in.title);
	tvars_set(ans->vars, "description", in.description);
	tvars_set(ans->vars, "purposes", purposes);
	for (size_t i = 0; i < sub->fields.f[F_PARTNERS].items.n; i++)
		tvars_add_string(ans->vars, "partners",
		    sub->fields.f[F_PARTNERS].items.v[i]);
	tvars_set(ans->vars, "link", in.link);
	if (sub->pact->conf->roster.advisory.nmembers > 0)
		tvars_set(ans->vars, "sparring", "yes");
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "initiative-receipt.txt";
	rc = 0;
out:
	free(in.partners);
	return rc;
}
