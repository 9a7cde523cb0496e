/* Bytes in whatever charset a mail claims to UTF-8. Clients lie about their
 * charsets, so the label is a hint: the output is always valid UTF-8. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "util.h"

#define CHARSET_NAME_MAX	64

/* Windows-1252 0x80-0x9f; 0 marks the five bytes it leaves undefined. */
static const unsigned short cp1252_c1[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* Labels that mean plain ASCII or UTF-8, or that say nothing at all. */
static const char *utf8_names[] = {
	"utf-8", "utf8", "unicode-1-1-utf-8", "us-ascii", "ascii", "us",
	"ansi_x3.4-1968", "iso646-us", "x-unknown", "unknown", "unknown-8bit",
	"x-user-defined", "default", "none", "8bit", "7bit", "binary",
};

/* Labels that mean Latin-1 or its Windows superset. */
static const char *latin1_names[] = {
	"iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1",
	"latin-1", "l1", "cp819", "ibm819", "iso-ir-100", "windows-1252",
	"cp1252", "x-cp1252", "win-1252", "ms-ansi",
};

/* Single-byte labels under which valid multi-byte UTF-8 is a lie. */
static const char *single_prefixes[] = {
	"iso-8859-", "iso8859-", "iso_8859-", "windows-125", "cp125", "latin",
	"koi8",
};

void
charset_put_utf8(struct buf *b, unsigned long cp)
{
	char s[4];

	if (cp == 0)
		return;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_addc(b, (int)cp);
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 4);
	}
}

/* Append one byte read as Windows-1252 (undefined bytes as U+FFFD). */
static void
cp1252_put(struct buf *b, unsigned char c)
{
	if (c >= 0x80 && c <= 0x9f)
		charset_put_utf8(b, cp1252_c1[c - 0x80] ? cp1252_c1[c - 0x80] :
		    0xfffd);
	else
		charset_put_utf8(b, c);
}

/* Length of the well-formed UTF-8 sequence at p, or 0 if there is none. */
static size_t
utf8_seqlen(const unsigned char *p, size_t n)
{
	size_t k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k || !utf8_valid((const char *)p, k))
		return 0;
	return k;
}

/* UTF-8 where it is well-formed, each other byte as Windows-1252: what a
 * mail with a missing or wrong label most likely meant. */
static void
mixed_to_utf8(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, start;

	while (i < len) {
		start = i;
		while (i < len && p[i] != 0 && (k = utf8_seqlen(p + i,
		    len - i)) > 0)
			i += k;
		buf_add(b, s + start, i - start);
		if (i < len) {
			if (p[i] != 0)
				cp1252_put(b, p[i]);
			i++;
		}
	}
}

static void
cp1252_to_utf8(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\0')
			cp1252_put(b, (unsigned char)s[i]);
}

/* Whether s is valid UTF-8 with at least one multi-byte sequence. */
static int
utf8_multibyte(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			break;
	return i < len && utf8_valid(s, len);
}

/* A lower-case label without quotes, blanks or RFC 2231 language tag. */
static void
charset_norm(const char *charset, char *out, size_t outsz)
{
	size_t i = 0;

	out[0] = '\0';
	if (charset == NULL)
		return;
	while (*charset == '"' || *charset == '\'' ||
	    isspace((unsigned char)*charset))
		charset++;
	for (; *charset != '\0' && *charset != '*' && *charset != '"' &&
	    *charset != '\'' && !isspace((unsigned char)*charset); charset++) {
		if (i + 1 >= outsz) {
			out[0] = '\0';	/* too long to be a real label */
			return;
		}
		out[i++] = (char)tolower((unsigned char)*charset);
	}
	out[i] = '\0';
}

static int
name_in(const char *name, const char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

static int
name_prefixed(const char *name, const char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(name, list[i], strlen(list[i])) == 0)
			return 1;
	return 0;
}

/* Convert with iconv, one U+FFFD for each byte it cannot read. Returns -1
 * when iconv does not know the charset. */
static int
iconv_to_utf8(struct buf *b, const char *name, const char *s, size_t len)
{
	iconv_t cd;
	char out[4096], *in = (char *)s, *op;
	size_t inleft = len, outleft, r;

	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return -1;
	for (;;) {
		op = out;
		outleft = sizeof out;
		r = iconv(cd, inleft > 0 ? &in : NULL, &inleft, &op, &outleft);
		buf_add(b, out, sizeof out - outleft);
		if (r != (size_t)-1 && inleft == 0)
			break;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		charset_put_utf8(b, 0xfffd);
		if (errno != EILSEQ || inleft == 0)
			break;
		in++;
		inleft--;
	}
	op = out;
	outleft = sizeof out;
	iconv(cd, NULL, NULL, &op, &outleft);
	buf_add(b, out, sizeof out - outleft);
	iconv_close(cd);
	return 0;
}

char *
charset_to_utf8(const char *charset, const char *s, size_t len)
{
	struct buf b, tmp;
	char name[CHARSET_NAME_MAX];

	buf_init(&b);
	charset_norm(charset, name, sizeof name);
	if (name[0] == '\0' || name_in(name, utf8_names, nitems(utf8_names)))
		mixed_to_utf8(&b, s, len);
	else if (name_prefixed(name, single_prefixes,
	    nitems(single_prefixes)) && utf8_multibyte(s, len))
		mixed_to_utf8(&b, s, len);
	else if (name_in(name, latin1_names, nitems(latin1_names)))
		cp1252_to_utf8(&b, s, len);
	else {
		buf_init(&tmp);
		if (iconv_to_utf8(&tmp, name, s, len) == -1)
			mixed_to_utf8(&b, s, len);
		else
			mixed_to_utf8(&b, tmp.s != NULL ? tmp.s : "", tmp.len);
		buf_free(&tmp);
	}
	return buf_steal(&b);
}
