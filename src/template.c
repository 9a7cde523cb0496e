/* The template expander: parse the whole template into a tree first, so
 * every syntax error is found whatever the variables, then walk the tree
 * with a stack of variable scopes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"

/* A named string, or a named list of items when value is NULL. */
struct tvar {
	char		 *name;
	char		 *value;
	struct tvars	**items;
	size_t		  nitems;
};

struct tvars {
	char		*dot;		/* a plain string item, for {{.}} */
	struct tvar	*v;
	size_t		 n;
};

enum tnode_type {
	TNODE_TEXT,
	TNODE_VAR,
	TNODE_RAW,
	TNODE_SECTION,
	TNODE_INVERTED,
};

/* Text and names point into the template, which outlives the tree. */
struct tnode {
	enum tnode_type	 type;
	const char	*s;
	size_t		 len;
	int		 line;
	struct tnode	*child;
	struct tnode	*next;
};

struct ttag {
	int		 sigil;		/* '#', '^', '/', '!', '{' or 0 */
	const char	*name;
	size_t		 len;
	const char	*end;		/* just past the closing braces */
};

struct tparse {
	const char	*start;
	const char	*p;		/* where scanning resumes */
	int		 line;		/* the line p is on */
	struct tnode	 root;
	struct tnode	*open[TEMPLATE_MAXDEPTH + 1];	/* open[0] is &root */
	struct tnode   **tail[TEMPLATE_MAXDEPTH + 1];
	int		 depth;
	char		*cause;
};

struct trender {
	const struct tvars *scope[TEMPLATE_MAXDEPTH + 1];
	int		 nscope;
	enum template_mode mode;
	struct buf	 out;
	char		*cause;
	unsigned long	 steps;	/* nodes rendered, against TEMPLATE_MAXSTEPS */
};

/* Nested sections over the same list render items^depth times even when
 * they write little: the work is capped as well as the output. */
#define TEMPLATE_MAXSTEPS	(2UL * 1000 * 1000)

struct tvars *
tvars_new(void)
{
	return xcalloc(1, sizeof(struct tvars));
}

/* Drop what a variable holds, keeping its name. */
static void
tvar_clear(struct tvar *v)
{
	size_t i;

	for (i = 0; i < v->nitems; i++)
		tvars_free(v->items[i]);
	free(v->items);
	free(v->value);
	v->items = NULL;
	v->nitems = 0;
	v->value = NULL;
}

void
tvars_free(struct tvars *tv)
{
	size_t i;

	if (tv == NULL)
		return;
	for (i = 0; i < tv->n; i++) {
		tvar_clear(&tv->v[i]);
		free(tv->v[i].name);
	}
	free(tv->v);
	free(tv->dot);
	free(tv);
}

static struct tvar *
tvars_find(const struct tvars *tv, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < tv->n; i++)
		if (strncmp(tv->v[i].name, name, len) == 0 &&
		    tv->v[i].name[len] == '\0')
			return &tv->v[i];
	return NULL;
}

/* Find a variable, adding an empty list when there is none. */
static struct tvar *
tvars_get(struct tvars *tv, const char *name)
{
	struct tvar *v;

	if ((v = tvars_find(tv, name, strlen(name))) != NULL)
		return v;
	tv->v = xrealloc(tv->v, (tv->n + 1) * sizeof *tv->v);
	v = &tv->v[tv->n++];
	memset(v, 0, sizeof *v);
	v->name = xstrdup(name);
	return v;
}

void
tvars_set(struct tvars *tv, const char *name, const char *value)
{
	struct tvar *v = tvars_get(tv, name);

	tvar_clear(v);
	v->value = xstrdup(value != NULL ? value : "");
}

void
tvars_setf(struct tvars *tv, const char *name, const char *fmt, ...)
{
	struct tvar *v = tvars_get(tv, name);
	va_list ap;

	tvar_clear(v);
	va_start(ap, fmt);
	v->value = xvasprintf(fmt, ap);
	va_end(ap);
}

void
tvars_set_list(struct tvars *tv, const char *name)
{
	tvar_clear(tvars_get(tv, name));
}

struct tvars *
tvars_add_item(struct tvars *tv, const char *name)
{
	struct tvar *v = tvars_get(tv, name);
	struct tvars *item;

	if (v->value != NULL)
		tvar_clear(v);
	item = tvars_new();
	v->items = xrealloc(v->items, (v->nitems + 1) * sizeof *v->items);
	v->items[v->nitems++] = item;
	return item;
}

void
tvars_add_string(struct tvars *tv, const char *name, const char *value)
{
	struct tvars *item = tvars_add_item(tv, name);

	item->dot = xstrdup(value != NULL ? value : "");
}

/* Free a list of nodes and their children (at most 32 deep). */
static void
tnode_free(struct tnode *n)
{
	struct tnode *next;

	for (; n != NULL; n = next) {
		next = n->next;
		tnode_free(n->child);
		free(n);
	}
}

/* Move the scan position forward, counting the lines passed. */
static void
tparse_advance(struct tparse *ps, const char *to)
{
	const char *nl;

	while ((nl = memchr(ps->p, '\n', to - ps->p)) != NULL) {
		ps->line++;
		ps->p = nl + 1;
	}
	ps->p = to;
}

static int
tparse_error(struct tparse *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tparse_error(struct tparse *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ps->cause = xasprintf("line %d: %s", line, msg);
	free(msg);
	return -1;
}

/* Append a node to the innermost open section. */
static struct tnode *
tparse_add(struct tparse *ps, enum tnode_type type, const char *s,
    size_t len, int line)
{
	struct tnode *n = xcalloc(1, sizeof *n);

	n->type = type;
	n->s = s;
	n->len = len;
	n->line = line;
	*ps->tail[ps->depth] = n;
	ps->tail[ps->depth] = &n->next;
	return n;
}

static int
tname_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Split the tag at at ("{{") into sigil and trimmed name. */
static int
ttag_read(struct tparse *ps, const char *at, struct ttag *tag)
{
	const char *s = at + 2, *e;
	int raw = *s == '{';

	if ((e = strstr(s, raw ? "}}}" : "}}")) == NULL)
		return tparse_error(ps, ps->line, "unclosed tag");
	tag->end = e + (raw ? 3 : 2);
	tag->sigil = 0;
	if (raw)
		tag->sigil = *s++;
	while (s < e && strchr(" \t\r\n", *s) != NULL)
		s++;
	if (!raw && s < e && strchr("#^/!", *s) != NULL)
		tag->sigil = *s++;
	while (s < e && strchr(" \t\r\n", *s) != NULL)
		s++;
	while (e > s && strchr(" \t\r\n", e[-1]) != NULL)
		e--;
	tag->name = s;
	tag->len = e - s;
	return 0;
}

/* Refuse empty names and names no variable could have. */
static int
ttag_check(struct tparse *ps, const struct ttag *tag)
{
	size_t i;

	if (tag->sigil == '!')
		return 0;
	if (tag->len == 0)
		return tparse_error(ps, ps->line, "empty name");
	for (i = 0; i < tag->len; i++)
		if (!tname_char((unsigned char)tag->name[i]))
			return tparse_error(ps, ps->line, "bad name \"%.*s\"",
			    (int)tag->len, tag->name);
	return 0;
}

/*
 * Whether the tag at at, after the text starting at text, stands alone on
 * its line; if so, set *ls to the line's start and *next past its newline
 * so the whole line is dropped.
 */
static int
ttag_standalone(struct tparse *ps, const char *text, const char *at,
    const struct ttag *tag, const char **ls, const char **next)
{
	const char *s = at, *e = tag->end;

	if (tag->sigil == 0 || tag->sigil == '{')
		return 0;
	while (s > text && (s[-1] == ' ' || s[-1] == '\t'))
		s--;
	if (s != ps->start && s[-1] != '\n')
		return 0;
	while (*e == ' ' || *e == '\t')
		e++;
	if (e[0] == '\r' && e[1] == '\n')
		e += 2;
	else if (*e == '\n')
		e++;
	else if (*e != '\0')
		return 0;
	*ls = s;
	*next = e;
	return 1;
}

static int
tparse_open(struct tparse *ps, const struct ttag *tag)
{
	struct tnode *n;

	if (ps->depth == TEMPLATE_MAXDEPTH)
		return tparse_error(ps, ps->line,
		    "sections nested deeper than %d", TEMPLATE_MAXDEPTH);
	n = tparse_add(ps, tag->sigil == '#' ? TNODE_SECTION : TNODE_INVERTED,
	    tag->name, tag->len, ps->line);
	ps->depth++;
	ps->open[ps->depth] = n;
	ps->tail[ps->depth] = &n->child;
	return 0;
}

/* Close the innermost section, which must carry the same name. */
static int
tparse_close(struct tparse *ps, const struct ttag *tag)
{
	const struct tnode *n = ps->open[ps->depth];

	if (ps->depth == 0)
		return tparse_error(ps, ps->line, "{{/%.*s}} closes no section",
		    (int)tag->len, tag->name);
	if (n->len != tag->len || memcmp(n->s, tag->name, n->len) != 0)
		return tparse_error(ps, ps->line,
		    "{{/%.*s}} does not close {{%c%.*s}} of line %d",
		    (int)tag->len, tag->name, n->type == TNODE_SECTION ?
		    '#' : '^', (int)n->len, n->s, n->line);
	ps->depth--;
	return 0;
}

static int
tparse_tag(struct tparse *ps, const struct ttag *tag)
{
	switch (tag->sigil) {
	case '#':
	case '^':
		return tparse_open(ps, tag);
	case '/':
		return tparse_close(ps, tag);
	case '!':
		return 0;
	case '{':
		tparse_add(ps, TNODE_RAW, tag->name, tag->len, ps->line);
		return 0;
	default:
		tparse_add(ps, TNODE_VAR, tag->name, tag->len, ps->line);
		return 0;
	}
}

/* Parse the text up to and including the next tag. */
static int
tparse_step(struct tparse *ps)
{
	const char *text = ps->p, *at, *ls, *next;
	int textline = ps->line;
	struct ttag tag = { 0 };

	if ((at = strstr(text, "{{")) == NULL) {
		tparse_add(ps, TNODE_TEXT, text, strlen(text), textline);
		tparse_advance(ps, text + strlen(text));
		return 0;
	}
	tparse_advance(ps, at);
	if (ttag_read(ps, at, &tag) == -1)
		return -1;
	ls = at;
	next = tag.end;
	ttag_standalone(ps, text, at, &tag, &ls, &next);
	if (ls > text)
		tparse_add(ps, TNODE_TEXT, text, ls - text, textline);
	if (ttag_check(ps, &tag) == -1 || tparse_tag(ps, &tag) == -1)
		return -1;
	tparse_advance(ps, next);
	return 0;
}

static int
template_parse(struct tparse *ps, const char *tmpl)
{
	const struct tnode *n;

	memset(ps, 0, sizeof *ps);
	ps->start = ps->p = tmpl;
	ps->line = 1;
	ps->open[0] = &ps->root;
	ps->tail[0] = &ps->root.child;
	while (*ps->p != '\0')
		if (tparse_step(ps) == -1)
			return -1;
	if (ps->depth > 0) {
		n = ps->open[ps->depth];
		return tparse_error(ps, n->line, "unclosed section {{%c%.*s}}",
		    n->type == TNODE_SECTION ? '#' : '^', (int)n->len, n->s);
	}
	return 0;
}

/* Add to the output, refusing to pass TEMPLATE_MAXOUT. */
static int
trender_add(struct trender *r, const struct tnode *n, const char *s,
    size_t len)
{
	if (len > TEMPLATE_MAXOUT - r->out.len) {
		r->cause = xasprintf("line %d: output larger than %d MB",
		    n->line, TEMPLATE_MAXOUT / (1024 * 1024));
		return -1;
	}
	buf_add(&r->out, s, len);
	return 0;
}

static const char *
thtml_entity(int c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	default:
		return "&#39;";
	}
}

/* Add a value, escaped for HTML when in HTML mode and the tag asks. */
static int
trender_value(struct trender *r, const struct tnode *n, const char *s)
{
	const char *ent;
	size_t len;

	if (r->mode != TEMPLATE_HTML || n->type == TNODE_RAW)
		return trender_add(r, n, s, strlen(s));
	for (;;) {
		len = strcspn(s, "&<>\"'");
		if (trender_add(r, n, s, len) == -1)
			return -1;
		if (s[len] == '\0')
			return 0;
		ent = thtml_entity(s[len]);
		if (trender_add(r, n, ent, strlen(ent)) == -1)
			return -1;
		s += len + 1;
	}
}

/* Look a name up in the innermost scope first, then outwards. */
static const struct tvar *
trender_lookup(const struct trender *r, const struct tnode *n)
{
	const struct tvar *v;
	int i;

	for (i = r->nscope - 1; i >= 0; i--)
		if ((v = tvars_find(r->scope[i], n->s, n->len)) != NULL)
			return v;
	return NULL;
}

static int
trender_var(struct trender *r, const struct tnode *n)
{
	const struct tvars *inner = r->scope[r->nscope - 1];
	const struct tvar *v;

	if (n->len == 1 && n->s[0] == '.')
		return trender_value(r, n, inner->dot != NULL ? inner->dot : "");
	if ((v = trender_lookup(r, n)) == NULL || v->value == NULL)
		return 0;
	return trender_value(r, n, v->value);
}

static int trender_nodes(struct trender *, const struct tnode *);

/* Whether a section name counts as empty for {{^name}}. */
static int
trender_empty(const struct tvar *v)
{
	if (v == NULL)
		return 1;
	if (v->value != NULL)
		return v->value[0] == '\0';
	return v->nitems == 0;
}

/* Expand a section: per list item with its scope pushed, or once. */
static int
trender_section(struct trender *r, const struct tnode *n)
{
	const struct tvar *v = trender_lookup(r, n);
	size_t i;
	int rc;

	if (n->type == TNODE_INVERTED || v == NULL || v->value != NULL) {
		if ((n->type == TNODE_INVERTED) != trender_empty(v))
			return 0;
		return trender_nodes(r, n->child);
	}
	for (i = 0; i < v->nitems; i++) {
		r->scope[r->nscope++] = v->items[i];
		rc = trender_nodes(r, n->child);
		r->nscope--;
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
trender_nodes(struct trender *r, const struct tnode *n)
{
	int rc;

	for (; n != NULL; n = n->next) {
		if (++r->steps > TEMPLATE_MAXSTEPS) {
			if (r->cause == NULL)
				r->cause = xasprintf("line %d: the template "
				    "takes too long to expand (more than %lu "
				    "steps)", n->line, TEMPLATE_MAXSTEPS);
			return -1;
		}
		switch (n->type) {
		case TNODE_TEXT:
			rc = trender_add(r, n, n->s, n->len);
			break;
		case TNODE_VAR:
		case TNODE_RAW:
			rc = trender_var(r, n);
			break;
		default:
			rc = trender_section(r, n);
			break;
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
template_expand(const char *tmpl, const struct tvars *tv,
    enum template_mode mode, char **out, char **cause)
{
	struct tparse ps;
	struct trender r;
	int rc;

	*out = NULL;
	if (template_parse(&ps, tmpl) == -1) {
		tnode_free(ps.root.child);
		*cause = ps.cause;
		return -1;
	}
	memset(&r, 0, sizeof r);
	r.scope[0] = tv;
	r.nscope = 1;
	r.mode = mode;
	buf_init(&r.out);
	rc = trender_nodes(&r, ps.root.child);
	tnode_free(ps.root.child);
	if (rc == -1) {
		buf_free(&r.out);
		*cause = r.cause;
		return -1;
	}
	*out = buf_steal(&r.out);
	return 0;
}

/* Whether s can name a template directory or file: one plain component. */
static int
tpath_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

/* Read a whole template file, refusing big files and NUL bytes. */
static char *
tread(const char *path, char **cause)
{
	struct buf b;
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			break;
		}
		if ((size_t)n > TEMPLATE_MAXFILE - b.len) {
			*cause = xasprintf("%s: larger than %d bytes", path,
			    TEMPLATE_MAXFILE);
			n = -1;
			break;
		}
		buf_add(&b, chunk, n);
	}
	close(fd);
	if (n == 0 && memchr(b.s != NULL ? b.s : "", '\0', b.len) != NULL) {
		*cause = xasprintf("%s: contains a NUL byte", path);
		n = -1;
	}
	if (n == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int
template_render(const char *dir, const char *lang, const char *name,
    const struct tvars *tv, enum template_mode mode, char **out, char **cause)
{
	char *path, *text, *why;
	int rc;

	*out = NULL;
	if (!tpath_ok(lang) || !tpath_ok(name)) {
		*cause = xasprintf("bad template name \"%s/%s\"", lang, name);
		return -1;
	}
	path = xasprintf("%s/%s/%s", dir, lang, name);
	if ((text = tread(path, cause)) == NULL) {
		free(path);
		return -1;
	}
	if ((rc = template_expand(text, tv, mode, out, &why)) == -1) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
	}
	free(text);
	free(path);
	return rc;
}

/* One line of the paragraph being wrapped. */
struct tspan {
	const char	*s;
	size_t		 len;
};

/* The paragraph being gathered, and whether a form is being passed. */
struct twrap {
	struct buf	 out;
	size_t		 width;
	struct tspan	*lines;
	size_t		 n;
	size_t		 cap;
	size_t		 lead;		/* bytes of the first line's "  - " */
	size_t		 hang;		/* blanks before the later lines */
	int		 form;
};

/* Characters (code points) in n bytes of UTF-8. */
static size_t
tchars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static size_t
tblanks(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* The bytes of an indented "- " or "* " bullet and its blanks, or 0. */
static size_t
tbullet(const char *l, size_t n)
{
	size_t i = tblanks(l, n), b;

	if (i + 1 >= n || (l[i] != '-' && l[i] != '*'))
		return 0;
	if ((b = tblanks(l + i + 1, n - i - 1)) == 0 || i + 1 + b == n)
		return 0;
	return i + 1 + b;
}

/* A ruler line of dashes, as around the forms in a reply. */
static int
truler(const char *l, size_t n)
{
	size_t i;

	if (n < 10)
		return 0;
	for (i = 0; i < n; i++)
		if (l[i] != '-' && l[i] != '=')
			return 0;
	return 1;
}

/* Whether a form opens at s: its first line names the subject to use. */
static int
tformhead(const char *s)
{
	return strncmp(s, "Emne:", 5) == 0 || strncmp(s, "Subject:", 8) == 0;
}

/* A short capitalised label of at most four words and a colon ("Sted:
 * ..." or "Dagsorden:"), which starts a paragraph of its own; a line
 * going on with "registreret: JA." does not. */
static int
tlabel(const char *l, size_t n)
{
	size_t i, words = 1;

	if (n == 0 || !((unsigned char)l[0] >= 0x80 ||
	    (l[0] >= 'A' && l[0] <= 'Z')))
		return 0;
	for (i = 0; i < n && i < 64; i++) {
		if (l[i] == ':')
			return i + 1 == n || l[i + 1] == ' ' || l[i + 1] == '\t';
		if (l[i] == ' ' && ++words > 4)
			return 0;
		if (strchr(".,;()!?\"", l[i]) != NULL)
			return 0;
	}
	return 0;
}

/* Whether a line stays as it is: quoted, indented (other than under a
 * bullet item being gathered) or a "Ref: " footer with a token. */
static int
tkept(const struct twrap *w, const char *l, size_t n)
{
	size_t b = tblanks(l, n);

	if (n > 0 && l[0] == '>')
		return 1;
	if (n >= 5 && strncmp(l, "Ref: ", 5) == 0)
		return 1;
	return b > 0 && !(w->n > 0 && w->hang > 0 && b == w->hang);
}

static void
twrap_emit(struct twrap *w, const char *l, size_t n)
{
	buf_add(&w->out, l, n);
	buf_addc(&w->out, '\n');
}

/* Put the paragraph's words into lines of at most width characters; a
 * longer word stands alone on its line, whole. */
static void
twrap_reflow(struct twrap *w)
{
	const char *p, *e, *s;
	size_t i, col, wc;
	int words = 0;

	buf_add(&w->out, w->lines[0].s, w->lead);
	col = tchars(w->lines[0].s, w->lead);
	for (i = 0; i < w->n; i++) {
		p = w->lines[i].s + (i == 0 ? w->lead : 0);
		e = w->lines[i].s + w->lines[i].len;
		for (;;) {
			p += tblanks(p, e - p);
			if (p == e)
				break;
			for (s = p; p < e && *p != ' ' && *p != '\t'; p++)
				;
			wc = tchars(s, p - s);
			if (words > 0 && col + 1 + wc > w->width) {
				buf_addc(&w->out, '\n');
				for (col = 0; col < w->hang; col++)
					buf_addc(&w->out, ' ');
				words = 0;
			} else if (words > 0) {
				buf_addc(&w->out, ' ');
				col++;
			}
			buf_add(&w->out, s, p - s);
			col += wc;
			words++;
		}
	}
	buf_addc(&w->out, '\n');
}

/* Write the paragraph: as the template had it when every line fits. */
static void
twrap_flush(struct twrap *w)
{
	size_t i;
	int fits = 1;

	for (i = 0; i < w->n; i++)
		if (tchars(w->lines[i].s, w->lines[i].len) > w->width)
			fits = 0;
	if (!fits)
		twrap_reflow(w);
	else
		for (i = 0; i < w->n; i++)
			twrap_emit(w, w->lines[i].s, w->lines[i].len);
	w->n = 0;
}

static void
twrap_add(struct twrap *w, const char *l, size_t n)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->lines = xrealloc(w->lines, w->cap * sizeof *w->lines);
	}
	w->lines[w->n].s = l;
	w->lines[w->n++].len = n;
}

/* Start a paragraph with l; lead bytes open it, hang blanks go on. */
static void
twrap_open(struct twrap *w, const char *l, size_t n, size_t lead)
{
	twrap_flush(w);
	w->lead = lead;
	w->hang = tchars(l, lead);
	twrap_add(w, l, n);
}

/* Take one line (without its newline); next is the text after it. */
static void
twrap_line(struct twrap *w, const char *l, size_t n, const char *next)
{
	size_t b;

	if (truler(l, n) || w->form || tblanks(l, n) == n) {
		twrap_flush(w);
		twrap_emit(w, l, n);
		if (truler(l, n))
			w->form = tformhead(next);
		return;
	}
	if ((b = tbullet(l, n)) > 0)
		twrap_open(w, l, n, b);
	else if (tkept(w, l, n)) {
		twrap_flush(w);
		twrap_emit(w, l, n);
		return;
	} else if (w->n == 0 || tlabel(l, n))
		twrap_open(w, l, n, 0);
	else
		twrap_add(w, l, n);
	if (l[n - 1] == ':')
		twrap_flush(w);
}

char *
template_wrap(const char *text, size_t width)
{
	struct twrap w;
	const char *l, *nl, *next;
	size_t n;

	memset(&w, 0, sizeof w);
	w.width = width;
	buf_init(&w.out);
	for (l = text; *l != '\0'; l = next) {
		nl = strchr(l, '\n');
		n = nl != NULL ? (size_t)(nl - l) : strlen(l);
		next = nl != NULL ? nl + 1 : l + n;
		twrap_line(&w, l, n, next);
	}
	twrap_flush(&w);
	free(w.lines);
	/* A text without a final newline keeps ending without one. */
	if (*text != '\0' && text[strlen(text) - 1] != '\n' && w.out.len > 0)
		w.out.s[--w.out.len] = '\0';
	return buf_steal(&w.out);
}
