/* The first word of a reply as a vote or an answer to an invitation
 * (SPEC sections 4 and 5). */
#ifndef PACTD_VOTE_H
#define PACTD_VOTE_H

#include <stddef.h>

enum vote_word {
	VOTE_NONE = 0,
	VOTE_YES,
	VOTE_NO,
	VOTE_ABSTAIN,
	VOTE_AMBIGUOUS
};

enum rsvp_word {
	RSVP_NONE = 0,
	RSVP_YES,
	RSVP_NO,
	RSVP_MAYBE,
	RSVP_AMBIGUOUS
};

/* The vote the first word gives: JA/YES/+1, NEJ/NO/-1,
 * UNDLAD/BLANK/ABSTAIN/0; VOTE_AMBIGUOUS when its line names another
 * choice too ("Ja / Nej"). Blank lines before the word are skipped, lines
 * after it do not count. */
enum vote_word vote_parse_line(const char *);

/* The same for JA/YES, NEJ/NO, MÅSKE/MAYBE. */
enum rsvp_word rsvp_parse_line(const char *);

/* "yes", "no", "abstain", or NULL for the others. */
const char *vote_word_name(enum vote_word);
/* The vote as a reply in lang ("da" or "en") names it: "ja", "nej",
 * "undlad" or "yes", "no", "abstain"; NULL for the others. */
const char *vote_word_say(enum vote_word, const char *lang);

/* Copy the first line holding more than white space, trimmed, into buf
 * (cut to bufsz - 1 bytes); returns buf, or NULL when there is none. */
const char *first_nonempty_line(const char *text, char *buf, size_t bufsz);

#endif
