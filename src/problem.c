/* Problems and warnings of replies, from templates/LANG/problems.txt. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "log.h"
#include "problem.h"
#include "util.h"

/* The text on one line: its line breaks as single blanks, trimmed. */
static char *
problem_line(char *s)
{
	char *p = s, *q = s;

	for (; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			if (q > s && q[-1] != ' ')
				*q++ = ' ';
		} else
			*q++ = *p;
	}
	while (q > s && q[-1] == ' ')
		q--;
	*q = '\0';
	return s;
}

static char *
problem_vtext(const struct submission *sub, const char *key, va_list ap)
{
	const char *lang = strcmp(sub->lang, "en") == 0 ? "en" : "da";
	struct tvars *v = tvars_new();
	const char *name, *value;
	char *out = NULL, *cause = NULL;

	tvars_set(v, key, "yes");
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		tvars_set(v, name, value != NULL ? value : "");
	}
	if (template_render(sub->pact->conf->templates, lang, "problems.txt",
	    v, TEMPLATE_TEXT, &out, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		out = NULL;
	} else if (*problem_line(out) == '\0') {
		log_warnx("%s/problems.txt: no section %s", lang, key);
		free(out);
		out = NULL;
	}
	tvars_free(v);
	return out != NULL ? out : xstrdup(key);
}

char *
problem_text(const struct submission *sub, const char *key, ...)
{
	va_list ap;
	char *s;

	va_start(ap, key);
	s = problem_vtext(sub, key, ap);
	va_end(ap);
	return s;
}

void
problem_add(const struct submission *sub, struct answer *ans,
    const char *key, ...)
{
	va_list ap;

	va_start(ap, key);
	strv_addn(&ans->problems, problem_vtext(sub, key, ap));
	va_end(ap);
	ans->verdict = VERDICT_REJECTED;
}
