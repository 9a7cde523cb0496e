/* ERKLÆRING / DECLARATION: a founding party's public declaration; each one
 * is a new version, the history is kept. */
#include <stdlib.h>

#include "audit.h"
#include "kind.h"
#include "util.h"

static int kind_declaration(struct submission *, struct answer *, char **);

const struct kind kind_declaration_entry = {
	.name = "declaration",
	.keyword = { "ERKLÆRING", "DECLARATION" },
	.roles = ROLE_BIT(ROLE_DELEGATE),
	.form = "form-declaration.txt",
	.fields = FIELD_BIT(F_MOTIVATION) | FIELD_BIT(F_OBJECTIVES) |
	    FIELD_BIT(F_CONTRIBUTION),
	.handle = kind_declaration,
};

static int
declaration_version(struct store *s, const char *party)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT coalesce(max(version), 0) "
	    "+ 1 FROM declarations WHERE party = ?");
	int v = 1;

	sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	store_done(st);
	return v;
}

static int
declaration_insert(struct submission *sub, const char *ref, int version,
    const char *motivation, const char *objectives, const char *contribution,
    char **cause)
{
	struct store *s = sub->pact->store;
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO declarations(ref, "
	    "party, version, motivation, objectives, contribution, sender, "
	    "submitted) VALUES(?,?,?,?,?,?,?,?)");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sub->from.party->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, version);
	sqlite3_bind_text(st, 4, motivation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, objectives, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, contribution, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, sub->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, sub->now);
	return store_exec_stmt(s, st, cause);
}

static int
kind_declaration(struct submission *sub, struct answer *ans, char **cause)
{
	const char *motivation = kind_require(sub, ans, F_MOTIVATION);
	const struct strv *objectives = kind_require_list(sub, ans,
	    F_OBJECTIVES);
	const char *contribution = sub->fields.f[F_CONTRIBUTION].value;
	char *joined, *detail;
	int version, rc;

	if (motivation == NULL || objectives == NULL || ans->problems.n > 0)
		return 0;
	if (kind_new_ref(sub, ans, cause) != 0)
		return -1;
	version = declaration_version(sub->pact->store, sub->from.party->id);
	joined = list_join(objectives);
	detail = xasprintf("%s, version %d", sub->from.party->name, version);
	rc = declaration_insert(sub, ans->ref, version, motivation, joined,
	    contribution, cause) != 0 || audit_append(sub->pact->store,
	    "declaration", ans->ref, sub->msgkey, detail, cause) != 0;
	free(joined);
	free(detail);
	if (rc)
		return -1;
	tvars_set(ans->vars, "party", sub->from.party->name);
	tvars_setf(ans->vars, "version", "%d", version);
	tvars_set(ans->vars, "motivation", motivation);
	for (size_t i = 0; i < objectives->n; i++)
		tvars_add_string(ans->vars, "objectives", objectives->v[i]);
	tvars_set(ans->vars, "contribution", contribution);
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "declaration-receipt.txt";
	return 0;
}
