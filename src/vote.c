/* Reading a vote or an answer to an invitation from the first word of a
 * line (SPEC sections 4 and 5). */
#include <ctype.h>
#include <string.h>

#include "subject.h"
#include "vote.h"

#define TOKEN_MAX	32	/* longer words are no choice */

/* One choice word, folded (MÅSKE as MAASKE), and what it means. */
struct choice {
	const char	*word;
	int		 value;
};

static const struct choice vote_words[] = {
	{ "JA", VOTE_YES },		{ "YES", VOTE_YES },
	{ "+1", VOTE_YES },
	{ "NEJ", VOTE_NO },		{ "NO", VOTE_NO },
	{ "-1", VOTE_NO },
	{ "UNDLAD", VOTE_ABSTAIN },	{ "UNDLADER", VOTE_ABSTAIN },
	{ "BLANK", VOTE_ABSTAIN },	{ "ABSTAIN", VOTE_ABSTAIN },
	{ "0", VOTE_ABSTAIN },
};

static const struct choice rsvp_words[] = {
	{ "JA", RSVP_YES },		{ "YES", RSVP_YES },
	{ "NEJ", RSVP_NO },		{ "NO", RSVP_NO },
	{ "MAASKE", RSVP_MAYBE },	{ "MAYBE", RSVP_MAYBE },
};

/* Words that join two choices into one question ("yes or no"). */
static const char *connectors[] = { "OR", "ELLER", "AND", "OG" };

/* Punctuation beyond ASCII that people put around a word. */
static const char *upunct[] = {
	"\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\xa6", "\xe2\x80\x9c",
	"\xe2\x80\x9d", "\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\xa2",
	"\xc2\xbb", "\xc2\xab"
};

struct token {
	char	 word[TOKEN_MAX];	/* folded; "" when only punctuation */
	int	 cut;			/* trailing punctuation was taken off */
	int	 glued;			/* only blanks since the word before */
};

/* The length of the separator at p (blanks, "/", "|", ...), or 0. */
static size_t
sep_len(const char *p)
{
	if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	if (*p != '\0' && (isspace((unsigned char)*p) || strchr("/|\\,;", *p)))
		return 1;
	return 0;
}

/* The length of the punctuation mark starting at p, or 0. */
static size_t
punct_at(const char *p, const char *e)
{
	size_t i, n;

	if (p < e && (unsigned char)*p < 0x80 && ispunct((unsigned char)*p))
		return 1;
	for (i = 0; i < nitems(upunct); i++) {
		n = strlen(upunct[i]);
		if ((size_t)(e - p) >= n && memcmp(p, upunct[i], n) == 0)
			return n;
	}
	return 0;
}

/* The length of the punctuation mark ending at e, or 0. */
static size_t
punct_before(const char *s, const char *e)
{
	size_t i, n;

	if (e > s && (unsigned char)e[-1] < 0x80 &&
	    ispunct((unsigned char)e[-1]))
		return 1;
	for (i = 0; i < nitems(upunct); i++) {
		n = strlen(upunct[i]);
		if ((size_t)(e - s) >= n && memcmp(e - n, upunct[i], n) == 0)
			return n;
	}
	return 0;
}

/* Take the word [s, e) without its punctuation into t; a sign stays
 * before a digit ("+1"). */
static void
token_set(struct token *t, const char *s, const char *e)
{
	size_t n;

	t->cut = 0;
	while (s < e && !((*s == '+' || *s == '-') && e - s > 1 &&
	    isdigit((unsigned char)s[1])) && (n = punct_at(s, e)) > 0)
		s += n;
	while (e > s && (n = punct_before(s, e)) > 0) {
		e -= n;
		t->cut = 1;
	}
	if (fold_word(s, (size_t)(e - s), t->word, sizeof t->word) ==
	    (size_t)-1)
		memcpy(t->word, "#", 2);
}

/* Read the word after p into t; NULL at the end of the line. */
static const char *
next_token(const char *p, struct token *t)
{
	const char *s;
	size_t n;

	t->glued = 1;
	while ((n = sep_len(p)) > 0) {
		if (*p == '\n')
			return NULL;
		if (n == 1 && !isspace((unsigned char)*p))
			t->glued = 0;
		p += n;
	}
	if (*p == '\0')
		return NULL;
	for (s = p; *p != '\0' && sep_len(p) == 0; p++)
		;
	token_set(t, s, p);
	return p;
}

static int
lookup(const struct choice *tab, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i].word, w) == 0)
			return tab[i].value;
	return 0;
}

/* Whether w is a plain word of letters that is no connector. */
static int
plain_word(const char *w)
{
	size_t i;

	if (*w == '\0')
		return 0;
	for (i = 0; w[i] != '\0'; i++)
		if (!isupper((unsigned char)w[i]) && (unsigned char)w[i] < 0x80)
			return 0;
	for (i = 0; i < nitems(connectors); i++)
		if (strcmp(w, connectors[i]) == 0)
			return 0;
	return 1;
}

/* Whether a later "no" is the English determiner ("Yes, no objections")
 * rather than a second choice. */
static int
is_determiner(const struct token *t, const char *p, const struct choice *tab,
    size_t n)
{
	struct token u;

	if (strcmp(t->word, "NO") != 0 || t->cut)
		return 0;
	if (next_token(p, &u) == NULL || !u.glued)
		return 0;
	return plain_word(u.word) && lookup(tab, n, u.word) == 0;
}

/* The choice the first word names; ambiguous when a later word on its
 * line names a different one. Blank lines before it are skipped. */
static int
parse_choice(const char *line, const struct choice *tab, size_t n,
    int ambiguous)
{
	struct token t;
	const char *p = line;
	int first, c;

	if (line == NULL)
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	while ((p = next_token(p, &t)) != NULL && t.word[0] == '\0')
		;
	if (p == NULL || (first = lookup(tab, n, t.word)) == 0)
		return 0;
	while ((p = next_token(p, &t)) != NULL) {
		c = lookup(tab, n, t.word);
		if (c == 0 || c == first || is_determiner(&t, p, tab, n))
			continue;
		return ambiguous;
	}
	return first;
}

enum vote_word
vote_parse_line(const char *line)
{
	return (enum vote_word)parse_choice(line, vote_words,
	    nitems(vote_words), VOTE_AMBIGUOUS);
}

enum rsvp_word
rsvp_parse_line(const char *line)
{
	return (enum rsvp_word)parse_choice(line, rsvp_words,
	    nitems(rsvp_words), RSVP_AMBIGUOUS);
}

const char *
vote_word_name(enum vote_word v)
{
	switch (v) {
	case VOTE_YES:
		return "yes";
	case VOTE_NO:
		return "no";
	case VOTE_ABSTAIN:
		return "abstain";
	default:
		return NULL;
	}
}

const char *
vote_word_say(enum vote_word v, const char *lang)
{
	if (strcmp(lang, "en") == 0)
		return vote_word_name(v);
	switch (v) {
	case VOTE_YES:
		return "ja";
	case VOTE_NO:
		return "nej";
	case VOTE_ABSTAIN:
		return "undlad";
	default:
		return NULL;
	}
}

/* The length of white space at p, counting a no-break space. */
static size_t
space_len(const char *p)
{
	if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	return *p != '\0' && isspace((unsigned char)*p) && *p != '\n';
}

/* Copy [s, e) trimmed into buf, never splitting a UTF-8 character;
 * NULL when nothing is left. */
static const char *
copy_trimmed(const char *s, const char *e, char *buf, size_t bufsz)
{
	size_t n;

	while (s < e && (n = space_len(s)) > 0)
		s += n;
	while (e > s && (isspace((unsigned char)e[-1]) || (e - s >= 2 &&
	    (unsigned char)e[-2] == 0xc2 && (unsigned char)e[-1] == 0xa0)))
		e -= isspace((unsigned char)e[-1]) ? 1 : 2;
	if (s == e)
		return NULL;
	n = (size_t)(e - s);
	if (n > bufsz - 1) {
		n = bufsz - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

const char *
first_nonempty_line(const char *text, char *buf, size_t bufsz)
{
	const char *p = text, *e;

	if (text == NULL || bufsz == 0)
		return NULL;
	while (*p != '\0') {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		if (copy_trimmed(p, e, buf, bufsz) != NULL)
			return buf;
		p = *e == '\0' ? e : e + 1;
	}
	buf[0] = '\0';
	return NULL;
}
