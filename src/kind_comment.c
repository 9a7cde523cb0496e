/* KOMMENTAR / COMMENT, or a reply to a consultation mail: an advisory
 * board member's comment on an annual status. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "kind.h"
#include "problem.h"
#include "subject.h"
#include "util.h"

static int kind_comment(struct submission *, struct answer *, char **);

const struct kind kind_comment_entry = {
	.name = "comment",
	.keyword = { "KOMMENTAR", "COMMENT" },
	.token = 'c',
	.roles = ROLE_BIT(ROLE_ADVISORY),
	.form = "form-comment.txt",
	.fields = FIELD_BIT(F_YEAR) | FIELD_BIT(F_INITIATIVE),
	.handle = kind_comment,
};

/* Which status: the token's, the År/Year field's, or the one open, into
 * *refp (NULL with a problem when none); -1 with *cause. */
static int
comment_status(struct submission *sub, struct answer *ans, char **refp,
    char **cause)
{
	const char *year = sub->fields.f[F_YEAR].value;
	sqlite3_stmt *st;
	char *ref = NULL;
	int r;

	if (sub->has_tok && sub->tok.kind == kind_comment_entry.token) {
		*refp = xstrdup(sub->tok.ref);
		return 0;
	}
	if (year != NULL) {
		st = store_prepare(sub->pact->store, "SELECT ref FROM statuses "
		    "WHERE year = ?");
		sqlite3_bind_int(st, 1, atoi(year));
	} else
		st = store_prepare(sub->pact->store, "SELECT ref FROM statuses "
		    "WHERE published IS NULL ORDER BY submitted DESC LIMIT 1");
	if ((r = store_row(st, cause)) > 0)
		ref = store_col(st, 0);
	store_done(st);
	if (r < 0)
		return -1;
	if (ref == NULL && year != NULL)
		problem_add(sub, ans, "no-status-year", "year", year, NULL);
	else if (ref == NULL)
		problem_add(sub, ans, "no-consultation", NULL);
	*refp = ref;
	return 0;
}

/* The new text without the År/Year line. */
static char *
comment_text(const char *text)
{
	struct buf b;
	const char *line = text;

	buf_init(&b);
	while (*line != '\0') {
		size_t n = strcspn(line, "\n");
		const char *p = line;
		size_t k;

		while (*p == ' ' || *p == '\t')
			p++;
		k = fold_prefix(p, "ÅR");
		if (k == 0)
			k = fold_prefix(p, "YEAR");
		if (k == 0 || (p[k] != ':' && !(p[k] == ' ' &&
		    strchr(p + k, ':') == p + k + 1))) {
			buf_add(&b, line, n);
			buf_addc(&b, '\n');
		}
		line += n + (line[n] == '\n');
	}
	return buf_steal(&b);
}

static int
comment_insert(struct submission *sub, const char *status,
    const char *text, char **ref, char **cause)
{
	sqlite3_stmt *st;

	if ((*ref = store_next_ref(sub->pact->store, sub->now, cause)) == NULL)
		return -1;
	st = store_prepare(sub->pact->store, "INSERT INTO comments(status_ref, "
	    "ref, by_addr, by_name, text, submitted) VALUES(?,?,?,?,?,?)");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, *ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sub->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sub->from.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, sub->now);
	if (store_exec_stmt(sub->pact->store, st, cause) != 0)
		return -1;
	return audit_append(sub->pact->store, "comment", status, sub->msgkey,
	    sub->from.name ? sub->from.name : "advisory board member", cause);
}

/* Whether the status's consultation is still open; a problem if not; -1
 * with *cause. */
static int
comment_open(struct submission *sub, struct answer *ans, const char *ref,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT published, "
	    "year FROM statuses WHERE ref = ?");
	int open = 0, r;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0) {
		open = sqlite3_column_type(st, 0) == SQLITE_NULL;
		tvars_setf(ans->vars, "year", "%d", sqlite3_column_int(st, 1));
	}
	store_done(st);
	if (r < 0)
		return -1;
	if (!open)
		problem_add(sub, ans, "consultation-closed", "ref", ref, NULL);
	return open;
}

static int
kind_comment(struct submission *sub, struct answer *ans, char **cause)
{
	char *status, *text;
	int open = 0, rc = 0;

	/* Initiativ: PAGT-... makes it sparring on that initiative, unless
	 * the mail answers a consultation. */
	if (fields_has(&sub->fields, F_INITIATIVE) &&
	    !(sub->has_tok && sub->tok.kind == 'c'))
		return kind_sparring(sub, ans, cause);
	if (comment_status(sub, ans, &status, cause) != 0)
		return -1;
	if (status != NULL && (open = comment_open(sub, ans, status,
	    cause)) < 0) {
		free(status);
		return -1;
	}
	text = comment_text(sub->newtext);
	if (*str_trim(text) == '\0')
		problem_add(sub, ans, "comment-empty", NULL);
	else
		kind_limit_text(sub, ans, tr(sub, "Kommentaren", "The comment"),
		    str_trim(text));
	if (!open || ans->problems.n > 0)
		goto out;
	rc = -1;
	if (comment_insert(sub, status, str_trim(text), &ans->ref, cause) != 0)
		goto out;
	tvars_set(ans->vars, "status_ref", status);
	tvars_set(ans->vars, "comment", str_trim(text));
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "comment-receipt.txt";
	rc = 0;
out:
	free(status);
	free(text);
	return rc;
}
