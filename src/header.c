/*
 * The one writer of outgoing header fields. Names, subjects and IDs come
 * from people and from incoming mail, so nothing reaches a header without
 * passing here: control characters are removed, display names become
 * atoms, a quoted-string or RFC 2047 encoded words, addresses and
 * Message-IDs must be exactly one of their kind, and every line is folded
 * to 78 characters, 76 where it holds encoded words.
 */
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "util.h"

/* The line being written and how long it may grow. */
struct hline {
	struct buf	*b;
	size_t		 col;
	size_t		 max;
	int		 fresh;		/* a continuation line, still empty */
};

static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

static int
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr(atext_specials, c) != NULL);
}

/* Length of the UTF-8 sequence that a lead byte starts. */
static size_t
utf8_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* The code point of the valid sequence at s (n bytes left), or -1. */
static long
utf8_decode(const unsigned char *s, size_t n, size_t *k)
{
	static const unsigned char lead[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	long cp;

	*k = utf8_seqlen(*s);
	if (*k == 0 || *k > n || !utf8_valid((const char *)s, *k)) {
		*k = 1;
		return -1;
	}
	cp = *s & lead[*k];
	for (size_t i = 1; i < *k; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Whether a code point breaks a line or a word for some reader. */
static int
is_break(long cp)
{
	return cp == '\r' || cp == '\n' || cp == '\t' || cp == '\v' ||
	    cp == '\f' || cp == ' ' || cp == 0x85 || cp == 0x2028 ||
	    cp == 0x2029;
}

/* Control characters, and the bidirectional overrides that would let a
 * name show other text than it holds. */
static int
is_dropped(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *
header_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k;
	struct buf b;
	int space = 0;
	long cp;

	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i += k) {
		cp = utf8_decode(p + i, n - i, &k);
		if (is_break(cp)) {
			space = b.len > 0;
			continue;
		}
		if (cp >= 0 && is_dropped(cp))
			continue;
		if (space)
			buf_addc(&b, ' ');
		space = 0;
		if (cp < 0)
			buf_addc(&b, '?');	/* not UTF-8 */
		else
			buf_add(&b, (const char *)p + i, k);
	}
	return buf_steal(&b);
}

/* atext ("." atext)*, the first n bytes of s. */
static int
dot_atom_valid(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i]))
			return 0;
	return 1;
}

/* Host names: letter-digit-hyphen labels, at least two. */
static int
domain_valid(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || strchr(s, '.') == NULL)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-' ||
			    s[i - label] == '-')
				return 0;
			label = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-')
			label++;
		else
			return 0;
	}
	return 1;
}

int
header_addr_valid(const char *a)
{
	const char *at;

	if (a == NULL || strlen(a) > 254 || (at = strchr(a, '@')) == NULL ||
	    at - a > 64)
		return 0;
	return dot_atom_valid(a, at - a) && domain_valid(at + 1);
}

int
header_msgid_valid(const char *id)
{
	const char *at, *r;
	size_t n;

	if (id == NULL || (n = strlen(id)) > 250 ||
	    (at = strchr(id, '@')) == NULL || !dot_atom_valid(id, at - id))
		return 0;
	r = at + 1;
	if (*r != '[')
		return dot_atom_valid(r, strlen(r));
	if (r[strlen(r) - 1] != ']' || strlen(r) < 3)
		return 0;
	for (r++; r[1] != '\0'; r++)	/* dtext: no-fold-literal */
		if (*r < 33 || *r > 126 || strchr("[]\\", *r) != NULL)
			return 0;
	return 1;
}

static void
hline_start(struct hline *h, struct buf *b, const char *name, size_t max)
{
	h->b = b;
	h->max = max;
	h->fresh = 0;
	buf_addf(b, "%s:", name);
	h->col = strlen(name) + 1;
}

static void
hline_fold(struct hline *h)
{
	buf_adds(h->b, "\r\n");
	h->col = 0;
	h->fresh = 1;
}

/* One token after a space, on a line of its own when it would not fit;
 * a token longer than any line stands alone. */
static void
hline_add(struct hline *h, const char *tok, size_t n)
{
	if (h->col + 1 + n > h->max && !h->fresh)
		hline_fold(h);
	buf_addc(h->b, ' ');
	buf_add(h->b, tok, n);
	h->col += 1 + n;
	h->fresh = 0;
}

static void
hline_end(struct hline *h)
{
	buf_adds(h->b, "\r\n");
}

/* Length of "=?UTF-8?B?...?=" for n bytes of text. */
static size_t
eword_len(size_t n)
{
	return 12 + (n + 2) / 3 * 4;
}

/* Clean UTF-8 as encoded words, each as long as its line allows, none
 * splitting a character, so every line stays within 76. */
static void
hline_encoded(struct hline *h, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), room, take, k;
	struct buf w;

	while (n > 0) {
		room = h->max > h->col + 1 ? h->max - h->col - 1 : 0;
		if (room > HEADER_EWORD)
			room = HEADER_EWORD;
		for (take = 0; take < n; take += k) {
			if ((k = utf8_seqlen(p[take])) == 0)
				k = 1;	/* not after header_clean */
			if (take + k > n || eword_len(take + k) > room)
				break;
		}
		if (take == 0) {
			hline_fold(h);
			continue;
		}
		buf_init(&w);
		buf_adds(&w, "=?UTF-8?B?");
		buf_add_base64(&w, p, take);
		buf_adds(&w, "?=");
		hline_add(h, w.s, w.len);
		buf_free(&w);
		p += take;
		n -= take;
	}
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Text that a reader would not take for encoded words, or for more than
 * the words it shows. */
static int
is_plain(const char *s)
{
	return is_ascii(s) && strstr(s, "=?") == NULL;
}

/* The words of clean text (single spaces) as tokens, each quoted-string
 * part escaped when quote is set: the first opens it, the last closes. */
static void
words_split(const char *s, int quote, struct strv *out)
{
	const char *w, *e;
	struct buf t;

	for (w = s; *w != '\0'; w = e + (*e == ' ')) {
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		buf_init(&t);
		buf_adds(&t, quote && w == s ? "\"" : "");
		for (const char *p = w; p < e; p++) {
			if (quote && (*p == '"' || *p == '\\'))
				buf_addc(&t, '\\');
			buf_addc(&t, *p);
		}
		if (quote && *e == '\0')
			buf_addc(&t, '"');
		strv_addn(out, buf_steal(&t));
	}
}

/* Clean ASCII text as words folded between them (inside a quoted-string
 * too, where folding white space is allowed), when every word fits on
 * the field's first line; -1 when one does not. */
static int
hline_words(struct hline *h, const char *s, int quote)
{
	struct strv v = { NULL, 0 };
	int rc = 0;

	words_split(s, quote, &v);
	for (size_t i = 0; i < v.n; i++)
		if (h->col + 1 + strlen(v.v[i]) > h->max)
			rc = -1;
	for (size_t i = 0; rc == 0 && i < v.n; i++)
		hline_add(h, v.v[i], strlen(v.v[i]));
	strv_free(&v);
	return rc;
}

/* Whether a word of unstructured text must go in encoded words. */
static int
word_encoded(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x80 ||
		    (w[i] == '=' && i + 1 < n && w[i + 1] == '?'))
			return 1;
	return n > HEADER_EWORD - 20;	/* longer than a line */
}

/* The words from w to e (exclusive) as encoded words. */
static void
hline_run(struct hline *h, const char *w, const char *e)
{
	char *run = xstrndup(w, e - w);

	hline_encoded(h, run);
	free(run);
}

/* Clean unstructured text: plain words as they are, and each run of
 * words that need encoding as encoded words that hold the spaces between
 * them, since a reader ignores the space between two encoded words. */
static void
hline_unstructured(struct hline *h, const char *s)
{
	const char *w, *e, *run = NULL;

	for (w = s; *w != '\0'; w = e + (*e == ' ')) {
		e = strchrnul(w, ' ');
		if (word_encoded(w, e - w)) {
			if (run == NULL)
				run = w;
			continue;
		}
		if (run != NULL)
			hline_run(h, run, w - 1);
		run = NULL;
		hline_add(h, w, e - w);
	}
	if (run != NULL)
		hline_run(h, run, w);
}

void
header_text(struct buf *b, const char *name, const char *value)
{
	char *t = header_clean(value);
	struct hline h;

	/* 76, not 78: any line may get an encoded word. */
	hline_start(&h, b, name, HEADER_EWLINE);
	hline_unstructured(&h, t);
	hline_end(&h);
	free(t);
}

/* A display name as atoms, or as a quoted-string when it holds specials,
 * folded between words; encoded words when it is not ASCII, could be
 * taken for encoded words, or has a word longer than a line. */
static void
hline_phrase(struct hline *h, const char *name)
{
	int quote = 0;

	for (const char *p = name; *p != '\0'; p++)
		if (*p != ' ' && !is_atext(*p))
			quote = 1;
	if (!is_plain(name) || hline_words(h, name, quote) != 0) {
		h->max = HEADER_EWLINE;
		hline_encoded(h, name);
	}
}

int
header_mailbox(struct buf *b, const char *name, const char *display,
    const char *addr, char **cause)
{
	struct hline h;
	char *d, *a;

	if (!header_addr_valid(addr)) {
		*cause = xasprintf("%s: \"%s\" is not one address", name,
		    (d = header_clean(addr)));
		free(d);
		return -1;
	}
	d = header_clean(display);
	hline_start(&h, b, name, HEADER_LINE);
	if (*d == '\0')
		hline_add(&h, addr, strlen(addr));
	else {
		hline_phrase(&h, d);
		a = xasprintf("<%s>", addr);
		hline_add(&h, a, strlen(a));
		free(a);
	}
	hline_end(&h);
	free(d);
	return 0;
}

/* "<id>" as one token. */
static void
hline_msgid(struct hline *h, const char *id)
{
	char *t = xasprintf("<%s>", id);

	hline_add(h, t, strlen(t));
	free(t);
}

int
header_msgid(struct buf *b, const char *name, const char *id, char **cause)
{
	struct hline h;
	char *c;

	if (!header_msgid_valid(id)) {
		*cause = xasprintf("%s: \"%s\" is not one Message-ID", name,
		    (c = header_clean(id)));
		free(c);
		return -1;
	}
	hline_start(&h, b, name, HEADER_LINE);
	hline_msgid(&h, id);
	hline_end(&h);
	return 0;
}

/* The valid msg-ids of a References value, without id. */
static void
refs_parse(const char *refs, const char *id, struct strv *out)
{
	const char *p = refs, *lt, *gt;
	char *t;

	while (p != NULL && (lt = strchr(p, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL) {
		t = xstrndup(lt + 1, gt - lt - 1);
		if (header_msgid_valid(t) && strcmp(t, id) != 0)
			strv_addn(out, t);
		else
			free(t);
		p = gt + 1;
	}
}

void
header_thread(struct buf *b, const char *id, const char *refs)
{
	struct strv v = { NULL, 0 };
	struct hline h;

	if (!header_msgid_valid(id))
		return;
	hline_start(&h, b, "In-Reply-To", HEADER_LINE);
	hline_msgid(&h, id);
	hline_end(&h);
	refs_parse(refs, id, &v);
	hline_start(&h, b, "References", HEADER_LINE);
	/* A long chain keeps its first mail and its latest ones. */
	for (size_t i = 0; i < v.n; i++)
		if (i == 0 || i + HEADER_REFS - 1 > v.n)
			hline_msgid(&h, v.v[i]);
	hline_msgid(&h, id);
	hline_end(&h);
	strv_free(&v);
}
