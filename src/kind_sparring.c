/* A sparring answer: an advisory board member's reply to the mail that
 * sent a new initiative to the board, or KOMMENTAR / COMMENT with an
 * Initiativ / Initiative field (SPEC section 11). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kind.h"
#include "problem.h"
#include "sparring.h"
#include "subject.h"
#include "util.h"

const struct kind kind_sparring_entry = {
	.name = "sparring",
	.token = 's',
	.title = { "Et svar på et initiativ", "An answer on an initiative" },
	.roles = ROLE_BIT(ROLE_ADVISORY),
	.handle = kind_sparring,
};

/* The member as the roster has them: the forward's Reply-To is never an
 * address read from the mail. */
static const struct person *
sparring_member(const struct config *c, const char *addr)
{
	const struct group *g = &c->roster.advisory;

	for (size_t i = 0; addr != NULL && i < g->nmembers; i++)
		if (strcasecmp(g->members[i].addr, addr) == 0)
			return &g->members[i];
	return NULL;
}

/* Which initiative: the token's, else the Initiativ field's, into
 * *which; NULL and a problem when it names none; -1 with *cause. */
static int
sparring_which(struct submission *sub, struct answer *ans, char **which,
    char **cause)
{
	const char *field = sub->fields.f[F_INITIATIVE].value;
	char *ref;
	int r = 1;

	*which = NULL;
	if (sub->has_tok && sub->tok.kind == 's') {
		*which = xstrdup(sub->tok.ref);
		return 0;
	}
	ref = xstrdup(field != NULL ? field : "");
	str_trim(ref);
	for (char *p = ref; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!subject_is_ref(ref))
		problem_add(sub, ans, "sparring-bad-ref", "field",
		    field_name(sub, F_INITIATIVE), NULL);
	else if ((r = sparring_initiative(sub->pact->store, ref, NULL,
	    cause)) == 0)
		problem_add(sub, ans, "sparring-no-initiative", "ref", ref,
		    NULL);
	if (r >= 0 && ans->problems.n == 0)
		*which = ref;
	else
		free(ref);
	return r < 0 ? -1 : 0;
}

/* Whether a line is the Initiativ / Initiative field. */
static int
is_initiative_line(const char *p)
{
	size_t k;

	while (*p == ' ' || *p == '\t' || *p == '*')
		p++;
	if ((k = fold_prefix(p, "INITIATIVE")) == 0)
		k = fold_prefix(p, "INITIATIV");
	if (k == 0)
		return 0;
	for (p += k; *p == ' ' || *p == '\t' || *p == '*'; p++)
		;
	return *p == ':';
}

/* The new text without the Initiativ line, which names and is not part
 * of the answer. Owned. */
static char *
sparring_text(const char *text)
{
	struct buf b;
	const char *line = text;

	buf_init(&b);
	while (*line != '\0') {
		size_t n = strcspn(line, "\n");

		if (!is_initiative_line(line)) {
			buf_add(&b, line, n);
			buf_addc(&b, '\n');
		}
		line += n + (line[n] == '\n');
	}
	return buf_steal(&b);
}

/* The receipt's variables: what the answer was on and what became of
 * it; -1 with *cause. */
static int
sparring_receipt(struct submission *sub, struct answer *ans,
    const char *which, const char *text, enum sparring_fate fate,
    char **cause)
{
	static const char *const fates[] = { "forwarded", "held_rate",
	    "held_gone" };
	char *title = NULL;

	if (sparring_initiative(sub->pact->store, which, &title, cause) < 0)
		return -1;
	tvars_set(ans->vars, "initiative_ref", which);
	tvars_set(ans->vars, "title", title);
	tvars_set(ans->vars, "text", text);
	tvars_set(ans->vars, fates[fate], "yes");
	free(title);
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "sparring-receipt.txt";
	return 0;
}

int
kind_sparring(struct submission *sub, struct answer *ans, char **cause)
{
	const struct person *m = sparring_member(sub->pact->conf,
	    sub->from.addr);
	char *which, *text;
	struct sparring sp;
	enum sparring_fate fate;
	int rc = 0;

	if (sparring_which(sub, ans, &which, cause) != 0)
		return -1;
	text = sparring_text(sub->newtext);

	if (*str_trim(text) == '\0')
		problem_add(sub, ans, "sparring-empty", NULL);
	else
		kind_limit_text(sub, ans, tr(sub, "Svaret", "The answer"),
		    str_trim(text));
	if (m == NULL)
		problem_add(sub, ans, "sparring-not-member", NULL);
	if (which == NULL || ans->problems.n > 0)
		goto out;
	memset(&sp, 0, sizeof sp);
	sp.initiative = which;
	sp.addr = m->addr;
	sp.name = m->name;
	sp.text = str_trim(text);
	sp.cause_key = sub->msgkey;
	rc = -1;
	if (sparring_keep(sub->pact, &sp, sub->now, &ans->ref, &fate,
	    cause) != 0)
		goto out;
	if (sparring_receipt(sub, ans, which, sp.text, fate, cause) != 0)
		goto out;
	rc = 0;
out:
	free(which);
	free(text);
	return rc;
}
