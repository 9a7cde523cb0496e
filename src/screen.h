/* Which mail gets an answer (SPEC section 6): automatic mail never does;
 * strangers only when their mail passed DMARC at a server we trust. */
#ifndef PACTD_SCREEN_H
#define PACTD_SCREEN_H

#include "mime.h"

/* Why the mail is automatic, or NULL when a person sent it. */
const char *screen_automatic(const struct mail *);

/* Why the sender cannot be told at all (two From fields, or From naming
 * several mailboxes), or NULL. Such mail is quarantined. */
const char *screen_ambiguous_sender(const struct mail *);

/* Whether the topmost Authentication-Results of authserv_id says the mail
 * passed DMARC or carries a DKIM signature aligned with From. */
int screen_dmarc_pass(const struct mail *, const char *authserv_id);

#endif
