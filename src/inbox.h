/* A pass over INBOX: every message fetched, processed and moved to its
 * folder, a chunk of messages per round trip. */
#ifndef PACTD_INBOX_H
#define PACTD_INBOX_H

#include "pact.h"

/* Every message in the mailbox. Returns how many were handled, or -1:
 * *imap_down tells a server problem from a store problem. */
int inbox_pass(struct pact *, int *imap_down, char **cause);

#endif
