/*
 * libFuzzer target: the decoded text of a mail through new-text
 * extraction (quote headers of many clients, ">" quotes, signatures), the
 * quoted part, and "Field: value" parsing, both of the new text (as the
 * submission kinds do) and of the whole text.
 */
#include "body.h"
#include "fuzz.h"
#include "limit.h"

/* A field against its limits, and clipped as the page clips: never more
 * characters than asked, never half a character. */
static void
limits(const struct field *fl, enum field_id id)
{
	struct limit_breach b;
	char *clip;

	if (limit_kind(id) == LIMIT_LIST)
		(void)limit_list(&fl->items, &b);
	else
		(void)limit_text(limit_kind(id), fl->value, &b);
	if (fl->value == NULL)
		return;
	clip = limit_clip(fl->value, LIMIT_NAME_CHARS);
	FUZZ_CHECK(limit_chars(clip) <= LIMIT_NAME_CHARS, "clip is bounded");
	FUZZ_CHECK(!fuzz_utf8(fl->value) || fuzz_utf8(clip),
	    "clip of UTF-8 is UTF-8");
	free(clip);
}

/* Parse fields and look at each. */
static void
fields(const char *text)
{
	struct fields f;

	memset(&f, 0, sizeof f);
	body_fields(text, &f);
	for (int id = F_NONE + 1; id < F_COUNT; id++) {
		(void)fields_has(&f, id);
		(void)field_def(id);
		FUZZ_CHECK(f.f[id].name == NULL || f.f[id].value != NULL,
		    "a field read has a value");
		limits(&f.f[id], id);
	}
	fields_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char *nt, *qt;

	nt = body_new_text(text);
	qt = body_quoted_text(text);
	FUZZ_CHECK(nt != NULL && qt != NULL, "owned strings returned");
	fields(nt);
	fields(text);
	free(qt);
	free(nt);
	free(text);
	return 0;
}
