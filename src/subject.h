/* The subject line: reply prefixes, bracketed tags, the keyword. */
#ifndef PACTD_SUBJECT_H
#define PACTD_SUBJECT_H

#include "util.h"
#include "vote.h"

struct kind;

struct subject {
	const struct kind *kind; /* the kind its keyword names, or NULL */
	const char *lang;	/* "da" or "en" for the keyword used, else NULL */
	char *ref;		/* PAGT-YYYY-NNNN after MEETING UPDATE/CANCEL */
	char *rest;		/* the subject after prefixes and tags */
	struct strv tags;	/* bracket tags, without brackets, in order */
};

/* Parse an already RFC 2047-decoded subject. */
void subject_parse(const char *, struct subject *);
void subject_free(struct subject *);

/* The subject with its keyword written in normal case ("ERKLÆRING for
 * DI" gives "Erklæring for DI"), for a reply's subject: all capitals read
 * as spam. Prefixes, tags and the sender's other words stay as written.
 * Owned; "" for NULL. */
char *subject_normal_case(const char *);

/* Whether the subject marks an automatic reply (Autosvar, Out of Office). */
int subject_is_autoreply(const char *);

/* The first PAGT-YYYY-NNNN reference among the tags, or NULL. */
const char *subject_ref_tag(const struct subject *);

/* The kind's keyword as SPEC writes it ("ERKLÆRING", "MEETING UPDATE");
 * lang "en" gives the English word, anything else the Danish; "" for a
 * kind without keyword or NULL. */
const char *keyword_name(const struct kind *, const char *lang);

/* Whether s is exactly a reference PAGT-YYYY-NNNN (any case). */
int subject_is_ref(const char *);

/*
 * Letter matching shared with body.c and vote.c: ASCII and Latin-1 letters
 * without case, and Æ Ø Å the same as AE OE AA (also Ä Ö as AE OE).
 */

/* The bytes of s that match word at its start, or 0; a space in word
 * matches any run of blanks in s. */
size_t fold_prefix(const char *s, const char *word);

/* Fold n bytes of s into out (upper-case ASCII, Æ as AE, ...); returns the
 * folded length, or (size_t)-1 when it does not fit. */
size_t fold_word(const char *s, size_t n, char *out, size_t outsz);

#endif
