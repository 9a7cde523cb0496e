/* Unit tests: the audit chain, plain and with an HMAC key; the length
 * prefixes; tampering, a wrong key, and a database from before both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "unit.h"
#include "util.h"

#define KEY	"0123456789abcdef-a-test-key"

static void
set_key(struct store *s, const char *key)
{
	free(s->audit_key);
	s->audit_key = key ? (unsigned char *)xstrdup(key) : NULL;
	s->audit_keylen = key ? strlen(key) : 0;
}

/* A new database with this audit key (or none). */
static struct store *
open_temp(char *path, size_t len, const char *key)
{
	struct store *s = unit_store_open(path, len);

	set_key(s, key);
	return s;
}

/* A few entries, the way pactd writes them. */
static void
fill(struct store *s, int n)
{
	char *cause = NULL, detail[64], mid[64];

	for (int i = 0; i < n; i++) {
		snprintf(detail, sizeof detail, "from anne@di.example.test: %d",
		    i);
		snprintf(mid, sizeof mid, "m%d@client.example.test", i);
		if (audit_append(s, "mail processed", i % 2 ? "PAGT-2026-0001" :
		    NULL, mid, detail, &cause) != 0)
			fail_msg("append: %s", cause);
	}
}

static long long
verify(struct store *s, struct audit_result *r)
{
	char *cause = NULL;
	long long bad = audit_verify(s, r, &cause);

	free(cause);
	return bad;
}

static void
exec(struct store *s, const char *sql)
{
	char *cause = NULL;

	if (store_exec(s, sql, &cause) != 0)
		fail_msg("%s: %s", sql, cause);
}

static void
test_hmac_chain(void **state)
{
	char path[4096];
	struct store *s = open_temp(path, sizeof path, KEY);
	struct audit_result r;

	fill(s, 5);
	assert_int_equal(verify(s, &r), 0);
	assert_true(r.hmac);
	assert_int_equal(r.entries, 5);
	assert_int_equal(r.unkeyed, 0);
	/* Without the key, the HMAC chain is not taken as a plain one. */
	set_key(s, NULL);
	assert_int_equal(verify(s, &r), 1);
	assert_false(r.hmac);
	/* Nor with a wrong one. */
	set_key(s, "fedcba9876543210-another-key");
	assert_int_equal(verify(s, &r), 1);
	set_key(s, KEY);
	assert_int_equal(verify(s, &r), 0);
	unit_store_close(s, path);
}

static void
test_hmac_differs_from_sha256(void **state)
{
	struct audit_key k = { (const unsigned char *)KEY, strlen(KEY) };
	char a[65], b[65], c[65];

	audit_entry_hash(&k, AUDIT_HMAC, 1, 2, "e", "r", "p", "0", a);
	audit_entry_hash(NULL, AUDIT_SHA256, 1, 2, "e", "r", "p", "0", b);
	audit_entry_hash(&k, AUDIT_SHA256, 1, 2, "e", "r", "p", "0", c);
	assert_string_not_equal(a, b);
	assert_string_equal(b, c);	/* the key is for HMAC only */
	/* A NULL reference is not an empty one. */
	audit_entry_hash(NULL, AUDIT_SHA256, 1, 2, "e", "", "p", "0", c);
	assert_string_not_equal(b, c);
}

/* A Message-ID with the old separator cannot stand for a shifted field. */
static void
test_length_prefix(void **state)
{
	char a[65], b[65];

	audit_payload_hash(NULL, AUDIT_SEPARATED, "x\037y", "z", a);
	audit_payload_hash(NULL, AUDIT_SEPARATED, "x", "y\037z", b);
	assert_string_equal(a, b);	/* the old scheme's weakness */
	audit_payload_hash(NULL, AUDIT_SHA256, "x\037y", "z", a);
	audit_payload_hash(NULL, AUDIT_SHA256, "x", "y\037z", b);
	assert_string_not_equal(a, b);
	audit_payload_hash(NULL, AUDIT_SHA256, "1:x", "z", a);
	audit_payload_hash(NULL, AUDIT_SHA256, "", "1:x1:z", b);
	assert_string_not_equal(a, b);
	audit_entry_hash(NULL, AUDIT_SHA256, 1, 2, "ev\037r", "f", "p", "0",
	    a);
	audit_entry_hash(NULL, AUDIT_SHA256, 1, 2, "ev", "r\037f", "p", "0",
	    b);
	assert_string_not_equal(a, b);
	audit_entry_hash(NULL, AUDIT_SEPARATED, 1, 2, "ev\037r", "f", "p",
	    "0", a);
	audit_entry_hash(NULL, AUDIT_SEPARATED, 1, 2, "ev", "r\037f", "p",
	    "0", b);
	assert_string_equal(a, b);
}

static void
test_tampered_entry_found(void **state)
{
	char path[4096];
	struct store *s = open_temp(path, sizeof path, KEY);
	struct audit_result r;

	fill(s, 6);
	exec(s, "UPDATE log SET detail = 'x' WHERE id = 4");
	assert_int_equal(verify(s, &r), 4);
	exec(s, "UPDATE log SET detail = 'from anne@di.example.test: 3' "
	    "WHERE id = 4");
	assert_int_equal(verify(s, &r), 0);
	exec(s, "UPDATE log SET event = 'vote counted' WHERE id = 5");
	assert_int_equal(verify(s, &r), 5);
	exec(s, "UPDATE log SET event = 'mail processed' WHERE id = 5");
	/* An HMAC entry turned into a plain one. */
	exec(s, "UPDATE log SET scheme = 2 WHERE id = 3");
	assert_int_equal(verify(s, &r), 3);
	unit_store_close(s, path);
}

/* A database from before: the old separated scheme, as migration 4
 * leaves its rows, then entries of the new scheme after it. */
static void
test_old_plain_chain_still_ok(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path, NULL);
	struct audit_result r;
	char prev[65] = "0", payload[65], hash[65];
	sqlite3_stmt *st;

	for (int id = 1; id <= 3; id++) {
		audit_payload_hash(NULL, AUDIT_SEPARATED, "m@x", "old",
		    payload);
		audit_entry_hash(NULL, AUDIT_SEPARATED, id, 1000 + id, "old",
		    NULL, payload, prev, hash);
		st = store_prepare(s, "INSERT INTO log(id, at, event, "
		    "message_id, detail, payload, prev, hash) VALUES(?1, ?2, "
		    "'old', 'm@x', 'old', ?3, ?4, ?5)");
		sqlite3_bind_int(st, 1, id);
		sqlite3_bind_int(st, 2, 1000 + id);
		sqlite3_bind_text(st, 3, payload, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
		assert_int_equal(store_exec_stmt(s, st, &cause), 0);
		memcpy(prev, hash, sizeof prev);
	}
	fill(s, 2);
	assert_int_equal(verify(s, &r), 0);
	assert_false(r.hmac);
	assert_int_equal(r.entries, 5);
	/* A key now: the chain is not sealed until pactd starts with it. */
	set_key(s, KEY);
	assert_int_equal(verify(s, &r), 5);
	assert_int_equal(audit_open(s, &cause), 1);
	assert_int_equal(verify(s, &r), 0);
	assert_int_equal(r.unkeyed, 5);
	assert_int_equal(r.entries, 6);
	/* An entry before the key, changed: found even so. */
	exec(s, "UPDATE log SET detail = 'new' WHERE id = 2");
	assert_int_equal(verify(s, &r), 2);
	/* And the key cannot be dropped again. */
	set_key(s, NULL);
	assert_int_equal(audit_open(s, &cause), -1);
	free(cause);
	unit_store_close(s, path);
}

/* Forget blanks data, and the chain still verifies with the key. */
static void
test_forget_keeps_hmac_chain(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path, KEY);
	struct audit_result r;
	struct strv who = { 0 };

	fill(s, 4);
	strv_add(&who, "Anne@DI.example.test");
	assert_int_equal(audit_forget(s, &who, &cause), 4);
	strv_free(&who);
	assert_int_equal(verify(s, &r), 0);
	assert_int_equal(r.entries, 5);
	exec(s, "UPDATE log SET detail = 'x' WHERE id = 2");
	assert_int_equal(verify(s, &r), 2);
	unit_store_close(s, path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_chain),
		cmocka_unit_test(test_hmac_differs_from_sha256),
		cmocka_unit_test(test_length_prefix),
		cmocka_unit_test(test_tampered_entry_found),
		cmocka_unit_test(test_old_plain_chain_still_ok),
		cmocka_unit_test(test_forget_keeps_hmac_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
