/*
 * libFuzzer target: the decoded text of a mail through new-text
 * extraction (quote headers of many clients, ">" quotes, signatures), the
 * quoted part, and "Field: value" parsing, both of the new text (as the
 * submission kinds do) and of the whole text.
 */
#include "body.h"
#include "fuzz.h"

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
