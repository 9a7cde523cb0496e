/* The list of submission kinds, how a mail is found to be one, and what
 * the kinds share. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kind.h"
#include "limit.h"
#include "problem.h"
#include "util.h"

/* Each kind_NAME.c defines its entry. */
extern const struct kind kind_declaration_entry;
extern const struct kind kind_nomination_entry;
extern const struct kind kind_initiative_entry;
extern const struct kind kind_status_entry;
extern const struct kind kind_comment_entry;
extern const struct kind kind_withdrawal_entry;
extern const struct kind kind_meeting_entry;
extern const struct kind kind_meeting_update_entry;
extern const struct kind kind_meeting_cancel_entry;
extern const struct kind kind_overview_entry;
extern const struct kind kind_help_entry;
extern const struct kind kind_rsvp_entry;
extern const struct kind kind_vote_entry;
extern const struct kind kind_sparring_entry;

/* HELP lists the forms in this order; a calendar answer is claimed as an
 * RSVP before a ballot's subject tag is taken for a vote. */
static const struct kind *const kinds[] = {
	&kind_declaration_entry,
	&kind_nomination_entry,
	&kind_initiative_entry,
	&kind_status_entry,
	&kind_comment_entry,
	&kind_withdrawal_entry,
	&kind_meeting_entry,
	&kind_meeting_update_entry,
	&kind_meeting_cancel_entry,
	&kind_overview_entry,
	&kind_help_entry,
	&kind_rsvp_entry,
	&kind_vote_entry,
	&kind_sparring_entry,
};

const struct kind *const *
kind_list(size_t *n)
{
	*n = nitems(kinds);
	return kinds;
}

/* The kind that answers a reply token's letter, or NULL. */
static const struct kind *
kind_token(char letter)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (kinds[i]->token != '\0' && kinds[i]->token == letter)
			return kinds[i];
	return NULL;
}

const struct kind *
kind_decide(const struct submission *sub, char **cause)
{
	const struct kind *k;
	int r;

	if (sub->has_tok && (k = kind_token(sub->tok.kind)) != NULL)
		return k;
	for (size_t i = 0; i < nitems(kinds); i++)
		if (kinds[i]->claims != NULL &&
		    (r = kinds[i]->claims(sub, cause)) != 0)
			return r > 0 ? kinds[i] : NULL;
	if (sub->subj.kind != NULL)
		return sub->subj.kind;
	return &kind_help_entry;
}

const char *
kind_title(const struct kind *k, const char *lang)
{
	const struct kind_words *w = k->keyword.da != NULL ? &k->keyword :
	    &k->title;

	return strcmp(lang, "en") == 0 ? w->en : w->da;
}

const char *
tr(const struct submission *sub, const char *da, const char *en)
{
	return strcmp(sub->lang, "en") == 0 ? en : da;
}

int
kind_form(const struct config *c, const char *lang, const struct kind *k,
    char **out, char **cause)
{
	struct tvars *v = tvars_new();
	int rc;

	tvars_set(v, "pact_address", c->address);
	rc = template_render(c->templates, lang, k->form, v, TEMPLATE_TEXT,
	    out, cause);
	tvars_free(v);
	return rc;
}

void
kind_problem(struct answer *ans, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_addn(&ans->problems, xvasprintf(fmt, ap));
	va_end(ap);
	ans->verdict = VERDICT_REJECTED;
}

const char *
field_name(const struct submission *sub, enum field_id id)
{
	const struct field_def *d = field_def(id);

	return strcmp(sub->lang, "en") == 0 ? d->en : d->da;
}

const char *
kind_require(struct submission *sub, struct answer *ans, enum field_id id)
{
	const char *v = sub->fields.f[id].value;

	if (v != NULL && *v != '\0')
		return v;
	problem_add(sub, ans, "field-missing", "field", field_name(sub, id),
	    NULL);
	return NULL;
}

const struct strv *
kind_require_list(struct submission *sub, struct answer *ans,
    enum field_id id)
{
	const struct strv *items = &sub->fields.f[id].items;

	if (items->n > 0)
		return items;
	problem_add(sub, ans, "field-no-items", "field", field_name(sub, id),
	    NULL);
	return NULL;
}

char *
list_join(const struct strv *items)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < items->n; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, items->v[i]);
	}
	return buf_steal(&b);
}

/* A value over its limit, as a problem of the answer. */
static void
limit_refuse(struct submission *sub, struct answer *ans, const char *name,
    const struct limit_breach *b)
{
	strv_addn(&ans->problems, limit_problem(sub->lang, name, b));
	ans->verdict = VERDICT_REJECTED;
}

/* One field against the limits of its kind. */
static void
kind_limit_field(struct submission *sub, struct answer *ans,
    enum field_id id)
{
	const struct field *f = &sub->fields.f[id];
	const char *name = f->name != NULL ? f->name : field_name(sub, id);
	enum limit_kind k = limit_kind(id);
	struct limit_breach b;
	int rc;

	if (k == LIMIT_LIST)
		rc = limit_list(&f->items, &b);
	else
		rc = limit_text(k, f->value, &b);
	if (rc != 0)
		limit_refuse(sub, ans, name, &b);
}

void
kind_limits(struct submission *sub, const struct kind *k, struct answer *ans)
{
	for (int id = F_NONE + 1; id < F_COUNT; id++)
		if ((k->fields & FIELD_BIT(id)) && fields_has(&sub->fields, id))
			kind_limit_field(sub, ans, id);
}

int
kind_limit_text(struct submission *sub, struct answer *ans,
    const char *name, const char *text)
{
	struct limit_breach b;

	if (limit_text(LIMIT_TEXT, text, &b) == 0)
		return 0;
	limit_refuse(sub, ans, name, &b);
	return -1;
}

int
kind_new_ref(struct submission *sub, struct answer *ans, char **cause)
{
	ans->ref = store_next_ref(sub->pact->store, sub->now, cause);
	return ans->ref == NULL ? -1 : 0;
}
