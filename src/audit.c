/*
 * The audit log. An entry's hash covers its id, time, event, reference,
 * the hash of its payload (Message-ID and detail) and the previous
 * entry's hash, so changing, removing or reordering an entry breaks the
 * chain from there on. The payload is hashed apart so that `pactctl
 * forget` can blank a person's data and leave the chain verifiable: a
 * blanked entry is marked forgotten, and a later entry of the chain lists
 * it with its new payload hash, so that marking an entry forgotten by
 * hand, or editing it after a forget, shows too.
 *
 * Fields are hashed length-prefixed, so that no value (a Message-ID with
 * the old separator in it) can move a field boundary. With a key
 * ([security] audit_key_file) the digests are HMAC-SHA256, so that whoever
 * can write the database but not read the key cannot recompute the chain.
 * Each row keeps its scheme: older databases keep verifying.
 */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "redact.h"
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

/* SHA-256, or HMAC-SHA256 under key: only the key's holder can compute
 * it, not whoever can write the database. */
static void
digest_hex(const struct audit_key *k, const void *data, size_t len,
    char out[65])
{
	unsigned char md[32];

	if (k == NULL) {
		sha256_hex(data, len, out);
		return;
	}
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->key, k->len, data, len,
	    md) != 0)
		fatalx("gnutls_hmac_fast failed");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof md);
}

/* One field as LENGTH:BYTES, NULL as "-": no value can end a field early,
 * whatever bytes it holds. */
static void
field_add(struct buf *b, const char *v)
{
	if (v == NULL) {
		buf_addc(b, '-');
		return;
	}
	buf_addf(b, "%zu:", strlen(v));
	buf_adds(b, v);
}

void
audit_payload_hash(const struct audit_key *k, int scheme, const char *mid,
    const char *detail, char out[65])
{
	struct buf b;

	buf_init(&b);
	if (scheme == AUDIT_SEPARATED)
		buf_addf(&b, "%s\037%s", mid ? mid : "", detail);
	else {
		buf_adds(&b, "pactd-payload\n");
		field_add(&b, mid);
		field_add(&b, detail);
	}
	digest_hex(scheme == AUDIT_HMAC ? k : NULL, b.s, b.len, out);
	buf_free(&b);
}

void
audit_entry_hash(const struct audit_key *k, int scheme, long long id,
    long long at, const char *event, const char *ref, const char *payload,
    const char *prev, char out[65])
{
	struct buf b;

	buf_init(&b);
	if (scheme == AUDIT_SEPARATED)
		buf_addf(&b, "%lld\037%lld\037%s\037%s\037%s\037%s", id, at,
		    event, ref ? ref : "", payload, prev);
	else {
		/* The scheme is hashed too, so that it cannot be swapped. */
		buf_addf(&b, "pactd-entry %d\n", scheme);
		buf_addf(&b, "%lld;%lld;", id, at);
		field_add(&b, event);
		field_add(&b, ref);
		field_add(&b, payload);
		field_add(&b, prev);
	}
	digest_hex(scheme == AUDIT_HMAC ? k : NULL, b.s, b.len, out);
	buf_free(&b);
}

/* The store's key, or NULL for the plain chain. */
static const struct audit_key *
store_key(struct store *s, struct audit_key *k)
{
	if (s->audit_key == NULL)
		return NULL;
	k->key = s->audit_key;
	k->len = s->audit_keylen;
	return k;
}

int
audit_append(struct store *s, const char *event, const char *ref,
    const char *mid, const char *detail, char **cause)
{
	sqlite3_stmt *st;
	char prev[65] = "0", hash[65], payload[65];
	long long id = 1, at = clock_now();
	struct audit_key kbuf;
	const struct audit_key *k = store_key(s, &kbuf);
	int scheme = k ? AUDIT_HMAC : AUDIT_SHA256, r;

	/* A failed read must not start a chain afresh. */
	st = store_prepare(s, "SELECT id, hash FROM log ORDER BY id DESC "
	    "LIMIT 1");
	if ((r = store_row(st, cause)) > 0) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	store_done(st);
	if (r < 0)
		return -1;
	audit_payload_hash(k, scheme, mid, detail, payload);
	audit_entry_hash(k, scheme, id, at, event, ref, payload, prev, hash);
	st = store_prepare(s, "INSERT INTO log(id, at, event, ref, "
	    "message_id, detail, payload, prev, hash, scheme) "
	    "VALUES(?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, scheme);
	return store_exec_stmt(s, st, cause);
}

static const char *
coltext(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* What "personal data forgotten" entries declare, newest first, as
 * " ID=HASH ID=HASH ": the payload hash each forgotten entry has since.
 * NULL with *cause when the store failed. */
static char *
audit_declared(struct store *s, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT detail FROM log WHERE "
	    "event = 'personal data forgotten' ORDER BY id DESC");
	struct buf b;
	int r;

	buf_init(&b);
	buf_addc(&b, ' ');
	while ((r = store_row(st, cause)) > 0) {
		const char *d = coltext(st, 0), *colon = strchr(d, ':');

		for (const char *p = colon ? colon + 1 : d; *p; p++)
			buf_addc(&b, *p == ',' ? ' ' : *p);
		buf_addc(&b, ' ');
	}
	store_done(st);
	if (r < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Where verification stands while it walks the chain. */
struct walk {
	const struct audit_key *key;
	const char *declared;
	char prev[65];
	long long want;
	int scheme;	/* of the entry before */
};

/* Why an entry's scheme is not acceptable here, or NULL. */
static const char *
scheme_check(const struct walk *w, int scheme)
{
	if (scheme < AUDIT_SEPARATED || scheme > AUDIT_HMAC)
		return "its hash scheme is unknown";
	if (scheme < w->scheme)
		return w->scheme == AUDIT_HMAC ? "it has no HMAC, though the "
		    "entries before it have" :
		    "its hash scheme is older than the entry before it";
	if (scheme == AUDIT_HMAC && w->key == NULL)
		return "it is sealed with an HMAC key; set [security] "
		    "audit_key_file to check it";
	return NULL;
}

/* Whether a forgotten entry's payload is the one a forget declared. */
static const char *
forgotten_check(const struct walk *w, long long id, const char *payload)
{
	char idw[32];
	const char *d;

	snprintf(idw, sizeof idw, " %lld=", id);
	if ((d = strstr(w->declared, idw)) == NULL)
		return "it is marked forgotten, but no forget entry says so";
	d += strlen(idw);
	return strncmp(d, payload, 64) == 0 ? NULL :
	    "its Message-ID or detail was changed after a forget";
}

/* Why one entry does not verify, or NULL. */
static const char *
entry_check(sqlite3_stmt *st, const struct walk *w)
{
	char hash[65], payload[65];
	long long id = sqlite3_column_int64(st, 0);
	int scheme = sqlite3_column_int(st, 10);
	const char *why;

	if (id != w->want)
		return "an entry before it is missing";
	if ((why = scheme_check(w, scheme)) != NULL)
		return why;
	if (strcmp(coltext(st, 7), w->prev) != 0)
		return "its link to the previous entry was changed";
	audit_entry_hash(w->key, scheme, id, sqlite3_column_int64(st, 1),
	    coltext(st, 2), sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
	    coltext(st, 3), coltext(st, 6), w->prev, hash);
	if (strcmp(coltext(st, 8), hash) != 0)
		return scheme == AUDIT_HMAC ? "its HMAC does not match: a "
		    "wrong key, or its time, event, reference or hash was "
		    "changed" :
		    "its time, event, reference or hash was changed";
	audit_payload_hash(w->key, scheme, sqlite3_column_type(st, 4) ==
	    SQLITE_NULL ? NULL : coltext(st, 4), coltext(st, 5), payload);
	if (sqlite3_column_int(st, 9))
		return forgotten_check(w, id, payload);
	if (strcmp(coltext(st, 6), payload) != 0)
		return "its Message-ID or detail was changed";
	return NULL;
}

long long
audit_verify(struct store *s, struct audit_result *r, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, at, event, ref, "
	    "message_id, detail, payload, prev, hash, forgotten, scheme FROM "
	    "log ORDER BY id");
	char *declared;
	struct audit_key kbuf;
	struct walk w = { store_key(s, &kbuf), NULL, "0", 1,
	    AUDIT_SEPARATED };
	long long bad = 0;
	const char *why;
	int row = 0;

	memset(r, 0, sizeof *r);
	r->hmac = w.key != NULL;
	if ((declared = audit_declared(s, cause)) == NULL) {
		store_done(st);
		return -1;
	}
	w.declared = declared;
	while (bad == 0 && (row = store_row(st, cause)) > 0) {
		if ((why = entry_check(st, &w)) != NULL) {
			bad = sqlite3_column_int64(st, 0);
			*cause = xasprintf("entry %lld: %s", bad, why);
		}
		snprintf(w.prev, sizeof w.prev, "%s", coltext(st, 8));
		w.want = sqlite3_column_int64(st, 0) + 1;
		w.scheme = sqlite3_column_int(st, 10);
		r->entries++;
		if (w.scheme != AUDIT_HMAC)
			r->unkeyed++;
	}
	store_done(st);
	free(declared);
	if (row < 0)
		return -1;
	/* With a key, entries from before it count only when an HMAC entry
	 * after them seals them: else the whole chain could be rewritten
	 * without one. */
	if (bad == 0 && w.key != NULL && r->entries > 0 &&
	    w.scheme != AUDIT_HMAC) {
		bad = w.want - 1;
		*cause = xasprintf("entry %lld: it has no HMAC: the chain was "
		    "written without the audit key, and no entry sealed with "
		    "it follows", bad);
	}
	return bad;
}

int
audit_open(struct store *s, char **cause)
{
	struct audit_result r;
	sqlite3_stmt *st;
	long long bad;
	int scheme = 0, row;

	st = store_prepare(s, "SELECT scheme FROM log ORDER BY id DESC "
	    "LIMIT 1");
	if ((row = store_row(st, cause)) > 0)
		scheme = sqlite3_column_int(st, 0);
	store_done(st);
	if (row < 0)
		return -1;
	if (s->audit_key == NULL && scheme == AUDIT_HMAC) {
		*cause = xasprintf("%s: the audit log is sealed with an HMAC "
		    "key, but [security] audit_key_file is not set", s->path);
		return -1;
	}
	if (s->audit_key == NULL || scheme == 0 || scheme == AUDIT_HMAC)
		return 0;
	/* Seal only what verifies: never vouch for a changed chain. */
	if ((bad = audit_verify_unkeyed(s, &r, cause)) < 0)
		return -1;
	if (bad != 0) {
		log_warnx("audit log: not sealed with the key: %s", *cause);
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (store_begin(s, cause) != 0)
		return -1;
	if (audit_append(s, "audit key in use", NULL, NULL, "the entries "
	    "before this one were written without the key; this one seals "
	    "them", cause) != 0 || store_commit(s, cause) != 0) {
		store_rollback(s);
		return -1;
	}
	return 1;
}

long long
audit_verify_unkeyed(struct store *s, struct audit_result *r, char **cause)
{
	unsigned char *key = s->audit_key;
	long long bad;

	s->audit_key = NULL;
	bad = audit_verify(s, r, cause);
	s->audit_key = key;
	return bad;
}

/* The entries whose payload may name a needle, found by its first word
 * (redact_string decides); -1 with *cause. */
static int
forget_candidates(struct store *s, const struct strv *needles,
    struct strv *ids, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id FROM log WHERE "
	    "instr(lower(detail), lower(?1)) OR instr(lower(message_id), "
	    "lower(?1)) ORDER BY id");
	char *first, id[32];
	int r = 0;

	for (size_t i = 0; r == 0 && i < needles->n; i++) {
		first = xstrndup(needles->v[i], strcspn(needles->v[i],
		    " \t\r\n"));
		sqlite3_bind_text(st, 1, first, -1, SQLITE_TRANSIENT);
		while ((r = store_row(st, cause)) > 0) {
			snprintf(id, sizeof id, "%lld",
			    (long long)sqlite3_column_int64(st, 0));
			if (!strv_contains_case(ids, id))
				strv_add(ids, id);
		}
		sqlite3_reset(st);
		free(first);
	}
	store_done(st);
	return r;
}

/* Blank one entry's payload where it names a needle; a Message-ID that
 * does goes whole. 1 when changed, with its new payload hash in ids. */
static int
forget_entry(struct store *s, const char *id, const struct strv *needles,
    struct buf *ids, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT message_id, detail, "
	    "scheme FROM log WHERE id = ?1");
	char *mid = NULL, *detail = NULL, *red = NULL, payload[65];
	struct audit_key kbuf;
	int n = 0, m = 0, scheme = 0, rc = 0;

	sqlite3_bind_int64(st, 1, strtoll(id, NULL, 10));
	if ((rc = store_row(st, cause)) > 0) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			mid = store_col(st, 0);
		detail = store_col(st, 1);
		scheme = sqlite3_column_int(st, 2);
	}
	store_done(st);
	if (rc < 0)
		return -1;
	rc = 0;
	if (detail != NULL) {
		red = redact_string(detail, needles, &n);
		if (mid != NULL)
			free(redact_string(mid, needles, &m));
	}
	if (n + m > 0) {
		st = store_prepare(s, "UPDATE log SET detail = ?2, "
		    "message_id = ?3, forgotten = 1 WHERE id = ?1");
		sqlite3_bind_int64(st, 1, strtoll(id, NULL, 10));
		sqlite3_bind_text(st, 2, red, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m ? FORGOTTEN : mid, -1,
		    SQLITE_STATIC);
		audit_payload_hash(store_key(s, &kbuf), scheme, m ? FORGOTTEN :
		    mid, red, payload);
		buf_addf(ids, "%s%s=%s", ids->len ? "," : "", id, payload);
		rc = store_exec_stmt(s, st, cause) != 0 ? -1 : 1;
	}
	free(red);
	free(detail);
	free(mid);
	return rc;
}

int
audit_forget(struct store *s, const struct strv *needles, char **cause)
{
	struct strv cand = { 0 };
	struct buf ids;
	int n = 0, rc = 0;

	buf_init(&ids);
	rc = forget_candidates(s, needles, &cand, cause);
	for (size_t i = 0; rc >= 0 && i < cand.n; i++)
		if ((rc = forget_entry(s, cand.v[i], needles, &ids, cause)) > 0)
			n++;
	if (rc >= 0 && n > 0) {
		char *detail = xasprintf("entries:%s", ids.s);

		rc = audit_append(s, "personal data forgotten", NULL, NULL,
		    detail, cause);
		free(detail);
	}
	buf_free(&ids);
	strv_free(&cand);
	return rc < 0 ? -1 : n;
}

long long
audit_last_id(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT max(id) FROM log WHERE event NOT IN "
	    "('mail sent', 'mail failed', 'reply suppressed')");
	long long id = 0;
	int r;

	if ((r = store_row(st, NULL)) > 0)
		id = sqlite3_column_int64(st, 0);
	store_done(st);
	return r < 0 ? -1 : id;
}
