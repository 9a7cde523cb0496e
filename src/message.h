/* Outgoing mail as RFC 5322 text: headers, UTF-8 quoted-printable text,
 * and for invitations the calendar parts. */
#ifndef PACTD_MESSAGE_H
#define PACTD_MESSAGE_H

#include <time.h>

#include "config.h"

struct outmail {
	const char *to_addr;
	const char *to_name;		/* or NULL */
	const char *subject;		/* UTF-8 */
	const char *body;		/* UTF-8 text, LF line ends */
	const char *in_reply_to;	/* Message-ID without <>, or NULL */
	const char *references;		/* the answered mail's References */
	const char *reply_to;		/* address, or NULL */
	const char *reply_to_name;	/* its display name, or NULL */
	const char *message_id;		/* without <>; NULL: a new one */
	int auto_generated;		/* ballots, reminders, invitations */
	const char *calendar;		/* iCalendar text (CRLF) or NULL */
	const char *method;		/* its METHOD, upper case */
};

/* A new Message-ID (without <>) at the pact's domain. */
char *message_new_id(const struct config *, const char *tag);

/* The whole message with CRLF line ends; *mid gets its Message-ID.
 * NULL with *cause when an address or the Message-ID is not one. */
char *message_build(const struct config *, const struct outmail *,
    time_t now, char **mid, char **cause);

/* Helpers shared with the calendar and page code. */
void qp_encode(struct buf *, const char *);
void random_token(char *out, size_t nchars);	/* lower-case base32 */

#endif
