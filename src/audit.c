/*
 * The audit log. An entry's hash covers its fields and the previous
 * entry's hash, so changing, removing or reordering an entry breaks the
 * chain from there on; verify names the first entry that does not match.
 */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "util.h"

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The text the hash covers; fields separated by a byte none contains. */
static void
audit_hash(long long id, long long at, const char *event, const char *ref,
    const char *mid, const char *detail, const char *prev, char out[65])
{
	char *s = xasprintf("%lld\037%lld\037%s\037%s\037%s\037%s\037%s", id,
	    at, event, ref ? ref : "", mid ? mid : "", detail, prev);

	sha256_hex(s, strlen(s), out);
	free(s);
}

int
audit_append(struct store *s, const char *event, const char *ref,
    const char *mid, const char *detail, char **cause)
{
	sqlite3_stmt *st;
	char prev[65] = "0", hash[65];
	long long id = 1, at = clock_now();

	st = store_prepare(s, "SELECT id, hash FROM log ORDER BY id DESC "
	    "LIMIT 1");
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	audit_hash(id, at, event, ref, mid, detail, prev, hash);
	st = store_prepare(s, "INSERT INTO log(id, at, event, ref, "
	    "message_id, detail, prev, hash) VALUES(?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st, cause);
}

static const char *
coltext(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

long long
audit_verify(struct store *s, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, at, event, ref, "
	    "message_id, detail, prev, hash FROM log ORDER BY id");
	char prev[65] = "0", hash[65];
	long long want = 1, bad = 0;

	while (bad == 0 && sqlite3_step(st) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);

		audit_hash(id, sqlite3_column_int64(st, 1), coltext(st, 2),
		    coltext(st, 3), coltext(st, 4), coltext(st, 5), prev, hash);
		if (id != want || strcmp(coltext(st, 6), prev) != 0 ||
		    strcmp(coltext(st, 7), hash) != 0) {
			bad = id;
			*cause = xasprintf("entry %lld does not match the chain "
			    "(%s)", id, id != want ? "an entry is missing" :
			    strcmp(coltext(st, 6), prev) != 0 ?
			    "previous hash differs" : "its content was changed");
		}
		snprintf(prev, sizeof prev, "%s", coltext(st, 7));
		want = id + 1;
	}
	sqlite3_finalize(st);
	return bad;
}
