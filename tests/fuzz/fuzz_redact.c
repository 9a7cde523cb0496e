/*
 * libFuzzer target: forget's redaction of stored mail (redact.c), which
 * holds what strangers wrote (names, subjects, text). A mail that names
 * nobody comes back byte for byte; a redacted one can be decoded and
 * redacted again; nothing reads out of bounds, whatever the MIME
 * structure, transfer encodings or encoded words.
 */
#include "fuzz.h"
#include "redact.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const who[] = { "Søren Ærøskøbing",
	    "soren@aeroe.example.test", "Anne" };
	struct strv needles = { 0 };
	char *raw = fuzz_string(data, size), *red, *again;
	int n, m;

	for (size_t i = 0; i < nitems(who); i++)
		strv_add(&needles, who[i]);
	red = redact_mail(raw, strlen(raw), &needles, &n);
	if (n == 0)
		FUZZ_CHECK(strcmp(red, raw) == 0,
		    "unchanged when nobody is named");
	(void)redact_mentions(red, strlen(red), &needles);
	again = redact_mail(red, strlen(red), &needles, &m);
	free(again);
	free(red);
	free(raw);
	strv_free(&needles);
	return 0;
}
