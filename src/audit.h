/* The audit log: append-only, each entry holding the hash of the one
 * before, so that an edit shows. */
#ifndef PACTD_AUDIT_H
#define PACTD_AUDIT_H

#include "store.h"

/* Append inside the caller's transaction. */
int audit_append(struct store *, const char *event, const char *ref,
    const char *message_id, const char *detail, char **cause);

/* Check the chain; returns 0, or the id of the first broken entry. */
long long audit_verify(struct store *, char **cause);

/* Blank personal data in the payload of the entries that hold addr; the
 * chain stays verifiable. Inside the caller's transaction; the number of
 * entries changed, or -1. */
int audit_forget(struct store *, const char *addr, char **cause);

/* The id of the newest entry: it changes with every change of state. */
long long audit_last_id(struct store *);

/* SHA-256 of data as 64 lower-case hex digits into out[65]. */
void sha256_hex(const void *, size_t, char out[65]);

#endif
