/* HJÆLP / HELP: the forms this sender may use, ready to fill in. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "util.h"

static int kind_help(struct submission *, struct answer *, char **);

const struct kind kind_help_entry = {
	.name = "help",
	.keyword = { "HJÆLP", "HELP" },
	.roles = ROLES_ANYONE,
	.handle = kind_help,
};

/* Whether an earlier kind in the list has the same form (the meeting's). */
static int
help_form_listed(const struct kind *const *k, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (k[j]->form != NULL && strcmp(k[j]->form, k[i]->form) == 0)
			return 1;
	return 0;
}

static int
kind_help(struct submission *sub, struct answer *ans, char **cause)
{
	const struct config *c = sub->pact->conf;
	const struct kind *const *k;
	size_t n;

	k = kind_list(&n);
	for (size_t i = 0; i < n; i++) {
		struct tvars *item;
		char *form;

		if (k[i]->form == NULL ||
		    !(k[i]->roles & ROLE_BIT(sub->from.role)) ||
		    help_form_listed(k, i))
			continue;
		if (kind_form(c, sub->lang, k[i], &form, cause) != 0)
			return -1;
		item = tvars_add_item(ans->vars, "forms");
		tvars_set(item, "form", form);
		free(form);
	}
	ans->verdict = VERDICT_ANSWERED;
	ans->template = "help.txt";
	return 0;
}
