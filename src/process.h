/* One incoming mail: parse, decide, record the effect and the answers in
 * one transaction, and say which folder it belongs in. */
#ifndef PACTD_PROCESS_H
#define PACTD_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "pact.h"

/* Decide on one raw message inside the caller's transaction; *folder
 * gets the folder to move it to. -1 and *cause when the store failed: the
 * caller rolls back. */
int process_message(struct pact *, const char *raw, size_t len, int toobig,
    const char **folder, char **cause);

#endif
