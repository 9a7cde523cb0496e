/* The new text of a mail (quotes and signatures gone) and the
 * "Name: value" fields in it (SPEC section 3). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "subject.h"

#define HEADER_MAX	400	/* longer lines are no quote header */
#define UNKNOWN_MAX	40	/* longest unknown field name */
#define OUTLOOK_LOOK	4	/* lines after From: to look for Sent: */
#define UNKNOWN_KEEP	32	/* unknown field names worth a warning */

enum cut {
	CUT_NONE,
	CUT_QUOTE,		/* a line starting with ">" */
	CUT_HEADER,		/* "On ... wrote:", "-----Original Message-----" */
	CUT_SIG			/* "-- ", "Sendt fra min iPhone" */
};

struct lines {
	char	*buf;
	char	**v;
	size_t	 n;
};

static const struct field_def fieldtab[] = {
	{ F_NONE,		"",		"",		0 },
	{ F_MOTIVATION,		"Motivation",	"Motivation",	0 },
	{ F_OBJECTIVES,		"Målsætninger",	"Objectives",	1 },
	{ F_CONTRIBUTION,	"Bidrag",	"Contribution",	0 },
	{ F_ORGANISATION,	"Organisation",	"Organisation",	0 },
	{ F_TYPE,		"Type",		"Type",		0 },
	{ F_CVR,		"CVR",		"CVR",		0 },
	{ F_CONTACT,		"Kontakt",	"Contact",	0 },
	{ F_DIALOGUE,		"Dialog",	"Dialogue",	0 },
	{ F_PRINCIPLES,		"Principper",	"Principles",	0 },
	{ F_INITIATIVES,	"Initiativer",	"Initiatives",	1 },
	{ F_FIT,		"Sammenhæng",	"Fit",		0 },
	{ F_TITLE,		"Titel",	"Title",	0 },
	{ F_DESCRIPTION,	"Beskrivelse",	"Description",	0 },
	{ F_PURPOSE,		"Formål",	"Purpose",	0 },
	{ F_PARTNERS,		"Partnere",	"Partners",	1 },
	{ F_LINK,		"Link",		"Link",		0 },
	{ F_YEAR,		"År",		"Year",		0 },
	{ F_DEADLINE,		"Frist",	"Deadline",	0 },
	{ F_STATUS,		"Status",	"Status",	0 },
	{ F_START,		"Start",	"Start",	0 },
	{ F_END,		"Slut",		"End",		0 },
	{ F_LOCATION,		"Sted",		"Location",	0 },
	{ F_AGENDA,		"Dagsorden",	"Agenda",	1 },
	{ F_INITIATIVE,		"Initiativ",	"Initiative",	0 },
};

_Static_assert(nitems(fieldtab) == F_COUNT, "fieldtab follows enum field_id");

/* Other names people use for a field. */
static const struct {
	enum field_id	 id;
	const char	*name;
} field_aliases[] = {
	{ F_ORGANISATION, "Organization" },
};

/* Lines that separate the new text from a quoted or forwarded message. */
static const char *separators[] = {
	"Original Message", "Oprindelig meddelelse", "Forwarded message",
	"Videresendt meddelelse", "Videresendt besked", "Ursprüngliche Nachricht"
};

/* The Outlook header block: a From line, then a Sent line. */
static const char *outlook_from[] = { "From:", "Fra:", "Von:" };
static const char *outlook_sent[] = {
	"Sent:", "Sendt:", "Date:", "Dato:", "Gesendet:"
};

/* Signature lines that mobile and web clients add. */
static const char *mobile_sigs[] = {
	"Sendt fra min ", "Sent from my ", "Hentet fra Outlook",
	"Hent Outlook til ", "Get Outlook for ", "Sendt fra Outlook",
	"Sent from Outlook", "Sendt fra Mail til ", "Sent from Mail for "
};

/* Split text into lines, dropping CRs, so that every rule sees bare lines. */
static void
lines_split(const char *text, struct lines *ls)
{
	size_t len = strlen(text), i, j, n = 1;
	char *p, *q;

	ls->buf = xmalloc(len + 1);
	for (i = j = 0; i < len; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			n++;
		ls->buf[j++] = text[i];
	}
	ls->buf[j] = '\0';
	ls->v = xcalloc(n + 1, sizeof *ls->v);
	ls->n = 0;
	for (p = ls->buf; p != NULL; p = q) {
		if ((q = strchr(p, '\n')) != NULL)
			*q++ = '\0';
		ls->v[ls->n++] = p;
	}
}

static void
lines_free(struct lines *ls)
{
	free(ls->buf);
	free(ls->v);
}

/* The length of white space at p, counting the no-break space that
 * HTML conversion leaves. */
static size_t
space_len(const char *p)
{
	if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	return *p != '\0' && isspace((unsigned char)*p);
}

static const char *
skip_space(const char *p)
{
	size_t n;

	while ((n = space_len(p)) > 0)
		p += n;
	return p;
}

static int
is_blank(const char *l)
{
	return *skip_space(l) == '\0';
}

static int
is_indented(const char *l)
{
	return space_len(l) > 0;
}

/* The span [s, e) of l without white space at either end. */
static void
trim_span(const char *l, const char **s, const char **e)
{
	const char *p;

	*s = skip_space(l);
	*e = *s + strlen(*s);
	for (p = *e; p > *s; ) {
		if (isspace((unsigned char)p[-1]))
			p--;
		else if (p - *s >= 2 && (unsigned char)p[-2] == 0xc2 &&
		    (unsigned char)p[-1] == 0xa0)
			p -= 2;
		else
			break;
	}
	*e = p;
}

/* Whether the trimmed line ends with the word, without case. */
static int
ends_with(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) >= n && strncasecmp(e - n, word, n) == 0;
}

static int
has_digit(const char *s, const char *e)
{
	for (; s < e; s++)
		if (isdigit((unsigned char)*s))
			return 1;
	return 0;
}

static int
has_char(const char *s, const char *e, int c)
{
	return memchr(s, c, (size_t)(e - s)) != NULL;
}

/* Whether [s, e) holds " word " or ends with " word:" (without case). */
static int
has_word(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = s; p + n < e; p++)
		if (p > s && p[-1] == ' ' && strncasecmp(p, word, n) == 0 &&
		    (p[n] == ' ' || p[n] == ':'))
			return 1;
	return 0;
}

static int
is_quote(const char *l)
{
	while (*l == ' ' || *l == '\t')
		l++;
	return *l == '>';
}

/* The first line after i holding more than white space, or n. */
static size_t
next_nonblank(const struct lines *ls, size_t i)
{
	for (i++; i < ls->n; i++)
		if (!is_blank(ls->v[i]))
			return i;
	return ls->n;
}

/* Whether [s, e) reads as "On ... wrote:" / "Den ... skrev ...:": 1 yes,
 * 2 only when a ">" line follows (the looser forms), 0 no. */
static int
attribution_text(const char *s, const char *e)
{
	if (e - s > HEADER_MAX || e == s || e[-1] != ':')
		return 0;
	if (strncasecmp(s, "On ", 3) == 0 && ends_with(s, e, "wrote:") &&
	    has_digit(s, e))
		return 1;
	if (strncmp(s, "Den ", 4) == 0 && has_word(s, e, "skrev") &&
	    (has_digit(s, e) || has_char(s, e, '@')))
		return 1;
	if (strncmp(s, "Am ", 3) == 0 && has_word(s, e, "schrieb") &&
	    has_digit(s, e))
		return 1;
	if (!has_word(s, e, "skrev") && !has_word(s, e, "wrote") &&
	    !has_word(s, e, "schrieb"))
		return 0;
	return has_char(s, e, '@') ? 1 : 2;
}

/* Whether the second line of a wrapped attribution looks like the end
 * a client wraps: the address, or the verb alone. */
static int
wrapped_tail(const char *s, const char *e)
{
	static const char *verbs[] = { "wrote:", "skrev:", "schrieb:" };
	size_t i, n;

	if (e - s > 80)
		return 0;
	if (has_char(s, e, '@'))
		return 1;
	for (i = 0; i < nitems(verbs); i++) {
		n = strlen(verbs[i]);
		if ((size_t)(e - s) == n && strncasecmp(s, verbs[i], n) == 0)
			return 1;
	}
	return 0;
}

/* Whether a quoted line follows line i, blank lines between. */
static int
quote_follows(const struct lines *ls, size_t i)
{
	size_t j = next_nonblank(ls, i);

	return j < ls->n && is_quote(ls->v[j]);
}

/* Whether line i starts an attribution; *span gets its lines (2 when
 * a client wrapped it, as Gmail does before a long address). */
static int
is_attribution(const struct lines *ls, size_t i, size_t *span)
{
	const char *s, *e, *s2, *e2;
	struct buf b;
	int r;

	trim_span(ls->v[i], &s, &e);
	*span = 1;
	if ((r = attribution_text(s, e)) == 1 ||
	    (r == 2 && quote_follows(ls, i)))
		return 1;
	if (i + 1 >= ls->n || e - s > HEADER_MAX || s == e || e[-1] == ':')
		return 0;
	trim_span(ls->v[i + 1], &s2, &e2);
	if (!wrapped_tail(s2, e2))
		return 0;
	buf_init(&b);
	buf_add(&b, s, (size_t)(e - s));
	buf_addc(&b, ' ');
	buf_add(&b, s2, (size_t)(e2 - s2));
	r = attribution_text(b.s, b.s + b.len);
	buf_free(&b);
	*span = 2;
	return r == 1 || (r == 2 && quote_follows(ls, i + 1));
}

/* Whether the line is "-----Original Message-----" or a like. */
static int
is_separator(const char *l)
{
	const char *s, *e;
	char *t;
	size_t i;
	int r = 0;

	trim_span(l, &s, &e);
	if (e - s > HEADER_MAX || strncmp(s, "--", 2) != 0)
		return 0;
	t = xstrndup(s, (size_t)(e - s));
	for (i = 0; i < nitems(separators) && !r; i++)
		r = strcasestr(t, separators[i]) != NULL;
	free(t);
	return r;
}

/* Whether l starts with one of the header names, maybe in bold ("*Fra:*"). */
static int
starts_header(const char *l, const char **names, size_t n)
{
	size_t i;

	l = skip_space(l);
	while (*l == '*')
		l++;
	for (i = 0; i < n; i++)
		if (str_startcase(l, names[i]))
			return 1;
	return 0;
}

/* Whether line i starts an Outlook header block: From:/Fra: with
 * Sent:/Sendt: on the same line or within the next lines. */
static int
is_outlook(const struct lines *ls, size_t i)
{
	size_t j;

	if (!starts_header(ls->v[i], outlook_from, nitems(outlook_from)))
		return 0;
	if (strlen(ls->v[i]) <= 2 * HEADER_MAX && (strstr(ls->v[i], "Sent:") ||
	    strstr(ls->v[i], "Sendt:")))
		return 1;
	for (j = i + 1; j < ls->n && j <= i + OUTLOOK_LOOK; j++)
		if (starts_header(ls->v[j], outlook_sent, nitems(outlook_sent)))
			return 1;
	return 0;
}

/* Whether the line ends the text as a signature does. */
static int
is_signature(const char *l)
{
	const char *s, *e;
	size_t i;

	if (strncmp(l, "--", 2) == 0) {
		trim_span(l + 2, &s, &e);
		if (s == e)
			return 1;
	}
	trim_span(l, &s, &e);
	if (e - s > 80)
		return 0;
	for (i = 0; i < nitems(mobile_sigs); i++)
		if (str_startcase(s, mobile_sigs[i]))
			return 1;
	return 0;
}

/* What line i is: text, a quoted line, a quote header or a signature. */
static enum cut
cut_at(const struct lines *ls, size_t i, size_t *span)
{
	*span = 1;
	if (is_quote(ls->v[i]))
		return CUT_QUOTE;
	if (is_signature(ls->v[i]))
		return CUT_SIG;
	if (is_separator(ls->v[i]) || is_outlook(ls, i) ||
	    is_attribution(ls, i, span))
		return CUT_HEADER;
	*span = 1;
	return CUT_NONE;
}

/* Join lines [from, to) with "\n", without blank lines at either end nor
 * the underscore rule Outlook puts above its header block. */
static char *
join_lines(const struct lines *ls, size_t from, size_t to)
{
	struct buf b;
	const char *s, *e;
	size_t i;

	for (; to > from; to--) {
		trim_span(ls->v[to - 1], &s, &e);
		if (s != e && (e - s < 8 || strspn(s, "_") != (size_t)(e - s)))
			break;
	}
	while (from < to && is_blank(ls->v[from]))
		from++;
	buf_init(&b);
	for (i = from; i < to; i++) {
		if (i > from)
			buf_addc(&b, '\n');
		buf_adds(&b, ls->v[i]);
	}
	return buf_steal(&b);
}

/* The text written below a quote (bottom posting): skip the header and
 * the quoted block, then take unquoted lines up to a signature. */
static char *
text_below(const struct lines *ls, size_t i)
{
	struct buf b;
	size_t span;
	enum cut k;
	int seen = 0, gap = 0;

	for (; i < ls->n; i += span) {
		k = cut_at(ls, i, &span);
		if (k == CUT_QUOTE)
			seen = 1;
		else if (k == CUT_HEADER && !seen)
			continue;
		else if (k != CUT_NONE || !is_blank(ls->v[i]))
			break;
	}
	if (!seen)
		return xstrdup("");
	buf_init(&b);
	for (; i < ls->n; i += span) {
		k = cut_at(ls, i, &span);
		if (k == CUT_SIG || k == CUT_HEADER)
			break;
		if (k == CUT_QUOTE || is_blank(ls->v[i])) {
			gap = b.len > 0;
			continue;
		}
		if (b.len > 0)
			buf_adds(&b, gap ? "\n\n" : "\n");
		buf_adds(&b, ls->v[i]);
		gap = 0;
	}
	return buf_steal(&b);
}

char *
body_new_text(const char *text)
{
	struct lines ls;
	size_t i, j, span = 1;
	enum cut k = CUT_NONE;
	char *r;

	if (text == NULL)
		return xstrdup("");
	lines_split(text, &ls);
	for (i = 0; i < ls.n; i++)
		if ((k = cut_at(&ls, i, &span)) != CUT_NONE)
			break;
	for (j = 0; j < i && is_blank(ls.v[j]); j++)
		;
	if (j < i || i == ls.n)
		r = join_lines(&ls, 0, i);
	else if (k == CUT_SIG)
		r = xstrdup("");
	else
		r = text_below(&ls, i);
	lines_free(&ls);
	return r;
}

/* One line without its quote markers ("> > Ref: ..." is "Ref: ..."). */
static const char *
unquote(const char *l)
{
	const char *p = l;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '>')
		return l;
	while (*p == '>') {
		p++;
		if (*p == ' ')
			p++;
		while (*p == ' ' && p[1] == '>')
			p++;
	}
	return p;
}

char *
body_quoted_text(const char *text)
{
	struct lines ls;
	struct buf b;
	size_t i, span;
	enum cut k;

	if (text == NULL)
		return xstrdup("");
	lines_split(text, &ls);
	for (i = 0; i < ls.n; i++)
		if ((k = cut_at(&ls, i, &span)) == CUT_QUOTE || k == CUT_HEADER)
			break;
	buf_init(&b);
	for (; i < ls.n; i++) {
		if (i + 1 == ls.n && ls.v[i][0] == '\0')
			break;
		buf_adds(&b, unquote(ls.v[i]));
		buf_addc(&b, '\n');
	}
	lines_free(&ls);
	return buf_steal(&b);
}

const struct field_def *
field_def(enum field_id id)
{
	if (id <= F_NONE || id >= F_COUNT)
		return NULL;
	return &fieldtab[id];
}

/* Whether l starts with name and a colon; *val gets what follows and
 * *len the length of the name as written. */
static int
name_colon(const char *l, const char *name, const char **val, size_t *len)
{
	size_t n;

	if ((n = fold_prefix(l, name)) == 0)
		return 0;
	*len = n;
	l += n;
	while (*l == ' ' || *l == '\t' || *l == '*')
		l++;
	if (*l != ':')
		return 0;
	l++;
	while (*l == '*')
		l++;
	*val = l;
	return 1;
}

/* The known field the line starts, or F_NONE; *val gets its value and
 * *name the name as written. HTML conversion may leave the name in bold
 * ("*Motivation:*"). */
static enum field_id
known_field(const char *l, const char **val, char **name)
{
	enum field_id id = F_NONE;
	size_t i, n = 0;

	while (*l == '*')
		l++;
	if (!isalpha((unsigned char)*l) && (unsigned char)*l < 0x80)
		return F_NONE;
	for (i = 1; i < nitems(fieldtab) && id == F_NONE; i++)
		if (name_colon(l, fieldtab[i].da, val, &n) ||
		    name_colon(l, fieldtab[i].en, val, &n))
			id = fieldtab[i].id;
	for (i = 0; i < nitems(field_aliases) && id == F_NONE; i++)
		if (name_colon(l, field_aliases[i].name, val, &n))
			id = field_aliases[i].id;
	if (id != F_NONE)
		*name = xstrndup(l, n);
	return id;
}

static int
is_letter(const char *p)
{
	return isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80;
}

/* The length of the name when the line looks like "Word: value" or
 * "Two words: value" (letters only, no URL), else 0. */
static size_t
unknown_name(const char *l)
{
	const char *p = l, *w;
	int words = 0;

	for (;;) {
		for (w = p; is_letter(p) || (*p == '-' && p > w &&
		    is_letter(p + 1)); p++)
			;
		if (p == w || ++words > 3 || p - l > UNKNOWN_MAX)
			return 0;
		if (*p != ' ' || !is_letter(p + 1))
			break;
		p++;
	}
	if (*p == ' ')
		p++;
	if (*p != ':' || (p[1] != '\0' && !isspace((unsigned char)p[1])))
		return 0;
	return (size_t)(p - l - (p[-1] == ' '));
}

/* The length of a list bullet and the blanks after it, or 0. */
static size_t
bullet_len(const char *s)
{
	static const char *marks[] = {
		"- ", "-\t", "* ", "*\t", "\xe2\x80\xa2", "\xc2\xb7",
		"\xe2\x80\x93 ", "\xe2\x96\xaa", "\xe2\x97\xa6", "o\t"
	};
	const char *p = s;
	size_t i, n;

	for (i = 0; i < nitems(marks); i++) {
		n = strlen(marks[i]);
		if (strncmp(s, marks[i], n) == 0)
			return (size_t)(skip_space(s + n) - s);
	}
	for (n = 0; isdigit((unsigned char)*p) && n < 3; n++)
		p++;
	if (n == 0 || (*p != '.' && *p != ')') || space_len(p + 1) == 0)
		return 0;
	return (size_t)(skip_space(p + 1) - s);
}

enum fstate {
	FS_PREAMBLE,		/* before the first field */
	FS_FIELD,		/* in a known field */
	FS_UNKNOWN,		/* in an unknown field */
	FS_GAP,			/* a field ended at a blank line */
	FS_TRAILER		/* free text after the fields (greetings) */
};

struct fparse {
	struct fields	*fs;
	enum fstate	 st;
	enum field_id	 cur;
	int		 blank;		/* blank lines since the last text */
	int		 bulleted;	/* the last list item had a bullet */
	struct buf	 val;		/* the current text field */
	struct buf	 item;		/* the current list item */
	struct buf	 pre;
};

/* Store the list item being read, if any. */
static void
item_flush(struct fparse *fp)
{
	if (fp->item.len > 0)
		strv_addn(&fp->fs->f[fp->cur].items, buf_steal(&fp->item));
	buf_free(&fp->item);
}

/* Store the field being read: text trimmed, list items joined. */
static void
field_close(struct fparse *fp)
{
	struct field *f = &fp->fs->f[fp->cur];
	struct buf b;
	const char *s, *e;
	size_t i;

	if (fp->st != FS_FIELD)
		return;
	free(f->value);
	if (fieldtab[fp->cur].is_list) {
		item_flush(fp);
		buf_init(&b);
		for (i = 0; i < f->items.n; i++) {
			if (i > 0)
				buf_addc(&b, '\n');
			buf_adds(&b, f->items.v[i]);
		}
		f->value = buf_steal(&b);
	} else {
		trim_span(fp->val.s != NULL ? fp->val.s : "", &s, &e);
		f->value = xstrndup(s, (size_t)(e - s));
	}
	buf_free(&fp->val);
}

/* Add one list line: a bullet starts an item, an indented line below a
 * bulleted item continues it, any other line is an item of its own. */
static void
list_add(struct fparse *fp, const char *l)
{
	const char *s, *e;
	size_t n;
	int indented = is_indented(l);

	l = skip_space(l);
	n = bullet_len(l);
	trim_span(l + n, &s, &e);
	if (s == e || (n == 0 && e - s == 1 && strchr("-*", *s) != NULL))
		return;
	if (n == 0 && indented && fp->bulleted && fp->item.len > 0) {
		buf_addc(&fp->item, ' ');
		buf_add(&fp->item, s, (size_t)(e - s));
		return;
	}
	item_flush(fp);
	buf_add(&fp->item, s, (size_t)(e - s));
	fp->bulleted = n > 0;
}

/* Fields that name something, which mail headers and calendars carry:
 * a value folded over lines (by the sender or the client's wrapping) is
 * one line, joined with spaces as a folded header is. */
static int
is_one_line(enum field_id id)
{
	return id == F_ORGANISATION || id == F_CONTACT || id == F_TITLE ||
	    id == F_LOCATION || id == F_INITIATIVE;
}

/* Add one line to the text field being read. */
static void
text_add(struct fparse *fp, const char *l)
{
	const char *s, *e;

	trim_span(l, &s, &e);
	if (s == e)
		return;
	if (fp->val.len > 0 && is_one_line(fp->cur))
		buf_addc(&fp->val, ' ');
	else if (fp->val.len > 0)
		buf_adds(&fp->val, fp->blank ? "\n\n" : "\n");
	buf_add(&fp->val, s, (size_t)(e - s));
}

/* Start reading a field; a repeated field's later value and name win. */
static void
field_open(struct fparse *fp, enum field_id id, char *name, const char *val)
{
	field_close(fp);
	free(fp->fs->f[id].name);
	fp->fs->f[id].name = name;
	fp->st = FS_FIELD;
	fp->cur = id;
	fp->bulleted = 0;
	fp->blank = 0;
	buf_init(&fp->val);
	buf_init(&fp->item);
	if (fieldtab[id].is_list)
		list_add(fp, val);
	else
		text_add(fp, val);
}

/* Note an unknown field and read on in it. */
static void
unknown_open(struct fparse *fp, const char *l, size_t n)
{
	char *name;

	field_close(fp);
	fp->st = FS_UNKNOWN;
	if (fp->fs->unknown.n >= UNKNOWN_KEEP)
		return;
	name = xstrndup(l, n);
	if (!strv_contains_case(&fp->fs->unknown, name))
		strv_addn(&fp->fs->unknown, name);
	else
		free(name);
}

/* Whether the line goes on in the field being read. */
static int
field_goes_on(const struct fparse *fp, const char *l)
{
	if (!fp->blank || is_indented(l))
		return 1;
	return fieldtab[fp->cur].is_list && bullet_len(l) > 0;
}

/* A line after a field ended: another unknown field, or free text. */
static void
gap_line(struct fparse *fp, const char *l)
{
	size_t n;

	if (!is_indented(l) && (n = unknown_name(l)) > 0)
		unknown_open(fp, l, n);
	else
		fp->st = FS_TRAILER;
}

/* A line while a known field is read. */
static void
field_line(struct fparse *fp, const char *l)
{
	size_t n;

	if (!field_goes_on(fp, l)) {
		field_close(fp);
		fp->st = FS_GAP;
		gap_line(fp, l);
		return;
	}
	if (fieldtab[fp->cur].is_list)
		list_add(fp, l);
	else if (!is_indented(l) && (n = unknown_name(l)) > 0)
		unknown_open(fp, l, n);
	else
		text_add(fp, l);
}

/* Read one line; known field names start a field in any state. */
static void
fields_line(struct fparse *fp, const char *l)
{
	const char *val;
	char *name;
	enum field_id id;
	size_t n;

	if (is_blank(l)) {
		fp->blank = 1;
		if (fp->st == FS_PREAMBLE)
			buf_addc(&fp->pre, '\n');
		return;
	}
	if ((id = known_field(l, &val, &name)) != F_NONE) {
		field_open(fp, id, name, val);
		return;
	}
	switch (fp->st) {
	case FS_PREAMBLE:
		buf_adds(&fp->pre, l);
		buf_addc(&fp->pre, '\n');
		break;
	case FS_FIELD:
		field_line(fp, l);
		break;
	case FS_UNKNOWN:
		if (fp->blank && !is_indented(l))
			gap_line(fp, l);
		else if (!is_indented(l) && (n = unknown_name(l)) > 0)
			unknown_open(fp, l, n);
		break;
	case FS_GAP:
		gap_line(fp, l);
		break;
	case FS_TRAILER:
		break;
	}
	fp->blank = 0;
}

void
body_fields(const char *newtext, struct fields *fs)
{
	struct fparse fp;
	struct lines ls;
	const char *s, *e;
	size_t i;

	memset(fs, 0, sizeof *fs);
	memset(&fp, 0, sizeof fp);
	fp.fs = fs;
	fp.st = FS_PREAMBLE;
	buf_init(&fp.val);
	buf_init(&fp.item);
	buf_init(&fp.pre);
	lines_split(newtext != NULL ? newtext : "", &ls);
	for (i = 0; i < ls.n; i++)
		fields_line(&fp, ls.v[i]);
	field_close(&fp);
	lines_free(&ls);
	trim_span(fp.pre.s != NULL ? fp.pre.s : "", &s, &e);
	fs->preamble = xstrndup(s, (size_t)(e - s));
	buf_free(&fp.pre);
}

void
fields_free(struct fields *fs)
{
	size_t i;

	for (i = 0; i < F_COUNT; i++) {
		free(fs->f[i].name);
		free(fs->f[i].value);
		strv_free(&fs->f[i].items);
	}
	strv_free(&fs->unknown);
	free(fs->preamble);
	memset(fs, 0, sizeof *fs);
}

int
fields_has(const struct fields *fs, enum field_id id)
{
	const struct field *f;

	if (id <= F_NONE || id >= F_COUNT)
		return 0;
	f = &fs->f[id];
	return (f->value != NULL && f->value[0] != '\0') || f->items.n > 0;
}
