/* An incoming message read with libetpan: the headers pactd decides on and
 * one UTF-8 text for the body. */
#ifndef PACTD_MIME_H
#define PACTD_MIME_H

#include <stddef.h>

#include "util.h"

#define MIME_MAX_DEPTH	100
#define MIME_MAX_PARTS	10000
#define MIME_MAX_RECIPIENTS 1000	/* To and Cc addresses kept */

/* A non-text part kept for later (calendar replies, status PDFs). */
struct mime_part {
	char *content_type;	/* lower case, "text/calendar" */
	char *method;		/* calendar method= parameter or NULL */
	char *filename;		/* decoded, or NULL */
	char *data;		/* transfer-decoded bytes, NUL-terminated */
	size_t len;
};

struct mail {
	char *message_id;	/* without <>, or NULL */
	char *in_reply_to;	/* raw header value or NULL */
	char *references;	/* raw header value or NULL */
	char *subject;		/* RFC 2047 decoded, UTF-8, "" when absent */
	char *from_addr;	/* lower case addr-spec or NULL */
	char *from_name;	/* decoded display name or NULL */
	const char *from_problem; /* why From is not one mailbox, or NULL */
	char *return_path;	/* addr-spec, "" for <>, NULL when absent */
	char *date;		/* raw Date header or NULL */
	struct strv recipients;	/* To and Cc addr-specs, lower case */
	char *auto_submitted;	/* header value or NULL */
	char *precedence;
	int has_list_id;
	char *content_type;	/* top-level, lower case, "text/plain" */
	int is_report;		/* multipart/report */
	struct strv auth_results; /* Authentication-Results, topmost first */
	struct strv headers_raw;  /* "Name: value" of every header, unfolded */
	char *text;		/* the body as UTF-8 text with LF line ends */
	struct mime_part *parts; /* non-text parts */
	size_t nparts;
	char *problem;		/* why the body could not be read, or NULL */
	enum mail_limit { MAIL_LIMIT_NONE, MAIL_LIMIT_SIZE, MAIL_LIMIT_DEPTH,
	    MAIL_LIMIT_PARTS } limit;	/* the limit passed, for the reply */
	size_t limit_value;
};

/*
 * Parse a raw message. Always returns a struct mail when the headers could
 * be read at all; when the body is beyond the limits (depth, parts,
 * max_bytes) or cannot be decoded, m->problem says why and m->text is "".
 * Returns NULL only when the message has no readable header at all.
 */
struct mail *mail_parse(const char *raw, size_t len, size_t max_bytes);
void mail_free(struct mail *);

/* Convert bytes in the named charset to UTF-8; unknown charsets are read as
 * Windows-1252 when invalid UTF-8. Never fails. */
char *charset_to_utf8(const char *charset, const char *s, size_t len);

/* Append a code point as UTF-8 (U+FFFD for surrogates and out of range,
 * nothing for U+0000). */
void charset_put_utf8(struct buf *, unsigned long);

/* Decode RFC 2047 encoded words in a header value to UTF-8. */
char *mime_decode_header(const char *value);

/* Turn HTML into readable plain text (paragraphs, line breaks, lists,
 * links as "text <url>", entities decoded, script/style dropped). */
char *html_to_text(const char *html, size_t len);

#endif
