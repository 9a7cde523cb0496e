/* The table of submission kinds and what they share. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "util.h"

static const struct kind kinds[] = {
	{ KW_HELP, "help", ROLES_ANYONE, 0, kind_help },
	{ KW_OVERVIEW, "overview", ROLES_ANYONE, 1, kind_overview },
};

const struct kind *
kind_find(enum keyword kw)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (kinds[i].kw == kw)
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
