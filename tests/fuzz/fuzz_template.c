/*
 * libFuzzer target: the template expander. The input is a value and a
 * template: the value runs to the first NUL byte or, without one, to the
 * end of the first line; the template is the rest. The value is set as
 * several variables, in a list of items and as plain list strings, so that
 * {{name}}, {{{name}}}, sections, inverted sections and {{.}} all meet
 * attacker-chosen text; TEXT mode is expanded, and HTML mode when TEXT
 * mode succeeded.
 */
#include "fuzz.h"
#include "template.h"

/* Variables named as the shipped templates name them. */
static struct tvars *
vars(const char *value)
{
	struct tvars *tv = tvars_new(), *item, *sub;

	tvars_set(tv, "name", value);
	tvars_set(tv, "ref", "PAGT-2026-0007");
	tvars_set(tv, "pact_name", "Cybersikkerhedspagten");
	tvars_set(tv, "empty", "");
	tvars_set(tv, "nothing", NULL);
	tvars_setf(tv, "count", "%d", 3);
	for (int i = 0; i < 3; i++) {
		item = tvars_add_item(tv, "items");
		tvars_set(item, "title", value);
		tvars_setf(item, "ref", "PAGT-2026-%04d", i + 1);
		if (i == 1)
			tvars_set(item, "name", "shadowed");
		sub = tvars_add_item(item, "votes");
		tvars_set(sub, "party", "DI");
		tvars_set(sub, "vote", value);
		tvars_set_list(item, "none");
	}
	tvars_add_string(tv, "warnings", value);
	tvars_add_string(tv, "warnings", "<b>&'\"");
	tvars_set(tv, "organisation", value);
	tvars_add_string(tv, "initiatives", "Phishing-kampagne");
	tvars_add_string(tv, "initiatives", value);
	tvars_set_list(tv, "none");
	return tv;
}

/* Expand in one mode; either an output or a cause, never both. Returns
 * whether it expanded. */
static int
expand(const char *tmpl, const struct tvars *tv, enum template_mode mode)
{
	char *out = NULL, *cause = NULL;

	if (template_expand(tmpl, tv, mode, &out, &cause) == 0) {
		FUZZ_CHECK(out != NULL, "an expansion gives an output");
		FUZZ_CHECK(strlen(out) <= TEMPLATE_MAXOUT, "output capped");
		free(out);
		return 1;
	}
	FUZZ_CHECK(out == NULL && cause != NULL,
	    "a failure gives a cause and no output");
	free(cause);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = memchr(data, '\0', size);
	char *value, *tmpl;
	struct tvars *tv;

	if (cut == NULL)
		cut = memchr(data, '\n', size);
	if (cut == NULL)
		cut = data + size;
	value = fuzz_string(data, cut - data);
	tmpl = fuzz_string(cut + (cut < data + size),
	    size - (cut - data) - (cut < data + size));
	tv = vars(value);
	/* What fails in TEXT mode (syntax, the work or the output cap) fails
	 * in HTML mode too, whose output is never shorter: expanding it again
	 * would only double the slowest inputs. */
	if (expand(tmpl, tv, TEMPLATE_TEXT))
		expand(tmpl, tv, TEMPLATE_HTML);
	tvars_free(tv);
	free(tmpl);
	free(value);
	return 0;
}
