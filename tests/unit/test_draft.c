/* The drafted annual status's pure parts: draft_date, the year a draft
 * covers, purposes, and the indented status text that the secretariat
 * sends back as ÅRSSTATUS, read back by the same parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "body.h"
#include "draft.h"
#include "template.h"
#include "util.h"

static void
test_date(void **state)
{
	int m = 0, d = 0;

	assert_int_equal(draft_date_parse("01-15", &m, &d), 0);
	assert_int_equal(m, 1);
	assert_int_equal(d, 15);
	assert_int_equal(draft_date_parse("12-31", &m, &d), 0);
	assert_int_equal(draft_date_parse("02-29", &m, &d), 0);	/* leap */
	assert_int_equal(draft_date_parse("02-30", &m, &d), -1);
	assert_int_equal(draft_date_parse("13-01", &m, &d), -1);
	assert_int_equal(draft_date_parse("00-10", &m, &d), -1);
	assert_int_equal(draft_date_parse("04-31", &m, &d), -1);
	assert_int_equal(draft_date_parse("1-15", &m, &d), -1);
	assert_int_equal(draft_date_parse("01-15x", &m, &d), -1);
	assert_int_equal(draft_date_parse("01/15", &m, &d), -1);
	assert_int_equal(draft_date_parse("2027-01-15", &m, &d), -1);
	assert_int_equal(draft_date_parse("", &m, &d), -1);
	assert_int_equal(draft_date_parse(NULL, &m, &d), -1);
	assert_int_equal(draft_date_parse("+1-15", &m, &d), -1);
	assert_int_equal(draft_date_parse(" 1-15", &m, &d), -1);
}

static void
test_covered_year(void **state)
{
	assert_int_equal(draft_covered_year(2027, 1), 2026);
	assert_int_equal(draft_covered_year(2027, 6), 2026);
	assert_int_equal(draft_covered_year(2027, 7), 2027);
	assert_int_equal(draft_covered_year(2027, 12), 2027);
}

static void
test_purposes(void **state)
{
	assert_int_equal(draft_purposes("1,3"), 5);
	assert_int_equal(draft_purposes("2"), 2);
	assert_int_equal(draft_purposes("1, 2, 3"), 7);
	assert_int_equal(draft_purposes("4,0,9"), 0);
	assert_int_equal(draft_purposes(""), 0);
	assert_int_equal(draft_purposes(NULL), 0);
}

static void
test_indent(void **state)
{
	char *s = draft_indent("a\n\nb\n", 2);

	assert_string_equal(s, "  a\n\n  b\n");
	free(s);
	s = draft_indent("x", 3);
	assert_string_equal(s, "   x");
	free(s);
	s = draft_indent("", 2);
	assert_string_equal(s, "");
	free(s);
}

/* A status text whose lines look like fields, bullets, quotes and
 * signatures comes back whole from "År:" and the indented "Status:". */
static void
test_round_trip(void **state)
{
	static const char text[] =
	    "Pagten: status for 2026\n"
	    "\n"
	    "Formål 1, sammenhæng og synergi mellem eksisterende og nye "
	    "SMV-rettede indsatser, som parterne har sat i gang i løbet af "
	    "året:\n"
	    "- Titel: Sikkerhedstjek (DI, med IDA)\n"
	    "Frist: ingen\n"
	    "Status: godkendt\n"
	    "\n"
	    "6. Høringen\n"
	    "- Carl Berg: Vi savner tal.\n";
	char *wrapped = template_wrap(text, DRAFT_WIDTH);
	char *indented = draft_indent(wrapped, DRAFT_INDENT);
	char *mail = xasprintf("Hej\n\nÅr: 2026\nStatus:\n%s\n\nVenlig "
	    "hilsen\nSekretariatet\n", indented);
	struct fields fs;
	char *want;

	body_fields(mail, &fs);
	assert_string_equal(fs.f[F_YEAR].value, "2026");
	assert_null(fs.f[F_DEADLINE].value);
	assert_null(fs.f[F_TITLE].value);
	assert_int_equal(fs.unknown.n, 0);
	/* The parser keeps the lines without their indentation. */
	want = xstrdup(wrapped);
	while (strlen(want) > 0 && want[strlen(want) - 1] == '\n')
		want[strlen(want) - 1] = '\0';
	assert_string_equal(fs.f[F_STATUS].value, want);
	for (char *l = indented; *l != '\0'; l = strchr(l, '\n') + 1) {
		size_t n = strcspn(l, "\n");

		assert_true(n <= DRAFT_WIDTH + DRAFT_INDENT);
		if (l[n] == '\0')
			break;
	}
	fields_free(&fs);
	free(want);
	free(mail);
	free(indented);
	free(wrapped);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_covered_year),
		cmocka_unit_test(test_purposes),
		cmocka_unit_test(test_indent),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
