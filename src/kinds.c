/* The table of submission kinds and what they share. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kind.h"
#include "limit.h"
#include "util.h"

#define R(r)	ROLE_BIT(ROLE_##r)
#define F(f)	FIELD_BIT(F_##f)

#define DECLARATION	(F(MOTIVATION) | F(OBJECTIVES) | F(CONTRIBUTION))
#define NOMINATION	(F(ORGANISATION) | F(TYPE) | F(CVR) | F(CONTACT) | \
    F(DIALOGUE) | F(PRINCIPLES) | F(INITIATIVES) | F(FIT))
#define INITIATIVE	(F(TITLE) | F(DESCRIPTION) | F(PURPOSE) | \
    F(PARTNERS) | F(LINK))
#define STATUS		(F(YEAR) | F(DEADLINE) | F(STATUS))
#define MEETING		(F(TITLE) | F(START) | F(END) | F(LOCATION) | \
    F(AGENDA))

static const struct kind kinds[] = {
	{ KW_DECLARATION, "declaration", R(DELEGATE), 1, kind_declaration,
	    DECLARATION },
	{ KW_NOMINATION, "nomination", R(DELEGATE), 1, kind_nomination,
	    NOMINATION },
	{ KW_INITIATIVE, "initiative", R(DELEGATE) | R(ASSOCIATE), 1,
	    kind_initiative, INITIATIVE },
	{ KW_STATUS, "status", R(SECRETARIAT), 1, kind_status, STATUS },
	{ KW_COMMENT, "comment", R(ADVISORY), 1, kind_comment, F(YEAR) |
	    F(INITIATIVE) },
	{ KW_WITHDRAWAL, "withdrawal", R(ASSOCIATE) | R(SECRETARIAT), 1,
	    kind_withdrawal, F(ORGANISATION) },
	{ KW_MEETING, "meeting", R(SECRETARIAT), 1, kind_meeting, MEETING },
	{ KW_MEETING_UPDATE, "meeting", R(SECRETARIAT), 1, kind_meeting,
	    MEETING },
	{ KW_MEETING_CANCEL, "meeting", R(SECRETARIAT), 1, kind_meeting,
	    MEETING },
	{ KW_OVERVIEW, "overview", ROLES_ANYONE, 1, kind_overview, 0 },
	{ KW_HELP, "help", ROLES_ANYONE, 0, kind_help, 0 },
	{ KW_NONE, "vote", R(DELEGATE), 0, kind_vote, 0 },
	{ KW_NONE, "rsvp", ROLES_ANYONE, 0, kind_rsvp, 0 },
	{ KW_NONE, "sparring", R(ADVISORY), 0, kind_sparring, 0 },
};

const struct kind *
kind_find(enum keyword kw)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (kinds[i].kw == kw && kw != KW_NONE)
			return &kinds[i];
	return NULL;
}

const struct kind *
kind_named(const char *name)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const struct kind *
kind_table(size_t *n)
{
	*n = nitems(kinds);
	return kinds;
}

const char *
kind_title(const struct kind *k, const char *lang)
{
	int en = strcmp(lang, "en") == 0;

	if (k->kw != KW_NONE)
		return keyword_name(k->kw, lang);
	if (strcmp(k->name, "vote") == 0)
		return en ? "A vote" : "En stemme";
	if (strcmp(k->name, "sparring") == 0)
		return en ? "An answer on an initiative" :
		    "Et svar på et initiativ";
	return en ? "An answer to an invitation" : "Et svar på en invitation";
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
	char *name = xasprintf("form-%s.txt", k->name);
	int rc;

	tvars_set(v, "pact_address", c->address);
	rc = template_render(c->templates, lang, name, v, TEMPLATE_TEXT, out,
	    cause);
	free(name);
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
	kind_problem(ans, tr(sub, "feltet \"%s\" mangler", "the field "
	    "\"%s\" is missing"), field_name(sub, id));
	return NULL;
}

const struct strv *
kind_require_list(struct submission *sub, struct answer *ans,
    enum field_id id)
{
	const struct strv *items = &sub->fields.f[id].items;

	if (items->n > 0)
		return items;
	kind_problem(ans, tr(sub, "feltet \"%s\" skal have mindst ét punkt "
	    "(ét pr. linje)", "the field \"%s\" needs at least one item (one "
	    "a line)"), field_name(sub, id));
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
