/* Which mail gets an answer (SPEC section 6): automatic mail never does;
 * strangers only when their mail passed DMARC at a server we trust. */
#ifndef PACTD_SCREEN_H
#define PACTD_SCREEN_H

#include "mime.h"

/* Why the mail is automatic, or NULL when a person sent it. */
const char *screen_automatic(const struct mail *);

/* Why the sender cannot be told at all (no or two From fields, a From
 * that is not exactly one mailbox), or NULL. Such mail is quarantined. */
const char *screen_ambiguous_sender(const struct mail *);

/* Which field a message carries twice that it may carry once (Subject,
 * Message-ID, To ...), or NULL. Such mail is quarantined. */
const char *screen_duplicate_field(const struct mail *);

/* Whether To or Cc names address or a subaddress of it (local+x@domain
 * with sep "+"): a signed mail someone sent elsewhere and an attacker
 * replays to the pact does not. */
int screen_addressed_to(const struct mail *, const char *address,
    const char *sep);

/*
 * Why the mail does not pass DMARC as SPEC section 2 defines it, or NULL
 * when it does: the topmost Authentication-Results whose authserv-id is
 * authserv_id ("" for Microsoft 365's, which has none) must hold dmarc=pass
 * with header.from the From domain, or dkim=pass with header.d that domain
 * or a parent of it. The reason is allocated, for logs and the quarantine.
 */
char *screen_dmarc_why(const struct mail *, const char *authserv_id);

/* Whether it passes; screen_dmarc_why without the reason. */
int screen_dmarc_pass(const struct mail *, const char *authserv_id);

#endif
