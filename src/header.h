/* The one writer of outgoing header fields: every value is cleaned of
 * control characters, display names are quoted or RFC 2047 encoded, and
 * every line is folded to RFC 5322 and RFC 2047 lengths. */
#ifndef PACTD_HEADER_H
#define PACTD_HEADER_H

#include "util.h"

#define HEADER_LINE	78	/* RFC 5322 2.1.1 */
#define HEADER_EWLINE	76	/* RFC 2047 2: a line with encoded words */
#define HEADER_EWORD	75	/* RFC 2047 2: one encoded word */
#define HEADER_REFS	20	/* Message-IDs kept in References */

/* One line of valid UTF-8: line breaks, tabs and U+0085/U+2028/U+2029
 * become one space, other control characters go, ends trimmed. */
char *header_clean(const char *);

/* Whether a string is one plain ASCII addr-spec (dot-atom@domain). */
int header_addr_valid(const char *);

/* Whether a string is one msg-id without its angle brackets. */
int header_msgid_valid(const char *);

/* "Name: text", unstructured (Subject). */
void header_text(struct buf *, const char *name, const char *value);

/* "Name: display-name <addr>" or "Name: addr"; -1 with *cause when addr
 * is not one valid addr-spec. */
int header_mailbox(struct buf *, const char *name, const char *display,
    const char *addr, char **cause);

/* "Name: <id>"; -1 with *cause when id is no msg-id. */
int header_msgid(struct buf *, const char *name, const char *id,
    char **cause);

/* In-Reply-To and References for an answer to the mail whose Message-ID
 * is id and whose References are refs; nothing when id is no msg-id, and
 * only the valid msg-ids of refs. */
void header_thread(struct buf *, const char *id, const char *refs);

#endif
