/* Votes and RSVPs from the first word of a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "subject.h"
#include "vote.h"

struct vcase {
	const char	*line;
	enum vote_word	 want;
};

static const struct vcase vcases[] = {
	{ "Ja", VOTE_YES },
	{ "Ja,", VOTE_YES },
	{ "Ja, vi støtter indstillingen.", VOTE_YES },
	{ "JA – ingen bemærkninger", VOTE_YES },
	{ "JA–", VOTE_YES },
	{ "ja", VOTE_YES },
	{ "Yes!", VOTE_YES },
	{ "YES.", VOTE_YES },
	{ "Yes, no objections from us", VOTE_YES },
	{ "+1", VOTE_YES },
	{ "  \t+1  ", VOTE_YES },
	{ "*Ja*", VOTE_YES },
	{ "\"Ja\"", VOTE_YES },
	{ "– Ja", VOTE_YES },
	{ "Ja tak, vi stemmer ja", VOTE_YES },
	{ "Nej", VOTE_NO },
	{ "NEJ.", VOTE_NO },
	{ "Nej, vi kan ikke støtte det", VOTE_NO },
	{ "No", VOTE_NO },
	{ "no.", VOTE_NO },
	{ "No we do not support this", VOTE_NO },
	{ "-1", VOTE_NO },
	{ "Undlad", VOTE_ABSTAIN },
	{ "UNDLAD.", VOTE_ABSTAIN },
	{ "Undlader", VOTE_ABSTAIN },
	{ "Blank", VOTE_ABSTAIN },
	{ "Abstain", VOTE_ABSTAIN },
	{ "0", VOTE_ABSTAIN },
	{ "0.", VOTE_ABSTAIN },
	{ "Ja / Nej", VOTE_AMBIGUOUS },
	{ "Ja/Nej", VOTE_AMBIGUOUS },
	{ "JA/NEJ/UNDLAD", VOTE_AMBIGUOUS },
	{ "yes or no", VOTE_AMBIGUOUS },
	{ "Ja eller nej?", VOTE_AMBIGUOUS },
	{ "Yes, no", VOTE_AMBIGUOUS },
	{ "Yes / No / Abstain", VOTE_AMBIGUOUS },
	{ "+1 -1", VOTE_AMBIGUOUS },
	{ "Nej, undlad", VOTE_AMBIGUOUS },
	{ "", VOTE_NONE },
	{ "   ", VOTE_NONE },
	{ "Hej", VOTE_NONE },
	{ "Jeg stemmer ja", VOTE_NONE },
	{ "Jatak", VOTE_NONE },
	{ "Ja-stemme", VOTE_NONE },
	{ "1", VOTE_NONE },
	{ "+", VOTE_NONE },
	{ "-", VOTE_NONE },
	{ "Ja\nNej", VOTE_YES },
	{ "\n \r\n  Nej\r\nJa", VOTE_NO },
	{ "\n\n", VOTE_NONE },
	{ "Afstemning: indstilling", VOTE_NONE },
};

static void
test_votes(void **state)
{
	size_t i;
	enum vote_word v;

	for (i = 0; i < nitems(vcases); i++) {
		v = vote_parse_line(vcases[i].line);
		if (v != vcases[i].want)
			fail_msg("\"%s\": %d, want %d", vcases[i].line, v,
			    vcases[i].want);
	}
	assert_int_equal(vote_parse_line(NULL), VOTE_NONE);
	assert_string_equal(vote_word_name(VOTE_YES), "yes");
	assert_string_equal(vote_word_name(VOTE_NO), "no");
	assert_string_equal(vote_word_name(VOTE_ABSTAIN), "abstain");
	assert_null(vote_word_name(VOTE_AMBIGUOUS));
	assert_string_equal(vote_word_say(VOTE_YES, "da"), "ja");
	assert_string_equal(vote_word_say(VOTE_NO, "da"), "nej");
	assert_string_equal(vote_word_say(VOTE_ABSTAIN, "da"), "undlad");
	assert_string_equal(vote_word_say(VOTE_ABSTAIN, "en"), "abstain");
	assert_null(vote_word_say(VOTE_NONE, "da"));
}

struct rcase {
	const char	*line;
	enum rsvp_word	 want;
};

static const struct rcase rcases[] = {
	{ "Ja", RSVP_YES },
	{ "Yes, I will be there", RSVP_YES },
	{ "Nej tak", RSVP_NO },
	{ "No.", RSVP_NO },
	{ "Måske", RSVP_MAYBE },
	{ "MÅSKE.", RSVP_MAYBE },
	{ "maaske", RSVP_MAYBE },
	{ "Maybe!", RSVP_MAYBE },
	{ "Ja / Måske", RSVP_AMBIGUOUS },
	{ "yes or maybe", RSVP_AMBIGUOUS },
	{ "Undlad", RSVP_NONE },
	{ "", RSVP_NONE },
};

static void
test_rsvp(void **state)
{
	size_t i;
	enum rsvp_word v;

	for (i = 0; i < nitems(rcases); i++) {
		v = rsvp_parse_line(rcases[i].line);
		if (v != rcases[i].want)
			fail_msg("\"%s\": %d, want %d", rcases[i].line, v,
			    rcases[i].want);
	}
}

static void
test_first_line(void **state)
{
	char buf[16];

	assert_string_equal(first_nonempty_line("\n \r\n\t Ja, tak \r\nNej",
	    buf, sizeof buf), "Ja, tak");
	assert_null(first_nonempty_line("\n  \n\r\n", buf, sizeof buf));
	assert_null(first_nonempty_line("", buf, sizeof buf));
	assert_null(first_nonempty_line(NULL, buf, sizeof buf));
	assert_string_equal(first_nonempty_line("abcdefghijklmnopqrstuvwxyz",
	    buf, sizeof buf), "abcdefghijklmno");
	/* Never half a character: "ø" does not fit in the last byte. */
	assert_string_equal(first_nonempty_line("abcdefghijklmnø", buf,
	    sizeof buf), "abcdefghijklmn");
}

/* Long and junk lines end without harm. */
static void
test_hostile(void **state)
{
	size_t n = 1 << 20, i;
	char *s = xmalloc(n + 1), buf[64];

	for (i = 0; i < n; i++)
		s[i] = "Ja no "[i % 6];
	s[n] = '\0';
	assert_int_equal(vote_parse_line(s), VOTE_AMBIGUOUS);
	for (i = 0; i < n; i++)
		s[i] = (char)(1 + (i * 7919) % 255);
	(void)vote_parse_line(s);
	(void)rsvp_parse_line(s);
	(void)first_nonempty_line(s, buf, sizeof buf);
	memset(s, 'a', n);
	assert_int_equal(vote_parse_line(s), VOTE_NONE);
	memset(s, '/', n);
	assert_int_equal(vote_parse_line(s), VOTE_NONE);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_votes),
		cmocka_unit_test(test_rsvp),
		cmocka_unit_test(test_first_line),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
