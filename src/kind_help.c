/* HJÆLP / HELP: the forms this sender may use, ready to fill in. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "util.h"

int
kind_help(struct submission *sub, struct answer *ans, char **cause)
{
	const struct config *c = sub->pact->conf;
	const struct kind *k;
	size_t n;

	k = kind_table(&n);
	for (size_t i = 0; i < n; i++) {
		struct tvars *item;
		char *form;

		if (!k[i].has_form || !(k[i].roles & ROLE_BIT(sub->from.role)) ||
		    (i > 0 && strcmp(k[i - 1].name, k[i].name) == 0))
			continue;
		if (kind_form(c, sub->lang, &k[i], &form, cause) != 0)
			return -1;
		item = tvars_add_item(ans->vars, "forms");
		tvars_set(item, "form", form);
		free(form);
	}
	ans->verdict = VERDICT_ANSWERED;
	ans->template = "help.txt";
	return 0;
}
