/*
 * Redacting mail that pactd wrote, for `pactctl forget`. A name is not in
 * the stored bytes as it was written: headers carry RFC 2047 words, text
 * is quoted-printable (soft breaks may split a name), calendars are folded
 * at 75 octets and sent once more in base64. So a mail is decoded part by
 * part, redacted in its decoded form, and each part encoded again as it
 * was; what nothing names is copied as it is. The caller checks the result
 * with redact_mentions, which decodes everything again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "header.h"
#include "redact.h"
#include "util.h"

#define REDACTED	"[forgotten]"
#define REDACT_DEPTH	8	/* multipart nesting followed */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether needle matches at h: ASCII case ignored, and a run of white
 * space in the needle matching any run of it (a wrapped line). The length
 * matched, or 0. */
static size_t
match_at(const char *h, size_t hlen, const char *needle)
{
	size_t i = 0;

	for (const char *n = needle; *n != '\0'; ) {
		if (is_space((unsigned char)*n)) {
			if (i >= hlen || !is_space((unsigned char)h[i]))
				return 0;
			while (is_space((unsigned char)*n))
				n++;
			while (i < hlen && is_space((unsigned char)h[i]))
				i++;
			continue;
		}
		if (i >= hlen || lower((unsigned char)h[i]) !=
		    lower((unsigned char)*n))
			return 0;
		i++;
		n++;
	}
	return i;
}

/* A byte of a word: a name must not match inside a longer word. */
static int
is_word(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* The first needle found in h as a whole word, or -1; *mlen gets its
 * length there. */
static long
find_any(const char *h, size_t hlen, const struct strv *needles,
    size_t *mlen)
{
	const unsigned char *u = (const unsigned char *)h;

	for (size_t i = 0; i < hlen; i++) {
		if (i > 0 && is_word(u[i - 1]) && is_word(u[i]))
			continue;
		for (size_t k = 0; k < needles->n; k++)
			if ((*mlen = match_at(h + i, hlen - i,
			    needles->v[k])) > 0 && (i + *mlen == hlen ||
			    !is_word(u[i + *mlen]) || !is_word(u[i + *mlen -
			    1])))
				return (long)i;
	}
	return -1;
}

/* s (len bytes, NULs too) with every needle replaced, added to out; the
 * number replaced. */
static int
replace_all(struct buf *out, const char *s, size_t len,
    const struct strv *needles)
{
	size_t mlen;
	long at;
	int n = 0;

	while ((at = find_any(s, len, needles, &mlen)) >= 0) {
		buf_add(out, s, at);
		buf_adds(out, REDACTED);
		s += at + mlen;
		len -= at + mlen;
		n++;
	}
	buf_add(out, s, len);
	return n;
}

char *
redact_string(const char *s, const struct strv *needles, int *n)
{
	struct buf b;

	buf_init(&b);
	*n += replace_all(&b, s, strlen(s), needles);
	return buf_steal(&b);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Quoted-printable to bytes; soft line breaks joined. */
static void
qp_decode(struct buf *b, const char *p, size_t len, int underscore)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '=' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == '=' && i + 2 < len && p[i + 1] == '\r' &&
		    p[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (p[i] == '=' && i + 2 < len && hexval(p[i + 1]) >= 0 &&
		    hexval(p[i + 2]) >= 0) {
			buf_addc(b, hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else
			buf_addc(b, underscore && p[i] == '_' ? ' ' : p[i]);
	}
}

static int
b64val(int c)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tbl, c) : NULL;

	return p ? (int)(p - tbl) : -1;
}

/* Base64 to bytes; anything outside the alphabet is skipped. */
static void
b64_decode(struct buf *b, const char *p, size_t len)
{
	unsigned v = 0;
	int bits = 0, d;

	for (size_t i = 0; i < len; i++) {
		if ((d = b64val((unsigned char)p[i])) < 0)
			continue;
		v = (v << 6) | d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf_addc(b, (v >> bits) & 0xff);
		}
	}
}

/* Base64 in lines of 76, as message.c writes attachments. */
static void
b64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 57) {
		buf_add_base64(b, p + i, n - i < 57 ? n - i : 57);
		buf_adds(b, "\r\n");
	}
}

/* One RFC 2047 word at p ("=?cs?B?..?="): its decoded bytes added, and
 * its length, or 0 when p holds none. */
static size_t
word_decode(struct buf *b, const char *p, size_t len)
{
	const char *q1, *q2, *end;
	size_t n;

	if (len < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	if ((q1 = memchr(p + 2, '?', len - 2)) == NULL ||
	    q1 + 3 >= p + len || q1[2] != '?')
		return 0;
	for (end = q1 + 3; end + 1 < p + len; end++)
		if (end[0] == '?' && end[1] == '=')
			break;
	if (end + 1 >= p + len)
		return 0;
	q2 = q1 + 3;
	n = end - q2;
	if (q1[1] == 'B' || q1[1] == 'b')
		b64_decode(b, q2, n);
	else if (q1[1] == 'Q' || q1[1] == 'q')
		qp_decode(b, q2, n, 1);
	else
		return 0;
	return end + 2 - p;
}

/* A header value unfolded, its encoded words decoded (white space between
 * two of them dropped, as RFC 2047 says). */
static void
header_decode(struct buf *b, const char *p, size_t len)
{
	size_t n, j;
	int after_word = 0;

	for (size_t i = 0; i < len; ) {
		if (p[i] == '\r' || p[i] == '\n') {
			i++;
			continue;
		}
		if ((n = word_decode(b, p + i, len - i)) > 0) {
			i += n;
			after_word = 1;
			continue;
		}
		if ((p[i] == ' ' || p[i] == '\t') && after_word) {
			for (j = i; j < len && is_space((unsigned char)p[j]);
			    j++)
				;
			/* The next word may continue this one. */
			if (j < len && p[j] == '=' && j + 1 < len &&
			    p[j + 1] == '?') {
				i = j;
				continue;
			}
		}
		after_word = 0;
		buf_addc(b, p[i++]);
	}
}

/* iCalendar lines unfolded: a line end followed by white space goes. */
static void
ical_unfold(struct buf *b, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 2 < len && p[i + 1] == '\n' &&
		    (p[i + 2] == ' ' || p[i + 2] == '\t')) {
			i += 2;
			continue;
		}
		buf_addc(b, p[i]);
	}
}

/* Lines of at most 75 octets, never splitting a UTF-8 character. */
static void
ical_fold(struct buf *b, const char *s)
{
	size_t col = 0, clen;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			col = 0;
			buf_addc(b, *p);
			continue;
		}
		if ((*p & 0xc0) != 0x80) {
			clen = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ?
			    2 : 1;
			if (col + clen > 75) {
				buf_adds(b, "\r\n ");
				col = 1;
			}
		}
		buf_addc(b, *p);
		col++;
	}
}

/* What one entity says about itself. */
struct entity {
	char type[64];		/* lower case, "text/plain" */
	char boundary[128];
	char cte[32];		/* lower case */
};

/* A parameter's value from a Content-Type ("boundary"). */
static void
param_get(const char *v, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name), n;
	const char *p;

	*out = '\0';
	for (p = v; (p = strcasestr(p, name)) != NULL; p += nl) {
		if ((p != v && p[-1] != ';' &&
		    !is_space((unsigned char)p[-1])) || p[nl] != '=')
			continue;
		p += nl + 1;
		if (*p == '"') {
			p++;
			n = strcspn(p, "\"");
		} else
			n = strcspn(p, "; \t\r\n");
		if (n < len)
			snprintf(out, len, "%.*s", (int)n, p);
		return;
	}
}

/* Note Content-Type and Content-Transfer-Encoding as they go by. */
static void
entity_note(struct entity *e, const char *name, size_t nlen,
    const char *value)
{
	size_t n;

	if (nlen == 12 && strncasecmp(name, "Content-Type", 12) == 0) {
		n = strcspn(value, "; \t\r\n");
		snprintf(e->type, sizeof e->type, "%.*s",
		    (int)(n < sizeof e->type ? n : 0), value);
		str_lower(e->type);
		param_get(value, "boundary", e->boundary, sizeof e->boundary);
	} else if (nlen == 25 && strncasecmp(name,
	    "Content-Transfer-Encoding", 25) == 0) {
		n = strcspn(value, " \t\r\n");
		snprintf(e->cte, sizeof e->cte, "%.*s",
		    (int)(n < sizeof e->cte ? n : 0), value);
		str_lower(e->cte);
	}
}

/* Where the header block ends (the blank line), and the body begins. */
static size_t
header_end(const char *p, size_t len, size_t *body)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n' || i + 1 >= len)
			continue;
		if (p[i + 1] == '\n') {
			*body = i + 2;
			return i + 1;
		}
		if (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n') {
			*body = i + 3;
			return i + 1;
		}
	}
	*body = len;
	return len;
}

/* The length of one header field with its continuation lines. */
static size_t
field_len(const char *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		const char *nl = memchr(p + i, '\n', len - i);

		if (nl == NULL)
			return len;
		i = nl - p + 1;
		if (i >= len || (p[i] != ' ' && p[i] != '\t'))
			return i;
	}
}

/* A display name without its surrounding quotes and escapes, in place. */
static char *
display_unquote(char *d)
{
	size_t n;
	char *w, *r;

	d = str_trim(d);
	n = strlen(d);
	if (n < 2 || d[0] != '"' || d[n - 1] != '"')
		return d;
	d[n - 1] = '\0';
	for (r = w = ++d; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0')
			r++;
		*w++ = *r;
	}
	*w = '\0';
	return d;
}

static int
is_address_header(const char *name, size_t nlen)
{
	static const char *const names[] = { "From", "To", "Cc",
	    "Reply-To", "Sender" };

	for (size_t i = 0; i < nitems(names); i++)
		if (strlen(names[i]) == nlen &&
		    strncasecmp(names[i], name, nlen) == 0)
			return 1;
	return 0;
}

/* A redacted field again through the one header writer: an address
 * field as "display <addr>" when it still holds one address, anything
 * else as unstructured text. */
static void
field_write(struct buf *out, const char *name, size_t nlen,
    const char *value)
{
	char *hname = xstrndup(name, nlen), *lt = strrchr(value, '<');
	char *display, *addr, *cause = NULL, *gt;
	size_t mark = out->len;

	if (!is_address_header(name, nlen) || lt == NULL ||
	    (gt = strchr(lt, '>')) == NULL) {
		header_text(out, hname, value);
		free(hname);
		return;
	}
	display = xstrndup(value, lt - value);
	addr = xstrndup(lt + 1, gt - lt - 1);
	if (header_mailbox(out, hname, display_unquote(display), addr,
	    &cause) != 0) {
		/* Whatever the writer began is taken back. */
		out->len = mark;
		if (out->s != NULL)
			out->s[mark] = '\0';
		header_text(out, hname, value);
		free(cause);
	}
	free(addr);
	free(display);
	free(hname);
}

/* Copy or redact the header block; note what the body is. */
static void
headers_redact(struct buf *out, const char *p, size_t len,
    const struct strv *needles, struct entity *e, int *n)
{
	for (size_t i = 0, fl; i < len; i += fl) {
		const char *f = p + i, *colon;
		struct buf value, red;
		size_t nlen;
		int hits;

		fl = field_len(f, len - i);
		if ((colon = memchr(f, ':', fl)) == NULL) {
			buf_add(out, f, fl);
			continue;
		}
		nlen = colon - f;
		buf_init(&value);
		buf_init(&red);
		buf_add(&value, "", 0);	/* never NULL, even when empty */
		header_decode(&value, colon + 1, fl - nlen - 1);
		hits = replace_all(&red, value.s, value.len, needles);
		if (hits > 0) {
			field_write(out, f, nlen, str_trim(red.s));
			*n += hits;
		} else
			buf_add(out, f, fl);
		entity_note(e, f, nlen, str_trim(value.s));
		buf_free(&red);
		buf_free(&value);
	}
}

static int
is_calendar(const struct entity *e)
{
	return strcmp(e->type, "text/calendar") == 0 ||
	    strcmp(e->type, "application/ics") == 0;
}

/* A leaf's body, decoded, into text. */
static void
leaf_decode(struct buf *text, const struct entity *e, const char *p,
    size_t len)
{
	struct buf b;

	buf_init(&b);
	if (strcmp(e->cte, "quoted-printable") == 0)
		qp_decode(&b, p, len, 0);
	else if (strcmp(e->cte, "base64") == 0)
		b64_decode(&b, p, len);
	else
		buf_add(&b, p, len);
	if (is_calendar(e))
		ical_unfold(text, b.s, b.len);
	else
		buf_add(text, b.s, b.len);
	buf_free(&b);
}

/* Text encoded as the part was. */
static void
leaf_encode(struct buf *out, const struct entity *e, const char *s,
    size_t len)
{
	if (strcmp(e->cte, "quoted-printable") == 0)
		qp_encode(out, s);
	else if (strcmp(e->cte, "base64") == 0)
		b64_encode(out, (const unsigned char *)s, len);
	else
		buf_add(out, s, len);
}

/* A leaf's body redacted and encoded as it was. */
static void
leaf_redact(struct buf *out, const struct entity *e, const char *p,
    size_t len, const struct strv *needles, int *n)
{
	struct buf text, red, cal;
	size_t start = out->len;
	int hits;

	buf_init(&text);
	buf_init(&red);
	buf_init(&cal);
	leaf_decode(&text, e, p, len);
	if ((hits = replace_all(&red, text.s, text.len, needles)) == 0)
		buf_add(out, p, len);
	else if (is_calendar(e)) {
		buf_add(&cal, "", 0);
		ical_fold(&cal, red.s);
		leaf_encode(out, e, cal.s, cal.len);
	} else
		leaf_encode(out, e, red.s, red.len);
	/* The encoders end with a line end that a part before its boundary
	 * line did not have. */
	if (hits > 0 && (len == 0 || p[len - 1] != '\n') &&
	    out->len >= start + 2 && memcmp(out->s + out->len - 2, "\r\n",
	    2) == 0 && (red.len == 0 || red.s[red.len - 1] != '\n')) {
		out->len -= 2;
		out->s[out->len] = '\0';
	}
	*n += hits;
	buf_free(&cal);
	buf_free(&red);
	buf_free(&text);
}

static void entity_redact(struct buf *, const char *, size_t,
    const struct strv *, int, int *);

/* A multipart body: each part between the boundary lines on its own; the
 * lines themselves, preamble and epilogue copied. */
static void
multipart_redact(struct buf *out, const struct entity *e, const char *p,
    size_t len, const struct strv *needles, int depth, int *n)
{
	char *delim = xasprintf("--%s", e->boundary);
	size_t dl = strlen(delim), i = 0, start = 0;
	int inside = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (p + i)) + 1 : len - i;

		if (ll >= dl && memcmp(p + i, delim, dl) == 0) {
			/* the line end before a delimiter belongs to it */
			size_t end = i, keep;

			if (inside) {
				keep = end > start && p[end - 1] == '\n' ?
				    (end - 1 > start && p[end - 2] == '\r' ?
				    2 : 1) : 0;
				entity_redact(out, p + start, end - start -
				    keep, needles, depth + 1, n);
				buf_add(out, p + end - keep, keep);
			} else
				buf_add(out, p + start, i - start);
			buf_add(out, p + i, ll);
			inside = !(ll >= dl + 2 && p[i + dl] == '-' &&
			    p[i + dl + 1] == '-');
			start = i + ll;
		}
		i += ll;
	}
	buf_add(out, p + start, len - start);	/* epilogue */
	free(delim);
}

/* One entity (the whole mail, or a part): headers, then its body. */
static void
entity_redact(struct buf *out, const char *p, size_t len,
    const struct strv *needles, int depth, int *n)
{
	struct entity e;
	size_t body, hend = header_end(p, len, &body);

	memset(&e, 0, sizeof e);
	headers_redact(out, p, hend, needles, &e, n);
	buf_add(out, p + hend, body - hend);
	if (strncmp(e.type, "multipart/", 10) == 0 && *e.boundary != '\0' &&
	    depth < REDACT_DEPTH)
		multipart_redact(out, &e, p + body, len - body, needles,
		    depth, n);
	else
		leaf_redact(out, &e, p + body, len - body, needles, n);
}

char *
redact_mail(const char *raw, size_t len, const struct strv *needles,
    int *n)
{
	struct buf out;

	*n = 0;
	buf_init(&out);
	entity_redact(&out, raw, len, needles, 0, n);
	return buf_steal(&out);
}

int
redact_mentions(const char *raw, size_t len, const struct strv *needles)
{
	char *red;
	size_t mlen;
	int n;

	/* The stored bytes themselves, then every decoded part. */
	if (find_any(raw, len, needles, &mlen) >= 0)
		return 1;
	red = redact_mail(raw, len, needles, &n);
	free(red);
	return n > 0;
}
