/* Building outgoing mail. Everything is UTF-8; every header field is
 * written by header.c, which no name or ID can break; the text goes
 * quoted-printable so that every line stays short and 7-bit, whatever
 * the relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "header.h"
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
		buf_add_base64(b, (const unsigned char *)m->calendar + i,
		    n - i < 57 ? n - i : 57);
		buf_adds(b, "\r\n");
	}
	buf_addf(b, "--=_m%s--\r\n", outer);
	(void)mid;
}

/* From, To and Reply-To; -1 with *cause when an address is not one. */
static int
address_headers(struct buf *b, const struct config *c,
    const struct outmail *m, char **cause)
{
	struct person from;
	int rc;

	if (person_parse(c->smtp_from, &from) != 0)
		fatalx("smtp from '%s' invalid", c->smtp_from);
	rc = header_mailbox(b, "From", from.name, from.addr, cause);
	person_free(&from);
	if (rc != 0 || header_mailbox(b, "To", m->to_name, m->to_addr,
	    cause) != 0)
		return -1;
	if (m->reply_to != NULL &&
	    header_mailbox(b, "Reply-To", m->reply_to_name,
	    m->reply_to, cause) != 0)
		return -1;
	return 0;
}

char *
message_build(const struct config *c, const struct outmail *m, time_t now,
    char **mid, char **cause)
{
	struct buf b;
	char date[64];

	buf_init(&b);
	*mid = m->message_id ? xstrdup(m->message_id) :
	    message_new_id(c, "r");
	clock_format_rfc5322(now, date, sizeof date);
	if (address_headers(&b, c, m, cause) != 0)
		goto refused;
	header_text(&b, "Subject", m->subject);
	buf_addf(&b, "Date: %s\r\n", date);
	if (header_msgid(&b, "Message-ID", *mid, cause) != 0)
		goto refused;
	if (m->in_reply_to != NULL)
		header_thread(&b, m->in_reply_to, m->references);
	buf_addf(&b, "Auto-Submitted: %s\r\n", m->auto_generated ?
	    "auto-generated" : "auto-replied");
	buf_adds(&b, "X-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n");
	if (m->calendar != NULL)
		calendar_parts(&b, m, *mid);
	else
		text_part(&b, m->body);
	return buf_steal(&b);
refused:
	buf_free(&b);
	free(*mid);
	*mid = NULL;
	return NULL;
}
