/* HTML mail to the plain text a reader sees: what a browser would show,
 * line by line, with quoted replies marked "> " so that the body parser can
 * still tell the new text from the quote. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "util.h"

#define HTML_MAX_STACK	512	/* deeper elements are read but not tracked */
#define HTML_ATTR_MAX	256

enum brk { BRK_NONE, BRK_BLOCK, BRK_PARA };

struct elem {
	char name[16];
	enum brk brk;
	int quote;		/* adds a quote level */
	int pre;
	int drop;		/* content hidden (Outlook list bullets) */
	int gmail;		/* Gmail's quote container */
	int item;		/* a list item */
};

struct tag {
	char name[16];
	int close;
	int selfclose;
	char cls[HTML_ATTR_MAX];
	char style[HTML_ATTR_MAX];
	struct buf href;
};

struct html {
	const char *s;
	size_t len;
	size_t i;
	struct buf out;
	int pending_nl;		/* line ends owed before the next text */
	int pending_sp;		/* a collapsed space owed */
	int pending_bullet;
	int item;		/* list items open */
	int item_started;	/* the open item's bullet is written */
	int inline_text;	/* text on the current line */
	int quote;
	int last_quote;		/* quote level of the last text written */
	int pre;
	int drop;
	struct elem stack[HTML_MAX_STACK];
	size_t depth;
	unsigned noclose;	/* hidden elements known to have no end tag */
	char *href;		/* the open link's target */
	size_t link_start;	/* where its text starts in out */
};

struct entity {
	const char *name;
	unsigned long cp;
};

static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "aelig", 0xe6 },
	{ "AElig", 0xc6 }, { "oslash", 0xf8 }, { "Oslash", 0xd8 },
	{ "aring", 0xe5 }, { "Aring", 0xc5 }, { "auml", 0xe4 },
	{ "Auml", 0xc4 }, { "ouml", 0xf6 }, { "Ouml", 0xd6 },
	{ "uuml", 0xfc }, { "Uuml", 0xdc }, { "szlig", 0xdf },
	{ "eacute", 0xe9 }, { "Eacute", 0xc9 }, { "egrave", 0xe8 },
	{ "agrave", 0xe0 }, { "aacute", 0xe1 }, { "oacute", 0xf3 },
	{ "iacute", 0xed }, { "uacute", 0xfa }, { "ntilde", 0xf1 },
	{ "ccedil", 0xe7 }, { "copy", 0xa9 }, { "reg", 0xae },
	{ "trade", 0x2122 }, { "hellip", 0x2026 }, { "mdash", 0x2014 },
	{ "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
	{ "sbquo", 0x201a }, { "ldquo", 0x201c }, { "rdquo", 0x201d },
	{ "bdquo", 0x201e }, { "laquo", 0xab }, { "raquo", 0xbb },
	{ "bull", 0x2022 }, { "middot", 0xb7 }, { "euro", 0x20ac },
	{ "pound", 0xa3 }, { "sect", 0xa7 }, { "para", 0xb6 },
	{ "deg", 0xb0 }, { "times", 0xd7 }, { "divide", 0xf7 },
	{ "plusmn", 0xb1 }, { "frac12", 0xbd }, { "shy", 0xad },
	{ "zwnj", 0x200c }, { "zwj", 0x200d }, { "ensp", 0x2002 },
	{ "emsp", 0x2003 }, { "thinsp", 0x2009 },
};

/* Entities browsers still accept without the semicolon. */
static const char *legacy_entities[] = { "amp", "lt", "gt", "quot", "nbsp" };

static const char *void_elems[] = {
	"br", "hr", "img", "meta", "link", "input", "col", "area", "base",
	"wbr", "source", "embed", "param", "track", "keygen",
};

static const char *block_elems[] = {
	"div", "tr", "ul", "ol", "table", "section", "article", "header",
	"footer", "address", "center", "dl", "dt", "dd", "form", "fieldset",
	"nav", "aside", "main", "figure", "hr", "li", "blockquote",
	"tbody", "thead", "caption",
};

static const char *para_elems[] = {
	"p", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
};

/* Elements a browser closes when the same one opens again. */
static const char *self_closing[] = { "p", "li", "tr", "td", "th", "dt",
    "dd", "option" };

static const char *hidden_elems[] = { "script", "style", "head", "title",
    "template", "noscript" };

static int
in_list(const char *name, const char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

/* Read an entity after '&' at s[0]; returns bytes used (with '&') or 0. */
static size_t
entity_parse(const char *s, size_t n, unsigned long *cp)
{
	char name[16];
	size_t i = 1, k = 0;
	int hex = 0, digits = 0;

	if (i < n && s[i] == '#') {
		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (*cp = 0; i < n && (hex ? isxdigit((unsigned char)s[i]) :
		    isdigit((unsigned char)s[i])); i++, digits++) {
			if (*cp <= 0x10ffff)
				*cp = *cp * (hex ? 16 : 10) + (unsigned long)
				    (isdigit((unsigned char)s[i]) ? s[i] - '0' :
				    tolower((unsigned char)s[i]) - 'a' + 10);
		}
		if (digits == 0)
			return 0;
		if (*cp == 0 || *cp > 0x10ffff)
			*cp = 0xfffd;
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	while (i < n && k + 1 < sizeof name && isalnum((unsigned char)s[i]))
		name[k++] = s[i++];
	name[k] = '\0';
	for (size_t e = 0; e < nitems(entities); e++) {
		if (strcmp(name, entities[e].name) != 0)
			continue;
		*cp = entities[e].cp;
		if (i < n && s[i] == ';')
			return i + 1;
		if (in_list(name, legacy_entities, nitems(legacy_entities)))
			return i;
		return 0;
	}
	return 0;
}

/* A numeric reference in 0x80-0x9f means the Windows-1252 character, as
 * browsers read it. */
static void
cp_to_buf(struct buf *b, unsigned long cp)
{
	char c, *u;

	if (cp >= 0x80 && cp <= 0x9f) {
		c = (char)cp;
		u = charset_to_utf8("windows-1252", &c, 1);
		buf_adds(b, u);
		free(u);
	} else
		charset_put_utf8(b, cp);
}

static void
add_prefix(struct html *h, int level)
{
	for (int q = 0; q < level; q++)
		buf_add(&h->out, "> ", 2);
}

/* Settle owed line ends, quote prefix, bullet and space before text. */
static void
flush(struct html *h)
{
	if (h->out.len == 0 && !h->inline_text)
		h->pending_nl = 0;
	if (h->pending_nl > 0) {
		buf_addc(&h->out, '\n');
		if (h->pending_nl > 1) {
			add_prefix(h, h->last_quote < h->quote ?
			    h->last_quote : h->quote);
			buf_addc(&h->out, '\n');
		}
		h->pending_nl = 0;
	}
	if (!h->inline_text) {
		add_prefix(h, h->quote);
		/* A list item's later lines are indented, so that the body
		 * parser reads them as the same item. */
		if (h->pending_bullet) {
			buf_add(&h->out, "- ", 2);
			h->item_started = h->item > 0;
		} else if (h->item > 0 && h->item_started)
			buf_add(&h->out, "  ", 2);
		h->pending_bullet = 0;
		h->inline_text = 1;
	} else if (h->pending_sp)
		buf_addc(&h->out, ' ');
	h->pending_sp = 0;
	h->last_quote = h->quote;
}

static void
emit(struct html *h, const char *s, size_t n)
{
	if (h->drop || n == 0)
		return;
	flush(h);
	buf_add(&h->out, s, n);
}

static void
emit_space(struct html *h)
{
	if (h->inline_text && h->pending_nl == 0)
		h->pending_sp = 1;
}

static void
emit_cp(struct html *h, unsigned long cp)
{
	struct buf b;

	if (cp == 0xa0) {
		emit(h, " ", 1);	/* kept: &nbsp; does not collapse */
		return;
	}
	if (cp == 0xad || cp == 0x200c || cp == 0x200d)
		return;
	buf_init(&b);
	cp_to_buf(&b, cp);
	emit(h, b.s, b.len);
	buf_free(&b);
}

static void
line_break(struct html *h)
{
	if (h->drop)
		return;
	h->pending_nl++;
	if (h->pending_nl > 2)
		h->pending_nl = 2;
	h->inline_text = 0;
	h->pending_sp = 0;
}

static void
do_break(struct html *h, enum brk brk)
{
	if (h->drop || brk == BRK_NONE)
		return;
	/* Paragraphs inside a list item (<li><p>) leave no blank line, which
	 * would end the list field. */
	if (brk == BRK_PARA && h->item > 0)
		brk = BRK_BLOCK;
	if (brk == BRK_PARA && (h->out.len > 0 || h->inline_text)) {
		if (h->pending_nl < 2)
			h->pending_nl = 2;
		h->inline_text = 0;
	} else if (h->inline_text) {
		h->pending_nl = 1;
		h->inline_text = 0;
	}
	h->pending_sp = 0;
}

/* Text between tags: entities decoded, white space collapsed. */
static void
text_run(struct html *h, const char *s, size_t n)
{
	unsigned long cp;
	size_t i = 0, k, used;

	while (i < n) {
		if (s[i] == '&' && (used = entity_parse(s + i, n - i, &cp)) > 0) {
			emit_cp(h, cp);
			i += used;
		} else if (h->pre && s[i] == '\n') {
			line_break(h);
			i++;
		} else if (s[i] == '\r' || s[i] == '\0') {
			i++;
		} else if (!h->pre && isspace((unsigned char)s[i])) {
			emit_space(h);
			i++;
		} else if ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] == 0xa0) {
			emit_cp(h, 0xa0);
			i += 2;
		} else {
			for (k = i + 1; k < n && s[k] != '&' && s[k] != '\r' &&
			    s[k] != '\0' && (unsigned char)s[k] != 0xc2 &&
			    (h->pre ? s[k] != '\n' : !isspace((unsigned char)s[k]));
			    k++)
				;
			emit(h, s + i, k - i);
			i = k;
		}
	}
}

/* Append an attribute value to b with entities decoded. */
static void
attr_value(struct buf *b, const char *s, size_t n)
{
	unsigned long cp;
	size_t used;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&' && (used = entity_parse(s + i, n - i, &cp)) > 0) {
			cp_to_buf(b, cp);
			i += used - 1;
		} else
			buf_addc(b, s[i]);
	}
}

static void
attr_copy(char *dst, size_t dstsz, const char *s, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Read one attribute at s[*i]; keeps class, style and href. */
static void
attr_parse(const char *s, size_t end, size_t *i, struct tag *t)
{
	size_t ns = *i, ne, vs, ve;
	char q;

	while (*i < end && !isspace((unsigned char)s[*i]) && s[*i] != '=' &&
	    s[*i] != '>' && s[*i] != '/')
		(*i)++;
	ne = *i;
	while (*i < end && isspace((unsigned char)s[*i]))
		(*i)++;
	if (ne == ns) {
		(*i)++;		/* a stray '=' */
		return;
	}
	if (*i >= end || s[*i] != '=')
		return;
	for ((*i)++; *i < end && isspace((unsigned char)s[*i]); (*i)++)
		;
	if (*i < end && (s[*i] == '"' || s[*i] == '\'')) {
		q = s[(*i)++];
		vs = *i;
		while (*i < end && s[*i] != q)
			(*i)++;
		ve = *i;
		if (*i < end)
			(*i)++;
	} else {
		vs = *i;
		while (*i < end && !isspace((unsigned char)s[*i]) &&
		    s[*i] != '>')
			(*i)++;
		ve = *i;
	}
	if (ne - ns == 5 && strncasecmp(s + ns, "class", 5) == 0)
		attr_copy(t->cls, sizeof t->cls, s + vs, ve - vs);
	else if (ne - ns == 5 && strncasecmp(s + ns, "style", 5) == 0)
		attr_copy(t->style, sizeof t->style, s + vs, ve - vs);
	else if (ne - ns == 4 && strncasecmp(s + ns, "href", 4) == 0) {
		buf_free(&t->href);
		attr_value(&t->href, s + vs, ve - vs);
	}
}

/* The end of the tag that starts at s[i] ('<'), quotes respected; len
 * when it never ends. */
static size_t
tag_end(const char *s, size_t len, size_t i)
{
	char q = 0;

	for (i++; i < len; i++) {
		if (q != 0) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			if (isspace((unsigned char)s[i - 1]) || s[i - 1] == '=')
				q = s[i];
		} else if (s[i] == '>')
			return i;
	}
	return len;
}

/* Parse the tag in s[i..end) ('<' at i, '>' at end). */
static void
tag_parse(const char *s, size_t i, size_t end, struct tag *t)
{
	size_t k = 0;

	memset(t->name, 0, sizeof t->name);
	t->cls[0] = t->style[0] = '\0';
	buf_init(&t->href);
	t->close = 0;
	t->selfclose = 0;
	if (++i < end && s[i] == '/') {
		t->close = 1;
		i++;
	}
	for (; i < end && !isspace((unsigned char)s[i]) && s[i] != '/' &&
	    s[i] != '>'; i++)
		if (k + 1 < sizeof t->name)
			t->name[k++] = (char)tolower((unsigned char)s[i]);
	while (i < end) {
		while (i < end && (isspace((unsigned char)s[i]) || s[i] == '/'))
			t->selfclose = s[i++] == '/';
		if (i < end) {
			attr_parse(s, end, &i, t);
			t->selfclose = 0;
		}
	}
}

/* Where the closing tag of name starts after s[i], or len. */
static size_t
find_close(const char *s, size_t len, size_t i, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	while (i < len && (p = memchr(s + i, '<', len - i)) != NULL) {
		i = (size_t)(p - s);
		if (i + 2 + n <= len && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, n) == 0 &&
		    (i + 2 + n == len || !isalnum((unsigned char)s[i + 2 + n])))
			return i;
		i++;
	}
	return len;
}

/* The target without scheme, mailto query or trailing slashes. */
static void
target_norm(const char *s, size_t n, const char **out, size_t *outlen)
{
	const char *p;

	while (n > 0 && (isspace((unsigned char)*s) || *s == '>')) {
		s++;
		n--;
	}
	if (n >= 7 && strncasecmp(s, "mailto:", 7) == 0) {
		s += 7;
		n -= 7;
		if ((p = memchr(s, '?', n)) != NULL)
			n = (size_t)(p - s);
	} else if ((p = memmem(s, n, "://", 3)) != NULL && p - s < 8) {
		n -= (size_t)(p + 3 - s);
		s = p + 3;
	}
	while (n > 0 && (s[n - 1] == '/' || isspace((unsigned char)s[n - 1])))
		n--;
	*out = s;
	*outlen = n;
}

/* Add " <url>" after a link whose text does not already show it. */
static void
link_close(struct html *h)
{
	char *href = h->href;
	const char *shown, *t, *u;
	size_t tl, ul;

	h->href = NULL;
	if (href == NULL || h->drop || h->out.len <= h->link_start)
		goto done;
	if (strncasecmp(href, "mailto:", 7) == 0)
		shown = href + 7;
	else if (strncasecmp(href, "http://", 7) == 0 ||
	    strncasecmp(href, "https://", 8) == 0)
		shown = href;
	else
		goto done;
	if (shown[strcspn(shown, " \t\r\n<>")] != '\0')
		goto done;	/* not a URL to show on one line */
	target_norm(h->out.s + h->link_start, h->out.len - h->link_start,
	    &t, &tl);
	target_norm(href, strlen(href), &u, &ul);
	if (tl == 0 || ul == 0 || (tl == ul && strncasecmp(t, u, ul) == 0))
		goto done;
	h->pending_sp = 1;
	emit(h, "<", 1);
	buf_adds(&h->out, shown);
	buf_addc(&h->out, '>');
done:
	free(href);
}

/* Undo what an element did when it opened. */
static void
elem_pop(struct html *h)
{
	struct elem *e = &h->stack[--h->depth];

	if (e->drop)
		h->drop--;
	h->item -= e->item;
	do_break(h, e->brk);
	if (e->quote)
		h->quote--;
	if (e->pre)
		h->pre--;
	if (strcmp(e->name, "a") == 0)
		link_close(h);
}

static int
inside_gmail_quote(const struct html *h)
{
	for (size_t d = 0; d < h->depth; d++)
		if (h->stack[d].gmail)
			return 1;
	return 0;
}

static enum brk
elem_break(const struct tag *t)
{
	if (strcmp(t->name, "p") == 0 && strncasecmp(t->cls, "mso", 3) == 0)
		return BRK_BLOCK;	/* Outlook paragraphs have no margin */
	if (in_list(t->name, para_elems, nitems(para_elems)))
		return BRK_PARA;
	if (in_list(t->name, block_elems, nitems(block_elems)))
		return BRK_BLOCK;
	return BRK_NONE;
}

/* A list item: <li>, or an Outlook list paragraph. */
static int
elem_item(const struct tag *t)
{
	return strcmp(t->name, "li") == 0 || (strcmp(t->name, "p") == 0 &&
	    strncasecmp(t->cls, "msolistparagraph", 16) == 0);
}

/* Open an element: break, bullet, quote level and the like. */
static void
elem_open(struct html *h, const struct tag *t)
{
	struct elem *e;
	int gmail = strstr(t->cls, "gmail_quote") != NULL;

	if (in_list(t->name, self_closing, nitems(self_closing)) &&
	    h->depth > 0 && strcmp(h->stack[h->depth - 1].name, t->name) == 0)
		elem_pop(h);
	do_break(h, elem_break(t));
	if (strcmp(t->name, "br") == 0)
		line_break(h);
	if (strcmp(t->name, "td") == 0 || strcmp(t->name, "th") == 0)
		emit_space(h);
	if (!h->drop && elem_item(t)) {
		h->pending_bullet = 1;
		h->item_started = 0;
	}
	if (strcmp(t->name, "a") == 0) {
		if (h->href != NULL)
			link_close(h);
		h->href = t->href.len > 0 ? xstrdup(t->href.s) : NULL;
		h->link_start = h->out.len;
	}
	if (t->selfclose || in_list(t->name, void_elems, nitems(void_elems)) ||
	    h->depth >= HTML_MAX_STACK)
		return;
	e = &h->stack[h->depth++];
	memcpy(e->name, t->name, sizeof e->name);
	e->brk = elem_break(t);
	e->pre = strcmp(t->name, "pre") == 0;
	e->drop = strcasestr(t->style, "mso-list:ignore") != NULL;
	e->gmail = gmail && strcmp(t->name, "div") == 0;
	e->item = elem_item(t);
	e->quote = e->gmail || (strcmp(t->name, "blockquote") == 0 &&
	    !(gmail && inside_gmail_quote(h)));
	h->pre += e->pre;
	h->item += e->item;
	h->drop += e->drop;
	h->quote += e->quote;
}

/* Close an element and any left open inside it. */
static void
elem_close(struct html *h, const struct tag *t)
{
	size_t d;

	for (d = h->depth; d > 0; d--)
		if (strcmp(h->stack[d - 1].name, t->name) == 0)
			break;
	if (d == 0) {
		do_break(h, elem_break(t));
		return;
	}
	while (h->depth >= d)
		elem_pop(h);
}

static int
hidden_index(const char *name)
{
	for (size_t k = 0; k < nitems(hidden_elems); k++)
		if (strcmp(name, hidden_elems[k]) == 0)
			return (int)k;
	return -1;
}

/* Skip a script, style or head up to its end tag; remembers a missing end
 * tag so that a flood of them costs one scan. */
static size_t
hidden_skip(struct html *h, size_t k, size_t from)
{
	const char *name = hidden_elems[k];
	size_t i = h->len;

	if (!(h->noclose & (1u << k)))
		i = find_close(h->s, h->len, from, name);
	if (i < h->len)
		return tag_end(h->s, h->len, i) + 1;
	h->noclose |= 1u << k;
	if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)
		return h->len;
	return from;
}

/* Handle the markup at s[i] ('<'); returns the offset after it. */
static size_t
markup(struct html *h, size_t i)
{
	const char *s = h->s, *p;
	size_t end;
	struct tag t;
	int k;

	if (i + 3 < h->len && strncmp(s + i, "<!--", 4) == 0) {
		p = memmem(s + i + 4, h->len - i - 4, "-->", 3);
		return p != NULL ? (size_t)(p - s) + 3 : h->len;
	}
	end = tag_end(s, h->len, i);
	if (end >= h->len)
		return h->len;
	if (s[i + 1] == '!' || s[i + 1] == '?')
		return end + 1;
	tag_parse(s, i, end, &t);
	if (!t.close && (k = hidden_index(t.name)) >= 0) {
		buf_free(&t.href);
		return hidden_skip(h, (size_t)k, end + 1);
	}
	if (t.close)
		elem_close(h, &t);
	else
		elem_open(h, &t);
	buf_free(&t.href);
	return end + 1;
}

static int
is_tag_start(const char *s, size_t len, size_t i)
{
	return i + 1 < len && (isalpha((unsigned char)s[i + 1]) ||
	    s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?');
}

/* Trailing blanks off every line, at most one blank line in a row, none
 * at the start or end. */
static char *
tidy(const char *s, size_t len)
{
	struct buf b;
	size_t i = 0, e, n;
	int blank = 0;

	buf_init(&b);
	while (i < len) {
		e = i;
		while (e < len && s[e] != '\n')
			e++;
		n = e - i;
		while (n > 0 && (s[i + n - 1] == ' ' || s[i + n - 1] == '\t'))
			n--;
		if (n == 0)
			blank = b.len > 0;
		else {
			if (blank)
				buf_addc(&b, '\n');
			blank = 0;
			buf_add(&b, s + i, n);
			buf_addc(&b, '\n');
		}
		i = e + 1;
	}
	return buf_steal(&b);
}

char *
html_to_text(const char *html, size_t len)
{
	struct html h;
	size_t i = 0, k;
	char *text, *raw;

	memset(&h, 0, sizeof h);
	h.s = html;
	h.len = len;
	buf_init(&h.out);
	while (i < len) {
		if (html[i] == '<' && is_tag_start(html, len, i)) {
			i = markup(&h, i);
			continue;
		}
		for (k = i + 1; k < len && html[k] != '<'; k++)
			;
		text_run(&h, html + i, k - i);
		i = k;
	}
	while (h.depth > 0)
		elem_pop(&h);
	free(h.href);
	text = tidy(h.out.s != NULL ? h.out.s : "", h.out.len);
	buf_free(&h.out);
	if (!utf8_valid(text, strlen(text))) {	/* input was not UTF-8 */
		raw = text;
		text = charset_to_utf8(NULL, raw, strlen(raw));
		free(raw);
	}
	return text;
}
