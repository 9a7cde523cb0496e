/* Results since the last meeting: the window (the previous meeting that
 * was not cancelled, or the pact's beginning, up to the meeting or now),
 * what falls in it, and the short line for the calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "results.h"
#include "util.h"

static struct party parties[] = {
	{ .id = "EM", .name = "Erhvervsministeriet" },
	{ .id = "DI", .name = "DI – Dansk Industri" },
};

static struct config conf = {
	.roster = { .parties = parties, .nparties = 2 },
};

static void
exec(struct store *s, const char *sql)
{
	char *cause = NULL;

	if (store_exec(s, sql, &cause) != 0)
		fail_msg("%s: %s", sql, cause);
}

static struct store *
pact_record(void)
{
	char *cause = NULL;
	struct store *s = store_open(":memory:", 0, &cause);

	if (s == NULL)
		fail_msg("store_open: %s", cause);
	/* M1 at 1000, a cancelled meeting at 1500, M2 at 3000 */
	exec(s, "INSERT INTO meetings(ref, uid, start, end, location, state, "
	    "created) VALUES ('M1', 'u1', 1000, 1100, 'x', 'scheduled', 0), "
	    "('MC', 'uc', 1500, 1600, 'x', 'cancelled', 0), "
	    "('M2', 'u2', 3000, 3100, 'x', 'scheduled', 0)");
	/* EM: v1 before M1, v2 and v3 after; DI: v1 and v2 after */
	exec(s, "INSERT INTO declarations(ref, party, version, motivation, "
	    "objectives, submitted) VALUES ('D1', 'EM', 1, 'm', 'o', 500), "
	    "('D2', 'EM', 2, 'm', 'o', 1200), ('D3', 'EM', 3, 'm', 'o', 1600), "
	    "('D4', 'DI', 1, 'm', 'o', 1300), ('D5', 'DI', 2, 'm', 'o', 1400)");
	/* one member still active, one that has left */
	exec(s, "INSERT INTO associates(ref, organisation, type, cvr, "
	    "nominated_by, approved, state) VALUES ('A1', 'Aktiv ApS', "
	    "'company', '1', 'DI', 1100, 'active'), ('A2', 'Udmeldt ApS', "
	    "'company', '2', 'DI', 1150, 'withdrawn')");
	/* a party's, the leaver's, and one after now (2000) */
	exec(s, "INSERT INTO initiatives(ref, title, description, purposes, "
	    "by_party, by_associate, by_name, submitted) VALUES "
	    "('I1', 'Tjek', 'd', '1', 'EM', NULL, 'Erhvervsministeriet', 1200), "
	    "('I2', 'Gammelt', 'd', '2', NULL, 'A2', 'Udmeldt ApS', 1250), "
	    "('I3', 'Senere', 'd', '3', 'EM', NULL, 'Erhvervsministeriet', "
	    "2500)");
	/* just before M1 began, and as it began */
	exec(s, "INSERT INTO statuses(ref, year, deadline, submitted) VALUES "
	    "('S1', 2025, 0, 999), ('S2', 2026, 0, 1000)");
	return s;
}

static void
test_since_the_previous_meeting(void **state)
{
	struct store *s = pact_record();
	struct results r;

	(void)state;
	results_gather(s, &conf, "M2", 3000, 2000, &r);
	assert_string_equal(r.previous, "M1");	/* not the cancelled one */
	assert_int_equal(r.since, 1000);
	assert_int_equal(r.until, 2000);
	assert_int_equal(r.associates.n, 1);
	assert_string_equal(r.associates.v[0].ref, "A1");
	assert_string_equal(r.associates.v[0].name, "Aktiv ApS");
	assert_int_equal(r.initiatives.n, 1);
	assert_string_equal(r.initiatives.v[0].ref, "I1");
	assert_string_equal(r.initiatives.v[0].by, "Erhvervsministeriet");
	/* each party once, at its last version: EM changed, DI new */
	assert_int_equal(r.declarations.n, 2);
	assert_string_equal(r.declarations.v[0].ref, "D3");
	assert_string_equal(r.declarations.v[0].name, "Erhvervsministeriet");
	assert_string_equal(r.declarations.v[0].by, "EM");
	assert_true(r.declarations.v[0].version > 1);
	assert_string_equal(r.declarations.v[1].ref, "D5");
	assert_string_equal(r.declarations.v[1].name, "DI – Dansk Industri");
	assert_int_equal(r.declarations.v[1].version, 1);
	assert_int_equal(r.statuses.n, 1);
	assert_string_equal(r.statuses.v[0].ref, "S2");
	assert_int_equal(results_count(&r), 5);
	results_free(&r);
	/* at the meeting, what came later than now is in too */
	results_gather(s, &conf, "M2", 3000, 5000, &r);
	assert_int_equal(r.until, 3000);
	assert_int_equal(r.initiatives.n, 2);
	results_free(&r);
	store_close(s);
}

static void
test_first_meeting_since_the_beginning(void **state)
{
	struct store *s = pact_record();
	struct results r;
	char *line;

	(void)state;
	results_gather(s, &conf, "M1", 1000, 900, &r);
	assert_null(r.previous);
	assert_int_equal(r.since, 0);
	assert_int_equal(results_count(&r), 1);
	assert_string_equal(r.declarations.v[0].ref, "D1");
	assert_int_equal(r.declarations.v[0].version, 1);
	line = results_line(&r, "da");
	assert_string_equal(line, "Siden pagten begyndte: 1 erklæring.");
	free(line);
	results_free(&r);
	store_close(s);
}

static void
test_nothing_new(void **state)
{
	struct store *s = pact_record();
	struct results r;
	char *line;

	(void)state;
	/* M2 called while M1 is still ahead: nothing since M1 began */
	results_gather(s, &conf, "M2", 3000, 900, &r);
	assert_string_equal(r.previous, "M1");
	assert_int_equal(results_count(&r), 0);
	line = results_line(&r, "da");
	assert_string_equal(line, "Siden sidste møde: intet nyt.");
	free(line);
	line = results_line(&r, "en");
	assert_string_equal(line, "Since the last meeting: nothing new.");
	free(line);
	results_free(&r);
	store_close(s);
}

static void
test_many_are_counted(void **state)
{
	struct store *s = pact_record();
	struct results r;
	char sql[256], *line;

	(void)state;
	for (int i = 0; i < RESULTS_MAX + 10; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO initiatives(ref, title, "
		    "description, purposes, by_name, submitted) VALUES "
		    "('N%d', 't', 'd', '1', 'x', %d)", i, 1700 + i);
		exec(s, sql);
	}
	results_gather(s, &conf, "M2", 3000, 2000, &r);
	assert_int_equal(r.initiatives.n, RESULTS_MAX);
	assert_int_equal(r.initiatives.more, 11);
	assert_string_equal(r.initiatives.v[0].ref, "I1");
	line = results_line(&r, "en");
	assert_string_equal(line, "Since the last meeting: 1 new associate, "
	    "61 initiatives, 2 declarations, 1 annual status.");
	free(line);
	results_free(&r);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since_the_previous_meeting),
		cmocka_unit_test(test_first_meeting_since_the_beginning),
		cmocka_unit_test(test_nothing_new),
		cmocka_unit_test(test_many_are_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
