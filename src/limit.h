/* The limits of SPEC section 3, counted in characters (Unicode code
 * points of the UTF-8 text, not bytes): what a submission may hold, and
 * the clipping the public page applies to anything stored before them.
 * Pure functions, unit-tested. */
#ifndef PACTD_LIMIT_H
#define PACTD_LIMIT_H

#include <stddef.h>

#include "body.h"
#include "util.h"

#define LIMIT_TEXT_CHARS	4000	/* a text field */
#define LIMIT_NAME_CHARS	200	/* a title or an organisation name */
#define LIMIT_LIST_ITEMS	50	/* items of a list */
#define LIMIT_ITEM_CHARS	300	/* one item of a list */

/* The kinds of field, each with its own limits. */
enum limit_kind { LIMIT_TEXT, LIMIT_NAME, LIMIT_LIST };

/* What a value breaks, if anything. */
enum limit_what { LIMIT_OK, LIMIT_CHARS, LIMIT_ITEMS, LIMIT_ITEM };

struct limit_breach {
	enum limit_what what;
	size_t max;		/* the limit broken */
	size_t have;		/* what the value has */
	size_t item;		/* LIMIT_ITEM: the first long item, from 1 */
	size_t more;		/* LIMIT_ITEM: further items that are long */
};

/* The number of characters in UTF-8 text. */
size_t limit_chars(const char *);

/* The kind of a field, for its limits. */
enum limit_kind limit_kind(enum field_id);

/* Check a text or name value; 0 when within its limit, else -1 and *b. */
int limit_text(enum limit_kind, const char *, struct limit_breach *b);

/* Check a list's items; 0 when within the limits, else -1 and *b (too
 * many items comes before a long item). */
int limit_list(const struct strv *, struct limit_breach *b);

/* The problem for a reply in lang ("da" or "en"), naming the field as
 * the sender wrote it: "Beskrivelse: højst 4000 tegn (din tekst har
 * 4 000 123)". Owned. */
char *limit_problem(const char *lang, const char *field,
    const struct limit_breach *);

/* At most max characters of s, ending in "…" when clipped; never splits
 * a character. Owned. */
char *limit_clip(const char *s, size_t max);

#endif
