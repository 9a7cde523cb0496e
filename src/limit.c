/* The limits of SPEC section 3 and the page's clipping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"

/* The one table: each kind of field and what it may hold. */
static const struct {
	size_t chars;		/* characters in the value, or in an item */
	size_t items;		/* items, for lists */
} limits[] = {
	[LIMIT_TEXT] = { LIMIT_TEXT_CHARS, 0 },
	[LIMIT_NAME] = { LIMIT_NAME_CHARS, 0 },
	[LIMIT_LIST] = { LIMIT_ITEM_CHARS, LIMIT_LIST_ITEMS },
};

/* The fields that hold a title or an organisation's name, and the
 * reference a comment names (no longer than a title may be). */
static const enum field_id name_fields[] = { F_TITLE, F_ORGANISATION,
    F_INITIATIVE };

size_t
limit_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

enum limit_kind
limit_kind(enum field_id id)
{
	const struct field_def *d = field_def(id);

	for (size_t i = 0; i < nitems(name_fields); i++)
		if (name_fields[i] == id)
			return LIMIT_NAME;
	return d != NULL && d->is_list ? LIMIT_LIST : LIMIT_TEXT;
}

int
limit_text(enum limit_kind k, const char *s, struct limit_breach *b)
{
	size_t n = limit_chars(s != NULL ? s : "");

	memset(b, 0, sizeof *b);
	if (n <= limits[k].chars)
		return 0;
	b->what = LIMIT_CHARS;
	b->max = limits[k].chars;
	b->have = n;
	return -1;
}

int
limit_list(const struct strv *items, struct limit_breach *b)
{
	size_t n;

	memset(b, 0, sizeof *b);
	if (items->n > limits[LIMIT_LIST].items) {
		b->what = LIMIT_ITEMS;
		b->max = limits[LIMIT_LIST].items;
		b->have = items->n;
		return -1;
	}
	for (size_t i = 0; i < items->n; i++) {
		if ((n = limit_chars(items->v[i])) <= limits[LIMIT_LIST].chars)
			continue;
		if (b->what == LIMIT_ITEM) {
			b->more++;
			continue;
		}
		b->what = LIMIT_ITEM;
		b->max = limits[LIMIT_LIST].chars;
		b->have = n;
		b->item = i + 1;
	}
	return b->what == LIMIT_OK ? 0 : -1;
}

/* A count as people read it: groups of three from 10 000 on. */
static void
limit_count(size_t n, int sep, char *out, size_t len)
{
	char digits[32];
	size_t nd, i, o = 0;

	nd = (size_t)snprintf(digits, sizeof digits, "%zu", n);
	for (i = 0; i < nd && o + 2 < len; i++) {
		if (nd > 4 && i > 0 && (nd - i) % 3 == 0)
			out[o++] = (char)sep;
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* "; 2 punkter mere er for lange", or "" when no more. */
static char *
limit_more(int en, size_t more)
{
	if (more == 0)
		return xstrdup("");
	if (en)
		return xasprintf("; %zu more %s too long", more,
		    more == 1 ? "item is" : "items are");
	return xasprintf("; %zu %s mere er for %s", more, more == 1 ?
	    "punkt" : "punkter", more == 1 ? "langt" : "lange");
}

char *
limit_problem(const char *lang, const char *field,
    const struct limit_breach *b)
{
	int en = strcmp(lang, "en") == 0;
	char have[40], *more, *s;

	limit_count(b->have, en ? ',' : ' ', have, sizeof have);
	switch (b->what) {
	case LIMIT_ITEMS:
		return xasprintf(en ? "%s: at most %zu items (yours has %s)" :
		    "%s: højst %zu punkter (din liste har %s)", field, b->max,
		    have);
	case LIMIT_ITEM:
		more = limit_more(en, b->more);
		s = xasprintf(en ? "%s, item %zu: at most %zu characters (the "
		    "item has %s%s)" : "%s, punkt %zu: højst %zu tegn (punktet "
		    "har %s%s)", field, b->item, b->max, have, more);
		free(more);
		return s;
	default:
		return xasprintf(en ? "%s: at most %zu characters (yours has "
		    "%s)" : "%s: højst %zu tegn (din tekst har %s)", field,
		    b->max, have);
	}
}

char *
limit_clip(const char *s, size_t max)
{
	size_t n = 0, i;
	char *t;

	if (s == NULL)
		return NULL;
	if (limit_chars(s) <= max)
		return xstrdup(s);
	if (max == 0)
		return xstrdup("");
	/* Keep max - 1 characters and make room for the ellipsis. */
	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max - 1)
			break;
	t = xmalloc(i + 4);
	memcpy(t, s, i);
	memcpy(t + i, "\xe2\x80\xa6", 4);
	return t;
}
