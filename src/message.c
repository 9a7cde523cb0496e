/* Building outgoing mail. Everything is UTF-8; headers with non-ASCII are
 * RFC 2047 encoded; the text goes quoted-printable so that every line
 * stays short and 7-bit, whatever the relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "message.h"
#include "util.h"

/* Characters of a CSPRNG, lower-case base32 (RFC 4648 alphabet). */
void
random_token(char *out, size_t nchars)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[64];
	size_t i;

	if (nchars > sizeof r)
		nchars = sizeof r;
	if (getrandom(r, nchars, 0) != (ssize_t)nchars)
		fatal("getrandom");
	for (i = 0; i < nchars; i++)
		out[i] = alpha[r[i] & 31];
	out[i] = '\0';
}

char *
message_new_id(const struct config *c, const char *tag)
{
	const char *domain = strchr(c->address, '@') + 1;
	char tok[27];

	random_token(tok, 26);	/* 130 bits */
	return xasprintf("%s.%s@%s", tok, tag ? tag : "pactd", domain);
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Length of the UTF-8 sequence that starts with c. */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static void
b64_add(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16;

		if (i + 1 < n)
			v |= p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_addc(b, tbl[(v >> 18) & 63]);
		buf_addc(b, tbl[(v >> 12) & 63]);
		buf_addc(b, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		buf_addc(b, i + 2 < n ? tbl[v & 63] : '=');
	}
}

/* "Name: value", encoded words of at most 45 bytes each, never splitting a
 * UTF-8 character, folded between words. */
void
header_encode(struct buf *b, const char *name, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = strlen(value);

	buf_addf(b, "%s: ", name);
	if (is_ascii(value) && n < 900) {
		buf_adds(b, value);
		buf_adds(b, "\r\n");
		return;
	}
	while (n > 0) {
		size_t take = 0;

		while (take < n && take + utf8_len(p[take]) <= 45)
			take += utf8_len(p[take]);
		if (take == 0 || take > n)
			take = n < 45 ? n : 45;
		buf_adds(b, "=?UTF-8?B?");
		b64_add(b, p, take);
		buf_adds(b, "?=");
		p += take;
		n -= take;
		if (n > 0)
			buf_adds(b, "\r\n ");
	}
	buf_adds(b, "\r\n");
}

/* Quoted-printable (RFC 2045) with CRLF hard breaks and soft breaks
 * before 76 characters. */
void
qp_encode(struct buf *b, const char *s)
{
	int col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char enc[4];
		int trailing = (*p == ' ' || *p == '\t') &&
		    (p[1] == '\n' || p[1] == '\0');
		int n = (*p == '=' || *p >= 0x7f || (*p < 0x20 && *p != '\t') ||
		    trailing || *p == '.') ? 3 : 1;

		if (*p == '\r')
			continue;
		if (*p == '\n') {
			buf_adds(b, "\r\n");
			col = 0;
			continue;
		}
		if (col + n > 75) {
			buf_adds(b, "=\r\n");
			col = 0;
		}
		/* A dot opening a line is encoded, so that no relay's
		 * dot-stuffing ever touches the text. */
		if (n == 3 && (*p != '.' || col == 0))
			snprintf(enc, sizeof enc, "=%02X", *p);
		else {
			enc[0] = (char)*p;
			enc[1] = '\0';
		}
		buf_adds(b, enc);
		col += strlen(enc);
	}
	if (col > 0)
		buf_adds(b, "\r\n");
}

/* "Name <addr>" with the name encoded when needed. */
static void
address_header(struct buf *b, const char *hdr, const char *name,
    const char *addr)
{
	char *v;

	if (name == NULL || *name == '\0') {
		buf_addf(b, "%s: %s\r\n", hdr, addr);
		return;
	}
	if (is_ascii(name) && strpbrk(name, "\"\\()<>[]:;@,.") == NULL) {
		buf_addf(b, "%s: %s <%s>\r\n", hdr, name, addr);
		return;
	}
	if (is_ascii(name) && strpbrk(name, "\"\\") == NULL) {
		buf_addf(b, "%s: \"%s\" <%s>\r\n", hdr, name, addr);
		return;
	}
	header_encode(b, hdr, name);
	b->len -= 2;	/* drop CRLF */
	b->s[b->len] = '\0';
	v = xasprintf(" <%s>\r\n", addr);
	buf_adds(b, v);
	free(v);
}

/* References: the answered mail's own chain, then its Message-ID. */
static void
references_header(struct buf *b, const struct outmail *m)
{
	const char *refs = m->references;

	if (m->in_reply_to == NULL)
		return;
	buf_addf(b, "In-Reply-To: <%s>\r\n", m->in_reply_to);
	buf_adds(b, "References:");
	if (refs != NULL && strlen(refs) < 8000) {
		char *copy = xstrdup(refs), *save = NULL;

		for (char *t = strtok_r(copy, " \t\r\n", &save); t != NULL;
		    t = strtok_r(NULL, " \t\r\n", &save))
			if (t[0] == '<' && strchr(t, '>') != NULL)
				buf_addf(b, " %s\r\n", t);
		free(copy);
	}
	buf_addf(b, " <%s>\r\n", m->in_reply_to);
}

static void
text_part(struct buf *b, const char *body)
{
	buf_adds(b, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_encode(b, body);
}

/* multipart/mixed { multipart/alternative { text, calendar }, invite.ics } */
static void
calendar_parts(struct buf *b, const struct outmail *m, const char *mid)
{
	char outer[40], inner[40];

	random_token(outer, 20);
	random_token(inner, 20);
	buf_addf(b, "Content-Type: multipart/mixed; boundary=\"=_m%s\"\r\n\r\n",
	    outer);
	buf_addf(b, "--=_m%s\r\nContent-Type: multipart/alternative; "
	    "boundary=\"=_a%s\"\r\n\r\n", outer, inner);
	buf_addf(b, "--=_a%s\r\n", inner);
	text_part(b, m->body);
	buf_addf(b, "--=_a%s\r\nContent-Type: text/calendar; charset=UTF-8; "
	    "method=%s\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", inner,
	    m->method);
	buf_adds(b, m->calendar);
	buf_addf(b, "\r\n--=_a%s--\r\n", inner);
	buf_addf(b, "--=_m%s\r\nContent-Type: application/ics; "
	    "name=\"invite.ics\"\r\nContent-Disposition: attachment; "
	    "filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\n", outer);
	for (size_t i = 0, n = strlen(m->calendar); i < n; i += 57) {
		b64_add(b, (const unsigned char *)m->calendar + i,
		    n - i < 57 ? n - i : 57);
		buf_adds(b, "\r\n");
	}
	buf_addf(b, "--=_m%s--\r\n", outer);
	(void)mid;
}

char *
message_build(const struct config *c, const struct outmail *m, time_t now,
    char **mid)
{
	struct buf b;
	struct person from;
	char date[64];

	buf_init(&b);
	if (person_parse(c->smtp_from, &from) != 0)
		fatalx("smtp from '%s' invalid", c->smtp_from);
	*mid = m->message_id ? xstrdup(m->message_id) :
	    message_new_id(c, "r");
	clock_format_rfc5322(now, date, sizeof date);
	address_header(&b, "From", from.name, from.addr);
	person_free(&from);
	address_header(&b, "To", m->to_name, m->to_addr);
	if (m->reply_to != NULL)
		buf_addf(&b, "Reply-To: %s\r\n", m->reply_to);
	header_encode(&b, "Subject", m->subject);
	buf_addf(&b, "Date: %s\r\nMessage-ID: <%s>\r\n", date, *mid);
	references_header(&b, m);
	buf_addf(&b, "Auto-Submitted: %s\r\n", m->auto_generated ?
	    "auto-generated" : "auto-replied");
	buf_adds(&b, "X-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n");
	if (m->calendar != NULL)
		calendar_parts(&b, m, *mid);
	else
		text_part(&b, m->body);
	return buf_steal(&b);
}
