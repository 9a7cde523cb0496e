/* The store's kept statements: one prepared statement a SQL text, handed
 * out once at a time, reset with its bindings cleared when given back,
 * and a fresh one (finalized when given back) while the kept one is in
 * use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "unit.h"
#include "util.h"

static void
test_kept_and_reset(void **state)
{
	char path[4096], *v;
	struct store *s = unit_store_open(path, sizeof path);
	sqlite3_stmt *a, *b;

	(void)state;
	a = store_prepare(s, "SELECT ?1 + 1");
	sqlite3_bind_int(a, 1, 41);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	assert_int_equal(store_done(a), SQLITE_OK);
	/* The same text again: the same statement, reset, no binding left. */
	b = store_prepare(s, "SELECT ?1 + 1");
	assert_ptr_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
	store_done(b);
	/* A text built at run time with the same words is the same text. */
	v = xasprintf("SELECT ?%d + 1", 1);
	b = store_prepare(s, v);
	assert_ptr_equal(a, b);
	store_done(b);
	free(v);
	unit_store_close(s, path);
}

static void
test_in_use_gets_a_fresh_one(void **state)
{
	char path[4096];
	struct store *s = unit_store_open(path, sizeof path);
	sqlite3_stmt *outer, *inner, *again;
	char *cause = NULL;
	int rows = 0;

	(void)state;
	assert_int_equal(store_exec(s, "CREATE TABLE t(x); INSERT INTO t "
	    "VALUES (1), (2), (3)", &cause), 0);
	outer = store_prepare(s, "SELECT x FROM t ORDER BY x");
	while (sqlite3_step(outer) == SQLITE_ROW) {
		/* The same query while the first is stepping: its own rows. */
		inner = store_prepare(s, "SELECT x FROM t ORDER BY x");
		assert_ptr_not_equal(inner, outer);
		assert_int_equal(sqlite3_step(inner), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(inner, 0), 1);
		store_done(inner);	/* finalized: LeakSanitizer would tell */
		rows++;
	}
	assert_int_equal(rows, 3);
	store_done(outer);
	again = store_prepare(s, "SELECT x FROM t ORDER BY x");
	assert_ptr_equal(again, outer);
	store_done(again);
	unit_store_close(s, path);
}

static void
test_error_of_the_last_step(void **state)
{
	char path[4096];
	struct store *s = unit_store_open(path, sizeof path);
	sqlite3_stmt *st;
	char *cause = NULL;

	(void)state;
	assert_int_equal(store_exec(s, "CREATE TABLE u(x UNIQUE); INSERT "
	    "INTO u VALUES (1)", &cause), 0);
	st = store_prepare(s, "INSERT INTO u VALUES (?)");
	sqlite3_bind_int(st, 1, 1);
	assert_int_not_equal(sqlite3_step(st), SQLITE_DONE);
	/* As sqlite3_finalize would: callers test it. */
	assert_int_not_equal(store_done(st), SQLITE_OK);
	st = store_prepare(s, "INSERT INTO u VALUES (?)");
	sqlite3_bind_int(st, 1, 2);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(store_done(st), SQLITE_OK);
	unit_store_close(s, path);
}

static void
test_two_stores(void **state)
{
	char p1[4096], p2[4096];
	struct store *s1 = unit_store_open(p1, sizeof p1);
	struct store *s2 = unit_store_open(p2, sizeof p2);
	sqlite3_stmt *a, *b;

	(void)state;
	a = store_prepare(s1, "SELECT 7");
	b = store_prepare(s2, "SELECT 7");
	assert_ptr_not_equal(a, b);
	store_done(a);
	store_done(b);
	assert_ptr_equal(store_prepare(s2, "SELECT 7"), b);
	store_done(b);
	unit_store_close(s1, p1);
	/* s2's statements stay kept after s1 is closed. */
	assert_ptr_equal(store_prepare(s2, "SELECT 7"), b);
	store_done(b);
	unit_store_close(s2, p2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_and_reset),
		cmocka_unit_test(test_in_use_gets_a_fresh_one),
		cmocka_unit_test(test_error_of_the_last_step),
		cmocka_unit_test(test_two_stores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
