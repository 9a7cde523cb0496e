/*
 * libFuzzer target: a Subject header value, decoded (RFC 2047) and parsed
 * for reply prefixes, tags and the keyword; the raw bytes are parsed too,
 * as a subject with 8-bit bytes arrives, and folded as keywords are
 * compared (fold_word, fold_prefix). The decoded value must be UTF-8
 * without control characters (mime.h, mime_header.c).
 */
#include "fuzz.h"
#include "mime.h"
#include "subject.h"

/* Parse one subject and look at everything the parse gave back. */
static void
parse(const char *s)
{
	struct subject sub;

	memset(&sub, 0, sizeof sub);
	subject_parse(s, &sub);
	(void)subject_ref_tag(&sub);
	(void)keyword_name(sub.kind, sub.lang);
	if (sub.ref != NULL)
		FUZZ_CHECK(subject_is_ref(sub.ref), "ref is PAGT-YYYY-NNNN");
	subject_free(&sub);
	(void)subject_is_autoreply(s);
	(void)fold_prefix(s, "MØDE ÆNDRING");
	(void)fold_prefix(s, "Automatisk svar");
}

/* Fold into buffers of exactly a few sizes, so that ASan sees overruns. */
static void
fold(const char *s)
{
	static const size_t sizes[] = { 1, 2, 3, 16, 256 };
	size_t n = strlen(s), k;

	for (size_t i = 0; i < nitems(sizes); i++) {
		char *out = xmalloc(sizes[i]);

		k = fold_word(s, n, out, sizes[i]);
		FUZZ_CHECK(k == (size_t)-1 || (k < sizes[i] && out[k] == '\0'),
		    "folded word fits and is NUL-terminated");
		free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *dec;

	parse(s);
	fold(s);
	dec = mime_decode_header(s);
	FUZZ_CHECK(fuzz_utf8(dec), "decoded header is UTF-8");
	for (const char *p = dec; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "no control characters in a decoded header");
	parse(dec);
	free(dec);
	free(s);
	return 0;
}
