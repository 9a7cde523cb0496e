/* RFC 2047 encoded words in header values, and the raw 8-bit bytes that
 * clients put in headers anyway. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "util.h"

#define HDR_MAX_LEN	65536	/* longer values are cut: no subject is that long */
#define HDR_MAX_WORDS	1000	/* encoded words decoded; the rest stay as is */
#define HDR_CHARSET_MAX	64

/* One encoded word found in a value: =?charset?enc?text?= */
struct eword {
	char charset[HDR_CHARSET_MAX];
	int enc;		/* 'B' or 'Q' */
	const char *text;
	size_t textlen;
	size_t end;		/* offset just past "?=" */
};

/* The bytes of adjacent encoded words in one charset, decoded together so
 * that a character split over two words survives. */
struct pending {
	char charset[HDR_CHARSET_MAX];
	struct buf bytes;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Read an encoded word at s[i] ("=?" already seen); 0 if malformed. */
static int
eword_parse(const char *s, size_t len, size_t i, struct eword *w)
{
	size_t j = i + 2, k = 0;

	while (j < len && s[j] != '?') {
		if (k + 1 >= sizeof w->charset ||
		    !isgraph((unsigned char)s[j]))
			return 0;
		w->charset[k++] = s[j++];
	}
	w->charset[k] = '\0';
	if (k == 0 || j + 3 >= len || s[j + 2] != '?')
		return 0;
	w->enc = toupper((unsigned char)s[j + 1]);
	if (w->enc != 'B' && w->enc != 'Q')
		return 0;
	w->text = s + j + 3;
	for (j += 3; j < len && s[j] != '?'; j++)
		if (s[j] == '\r' || s[j] == '\n')
			return 0;
	if (j + 1 >= len || s[j + 1] != '=')
		return 0;
	w->textlen = (size_t)(s + j - w->text);
	w->end = j + 2;
	return 1;
}

/* Base64 text of an encoded word; 0 when it holds other characters. */
static int
eword_b(struct buf *out, const char *t, size_t n)
{
	unsigned long acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '=')
			break;
		if ((v = b64val((unsigned char)t[i])) == -1)
			return 0;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (int)((acc >> bits) & 0xff));
		}
	}
	return 1;
}

static void
eword_q(struct buf *out, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '_')
			buf_addc(out, ' ');
		else if (t[i] == '=' && i + 2 < n && hexval(t[i + 1]) != -1 &&
		    hexval(t[i + 2]) != -1) {
			buf_addc(out, hexval(t[i + 1]) * 16 + hexval(t[i + 2]));
			i += 2;
		} else
			buf_addc(out, t[i]);
	}
}

/* The bytes of one word; 0 when its text is malformed. */
static int
eword_decode(const struct eword *w, struct buf *bytes)
{
	buf_init(bytes);
	if (w->enc == 'Q') {
		eword_q(bytes, w->text, w->textlen);
		return 1;
	}
	if (!eword_b(bytes, w->text, w->textlen)) {
		buf_free(bytes);
		return 0;
	}
	return 1;
}

/* Decode the pending bytes in their charset onto out. */
static void
pending_flush(struct pending *pd, struct buf *out)
{
	char *u;

	if (pd->bytes.len == 0)
		return;
	u = charset_to_utf8(pd->charset, pd->bytes.s, pd->bytes.len);
	buf_adds(out, u);
	free(u);
	buf_free(&pd->bytes);
}

/* Literal text between words: UTF-8 if valid, else Windows-1252. */
static void
literal_add(struct buf *out, const char *s, size_t n)
{
	char *u;

	if (n == 0)
		return;
	u = charset_to_utf8(NULL, s, n);
	buf_adds(out, u);
	free(u);
}

static int
all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/* Queue a word's bytes, decoding what is queued first if the charset
 * changes. */
static void
pending_add(struct pending *pd, struct buf *out, const struct eword *w,
    struct buf *bytes)
{
	char *star;

	if (strcasecmp(pd->charset, w->charset) != 0) {
		pending_flush(pd, out);
		memcpy(pd->charset, w->charset, sizeof pd->charset);
		if ((star = strchr(pd->charset, '*')) != NULL)
			*star = '\0';	/* RFC 2231 language */
	}
	if (bytes->len > 0)
		buf_add(&pd->bytes, bytes->s, bytes->len);
	buf_free(bytes);
}

/* Controls would let a subject break the header lines of a reply. */
static char *
controls_to_space(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

char *
mime_decode_header(const char *value)
{
	struct buf out;
	struct pending pd;
	struct eword w;
	struct buf bytes;
	size_t len, i, lit = 0, nwords = 0;
	int after_word = 0;

	if (value == NULL)
		return xstrdup("");
	len = strnlen(value, HDR_MAX_LEN);
	buf_init(&out);
	buf_init(&pd.bytes);
	pd.charset[0] = '\0';
	for (i = 0; i + 1 < len; i++) {
		if (value[i] != '=' || value[i + 1] != '?' ||
		    nwords >= HDR_MAX_WORDS || !eword_parse(value, len, i, &w) ||
		    !eword_decode(&w, &bytes))
			continue;
		if (!after_word || !all_blank(value + lit, i - lit)) {
			pending_flush(&pd, &out);
			literal_add(&out, value + lit, i - lit);
		}
		pending_add(&pd, &out, &w, &bytes);
		nwords++;
		after_word = 1;
		lit = w.end;
		i = w.end - 1;
	}
	pending_flush(&pd, &out);
	literal_add(&out, value + lit, len - lit);
	return controls_to_space(buf_steal(&out));
}
