/* The outbox's states: one name each, as pactctl outbox --json shows
 * them (SPEC section 6), and outbox_enter making only the moves there
 * are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "outbox.h"
#include "store.h"
#include "unit.h"
#include "util.h"

/* A mail in the given state, as the database stores it; its id. */
static long long
mail_in(struct store *s, const char *state)
{
	static int n;
	char *sql, *cause = NULL;

	sql = xasprintf("INSERT INTO outbox(message_id, rcpt, kind, subject, "
	    "data, next_try, created, state) VALUES('m%d@test', 'a@test', "
	    "'reply', 's', X'00', 0, 0, '%s')", ++n, state);
	if (store_exec(s, sql, &cause) != 0)
		fail_msg("%s", cause);
	free(sql);
	return sqlite3_last_insert_rowid(s->db);
}

/* The state the database holds for a mail. */
static char *
state_of(struct store *s, long long id)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT state FROM outbox WHERE "
	    "id = ?");
	char *v = NULL;

	sqlite3_bind_int64(st, 1, id);
	if (store_row(st, NULL) > 0)
		v = store_col(st, 0);
	store_done(st);
	return v;
}

static void
assert_state(struct store *s, long long id, const char *want)
{
	char *got = state_of(s, id);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_names(void **state)
{
	static const char *const spec[] = { "queued", "delivering", "sent",
	    "failed", "bounced" };

	(void)state;
	for (int i = OUTBOX_QUEUED; i <= OUTBOX_BOUNCED; i++) {
		assert_string_equal(outbox_strstate(i), spec[i]);
		assert_int_equal(outbox_parse_state(spec[i]), i);
	}
	/* What an older pactd left while sending had not been taken. */
	assert_int_equal(outbox_parse_state("sending"), OUTBOX_QUEUED);
	assert_int_equal(outbox_parse_state("Sent"), -1);
	assert_int_equal(outbox_parse_state(""), -1);
	assert_int_equal(outbox_parse_state(NULL), -1);
}

/* queued -> delivering -> queued (a 4xx after the dot) -> failed, and
 * nothing leaves failed. */
static void
test_moves(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = unit_store_open(path, sizeof path);
	long long id = mail_in(s, "queued");

	(void)state;
	assert_int_equal(outbox_enter(s, id, OUTBOX_DELIVERING, &cause), 1);
	assert_state(s, id, "delivering");
	assert_int_equal(outbox_enter(s, id, OUTBOX_QUEUED, &cause), 1);
	assert_state(s, id, "queued");
	assert_int_equal(outbox_enter(s, id, OUTBOX_FAILED, &cause), 1);
	assert_state(s, id, "failed");
	assert_int_equal(outbox_enter(s, id, OUTBOX_QUEUED, &cause), 0);
	assert_int_equal(outbox_enter(s, id, OUTBOX_BOUNCED, &cause), 0);
	assert_int_equal(outbox_enter(s, id, OUTBOX_SENT, &cause), 0);
	assert_state(s, id, "failed");
	assert_null(cause);
	unit_store_close(s, path);
}

/* Sent mail may bounce later, but a bounce is not undone by a send. */
static void
test_sent_then_bounced(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = unit_store_open(path, sizeof path);
	long long id = mail_in(s, "queued"), old = mail_in(s, "sending");

	(void)state;
	assert_int_equal(outbox_enter(s, id, OUTBOX_SENT, &cause), 1);
	assert_int_equal(outbox_enter(s, id, OUTBOX_DELIVERING, &cause), 0);
	assert_int_equal(outbox_enter(s, id, OUTBOX_BOUNCED, &cause), 1);
	assert_int_equal(outbox_enter(s, id, OUTBOX_SENT, &cause), 0);
	assert_state(s, id, "bounced");
	/* Staying where it is is no move. */
	assert_int_equal(outbox_enter(s, id, OUTBOX_BOUNCED, &cause), 0);
	/* A row an older pactd left 'sending' counts as queued. */
	assert_int_equal(outbox_enter(s, old, OUTBOX_DELIVERING, &cause), 1);
	assert_state(s, old, "delivering");
	/* No such mail: nothing moves, and it is no error. */
	assert_int_equal(outbox_enter(s, id + 100, OUTBOX_SENT, &cause), 0);
	assert_null(cause);
	unit_store_close(s, path);
}

/* The mail left delivering by a kill was taken: recovery counts it sent,
 * and leaves the rest alone. */
static void
test_recover(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = unit_store_open(path, sizeof path);
	long long d = mail_in(s, "delivering"), q = mail_in(s, "sending");
	long long f = mail_in(s, "failed");

	(void)state;
	assert_int_equal(outbox_recover(s, &cause), 0);
	assert_state(s, d, "sent");
	assert_state(s, q, "queued");
	assert_state(s, f, "failed");
	unit_store_close(s, path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_moves),
		cmocka_unit_test(test_sent_then_bounced),
		cmocka_unit_test(test_recover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
