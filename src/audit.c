/*
 * The audit log. An entry's hash covers its id, time, event, reference,
 * the hash of its payload (Message-ID and detail) and the previous
 * entry's hash, so changing, removing or reordering an entry breaks the
 * chain from there on. The payload is hashed apart so that `pactctl
 * forget` can blank a person's data and leave the chain verifiable: a
 * blanked entry is marked forgotten, and a later entry of the chain lists
 * it with its new payload hash, so that marking an entry forgotten by
 * hand, or editing it after a forget, shows too.
 */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "util.h"

#define FORGOTTEN	"[forgotten]"

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
payload_hash(const char *mid, const char *detail, char out[65])
{
	char *s = xasprintf("%s\037%s", mid ? mid : "", detail);

	sha256_hex(s, strlen(s), out);
	free(s);
}

/* The hash of an entry; fields separated by a byte none contains. */
static void
entry_hash(long long id, long long at, const char *event, const char *ref,
    const char *payload, const char *prev, char out[65])
{
	char *s = xasprintf("%lld\037%lld\037%s\037%s\037%s\037%s", id, at,
	    event, ref ? ref : "", payload, prev);

	sha256_hex(s, strlen(s), out);
	free(s);
}

int
audit_append(struct store *s, const char *event, const char *ref,
    const char *mid, const char *detail, char **cause)
{
	sqlite3_stmt *st;
	char prev[65] = "0", hash[65], payload[65];
	long long id = 1, at = clock_now();

	st = store_prepare(s, "SELECT id, hash FROM log ORDER BY id DESC "
	    "LIMIT 1");
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	store_done(st);
	payload_hash(mid, detail, payload);
	entry_hash(id, at, event, ref, payload, prev, hash);
	st = store_prepare(s, "INSERT INTO log(id, at, event, ref, "
	    "message_id, detail, payload, prev, hash) "
	    "VALUES(?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st, cause);
}

static const char *
coltext(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* What "personal data forgotten" entries declare, newest first, as
 * " ID=HASH ID=HASH ": the payload hash each forgotten entry has since. */
static char *
audit_declared(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT detail FROM log WHERE "
	    "event = 'personal data forgotten' ORDER BY id DESC");
	struct buf b;

	buf_init(&b);
	buf_addc(&b, ' ');
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = coltext(st, 0), *colon = strchr(d, ':');

		for (const char *p = colon ? colon + 1 : d; *p; p++)
			buf_addc(&b, *p == ',' ? ' ' : *p);
		buf_addc(&b, ' ');
	}
	store_done(st);
	return buf_steal(&b);
}

/* Why one entry does not verify, or NULL. */
static const char *
entry_check(sqlite3_stmt *st, long long want, const char *prev,
    const char *declared)
{
	char hash[65], payload[65], idw[32];
	long long id = sqlite3_column_int64(st, 0);

	if (id != want)
		return "an entry before it is missing";
	if (strcmp(coltext(st, 7), prev) != 0)
		return "its link to the previous entry was changed";
	entry_hash(id, sqlite3_column_int64(st, 1), coltext(st, 2),
	    sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : coltext(st, 3),
	    coltext(st, 6), prev, hash);
	if (strcmp(coltext(st, 8), hash) != 0)
		return "its time, event, reference or hash was changed";
	payload_hash(sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL :
	    coltext(st, 4), coltext(st, 5), payload);
	if (sqlite3_column_int(st, 9)) {
		const char *d;

		snprintf(idw, sizeof idw, " %lld=", id);
		if ((d = strstr(declared, idw)) == NULL)
			return "it is marked forgotten, but no forget entry "
			    "says so";
		d += strlen(idw);
		return strncmp(d, payload, 64) == 0 ? NULL :
		    "its Message-ID or detail was changed after a forget";
	}
	if (strcmp(coltext(st, 6), payload) != 0)
		return "its Message-ID or detail was changed";
	return NULL;
}

long long
audit_verify(struct store *s, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, at, event, ref, "
	    "message_id, detail, payload, prev, hash, forgotten FROM log "
	    "ORDER BY id");
	char prev[65] = "0", *declared = audit_declared(s);
	long long want = 1, bad = 0;
	const char *why;

	while (bad == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if ((why = entry_check(st, want, prev, declared)) != NULL) {
			bad = sqlite3_column_int64(st, 0);
			*cause = xasprintf("entry %lld: %s", bad, why);
		}
		snprintf(prev, sizeof prev, "%s", coltext(st, 8));
		want = sqlite3_column_int64(st, 0) + 1;
	}
	store_done(st);
	free(declared);
	return bad;
}

int
audit_forget(struct store *s, const char *addr, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE log SET detail = "
	    "replace(detail, ?1, '" FORGOTTEN "'), message_id = "
	    "CASE WHEN instr(lower(message_id), lower(?1)) THEN '" FORGOTTEN
	    "' ELSE message_id END, forgotten = 1 WHERE instr(lower(detail), "
	    "lower(?1)) OR instr(lower(message_id), lower(?1)) RETURNING id, "
	    "message_id, detail");
	struct buf ids;
	char payload[65];
	int n = 0;

	buf_init(&ids);
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		payload_hash(sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL :
		    coltext(st, 1), coltext(st, 2), payload);
		buf_addf(&ids, "%s%lld=%s", n++ ? "," : "",
		    (long long)sqlite3_column_int64(st, 0), payload);
	}
	if (store_done(st) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", s->path, sqlite3_errmsg(s->db));
		buf_free(&ids);
		return -1;
	}
	if (n > 0) {
		char *detail = xasprintf("entries:%s", ids.s);
		int rc = audit_append(s, "personal data forgotten", NULL, NULL,
		    detail, cause);

		free(detail);
		if (rc != 0)
			n = -1;
	}
	buf_free(&ids);
	return n;
}

long long
audit_last_id(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT max(id) FROM log WHERE event NOT IN "
	    "('mail sent', 'mail failed', 'reply suppressed')");
	long long id = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	store_done(st);
	return id;
}
