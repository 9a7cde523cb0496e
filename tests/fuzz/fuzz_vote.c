/*
 * libFuzzer target: the first word of a reply read as a vote and as an
 * answer to an invitation, and the first non-empty line, into buffers of
 * a few sizes (first_nonempty_line cuts to bufsz - 1).
 */
#include "fuzz.h"
#include "vote.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 8, 64, 1024 };
	char *text = fuzz_string(data, size);
	enum vote_word v;
	enum rsvp_word r;

	v = vote_parse_line(text);
	FUZZ_CHECK(v >= VOTE_NONE && v <= VOTE_AMBIGUOUS, "vote in range");
	(void)vote_word_name(v);
	r = rsvp_parse_line(text);
	FUZZ_CHECK(r >= RSVP_NONE && r <= RSVP_AMBIGUOUS, "rsvp in range");
	for (size_t i = 0; i < nitems(sizes); i++) {
		/* Exactly the size asked for, so ASan sees any overrun. */
		char *buf = xmalloc(sizes[i]);
		const char *line;

		line = first_nonempty_line(text, buf, sizes[i]);
		FUZZ_CHECK(line == NULL || strlen(line) < sizes[i],
		    "line cut to bufsz - 1");
		free(buf);
	}
	free(text);
	return 0;
}
