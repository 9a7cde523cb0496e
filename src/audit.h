/* The audit log: append-only, each entry holding the hash of the one
 * before, so that an edit shows. */
#ifndef PACTD_AUDIT_H
#define PACTD_AUDIT_H

#include <stddef.h>

#include "store.h"
#include "util.h"

/* Append inside the caller's transaction. */
int audit_append(struct store *, const char *event, const char *ref,
    const char *message_id, const char *detail, char **cause);

/* How each entry is hashed, kept in its row. */
enum audit_scheme {
	AUDIT_SEPARATED = 1,	/* SHA-256 of fields joined by \037: old */
	AUDIT_SHA256 = 2,	/* SHA-256 of length-prefixed fields */
	AUDIT_HMAC = 3		/* HMAC-SHA256 of the same */
};

struct audit_key {
	const unsigned char *key;
	size_t len;
};

struct audit_result {
	int hmac;		/* checked with the key */
	long long entries;
	long long unkeyed;	/* written before the key, sealed by it */
};

/* Check the chain with the store's key (store->audit_key) when there is
 * one; returns 0, the id of the first broken entry with *cause, or -1
 * with *cause when the store failed. */
long long audit_verify(struct store *, struct audit_result *, char **cause);
/* The same as if no key were configured. */
long long audit_verify_unkeyed(struct store *, struct audit_result *,
    char **cause);

/* Before the first append: refuse a chain sealed with a key when none is
 * configured; with a key, seal a chain written without it by an entry
 * (after checking it). 1 when it sealed, 0, or -1 with *cause. */
int audit_open(struct store *, char **cause);

/* The digests of a payload (Message-ID and detail) and of an entry; k is
 * used by AUDIT_HMAC only. */
void audit_payload_hash(const struct audit_key *k, int scheme,
    const char *mid, const char *detail, char out[65]);
void audit_entry_hash(const struct audit_key *k, int scheme, long long id,
    long long at, const char *event, const char *ref, const char *payload,
    const char *prev, char out[65]);

/* Blank personal data (the address and names in needles, as whole words,
 * case and line breaks aside) in the payload of the entries that hold it;
 * the chain stays verifiable. Inside the caller's transaction; the number
 * of entries changed, or -1. */
int audit_forget(struct store *, const struct strv *needles, char **cause);

/* The id of the newest entry: it changes with every change of state. -1
 * when the store failed (logged). */
long long audit_last_id(struct store *);

/* SHA-256 of data as 64 lower-case hex digits into out[65]. */
void sha256_hex(const void *, size_t, char out[65]);

#endif
