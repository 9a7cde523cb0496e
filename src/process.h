/* One incoming mail from INBOX to its folder: parse, decide, record the
 * effect and the answers in one transaction, then move it. */
#ifndef PACTD_PROCESS_H
#define PACTD_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "pact.h"

/* Decide on one raw message and commit; *folder gets the folder to move
 * it to. -1 and *cause when the store failed: nothing was recorded. */
int process_message(struct pact *, const char *raw, size_t len, int toobig,
    const char **folder, char **cause);

/* Every message in the mailbox. Returns how many were handled, or -1:
 * *imap_down tells a server problem from a store problem. */
int process_mailbox(struct pact *, int *imap_down, char **cause);

#endif
