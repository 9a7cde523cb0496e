/* Unit tests: CVR numbers, dates and times, links, purposes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "validate.h"

static void
test_cvr(void **state)
{
	char out[9];

	/* 2*1+7*2+6*3+5*4+4*5+3*6+2*7+1*X: pick real-format numbers. */
	assert_true(cvr_valid("10150817", out));	/* a known valid CVR */
	assert_string_equal(out, "10150817");
	assert_true(cvr_valid("1015 0817", out));
	assert_true(cvr_valid(" 10 15 08 17 ", out));
	assert_false(cvr_valid("10150818", out));	/* check fails */
	assert_false(cvr_valid("1015081", out));	/* 7 digits */
	assert_false(cvr_valid("101508170", out));	/* 9 digits */
	assert_false(cvr_valid("1015O817", out));	/* letter O */
	assert_false(cvr_valid("", out));
	assert_false(cvr_valid("00000000", out));
}

static void
test_dates(void **state)
{
	int y, m, d;

	assert_int_equal(date_parse("2026-11-28", &y, &m, &d), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 11);
	assert_int_equal(d, 28);
	assert_int_equal(date_parse("3.2.2026", &y, &m, &d), 0);
	assert_int_equal(m, 2);
	assert_int_equal(d, 3);
	assert_int_equal(date_parse("29.2.2028", &y, &m, &d), 0);
	assert_int_equal(date_parse("29.2.2027", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-13-01", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-11-31", &y, &m, &d), -1);
	assert_int_equal(date_parse("i går", &y, &m, &d), -1);
	assert_int_equal(date_parse("2026-11-28 og mere", &y, &m, &d), -1);
}

static void
test_datetime(void **state)
{
	time_t t;

	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	/* Summer: UTC+2. */
	assert_int_equal(datetime_parse_local("2027-06-10 10:00", &t), 0);
	assert_int_equal(t, 1812585600 + 8 * 3600);
	/* Winter: UTC+1, Danish form. */
	assert_int_equal(datetime_parse_local("14.1.2027 kl. 10.00", &t), 0);
	assert_int_equal(t, 1799884800 + 9 * 3600);
	assert_int_equal(datetime_parse_local("14.1.2027 10:00", &t), 0);
	assert_int_equal(datetime_parse_local("2027-01-14 25:00", &t), -1);
	assert_int_equal(datetime_parse_local("2027-01-14", &t), -1);
	assert_int_equal(datetime_parse_local("snart", &t), -1);
}

static void
test_url_purposes(void **state)
{
	char buf[16];

	assert_true(url_valid("https://example.test/x?y=1"));
	assert_true(url_valid("http://example.test"));
	assert_false(url_valid("ftp://example.test"));
	assert_false(url_valid("https://"));
	assert_false(url_valid("https://exa mple.test"));
	assert_int_equal(purposes_parse("1, 3"), 5);
	assert_int_equal(purposes_parse("1 og 2"), 3);
	assert_int_equal(purposes_parse("2 and 3."), 6);
	assert_int_equal(purposes_parse("- 1\n- 3"), 5);
	assert_int_equal(purposes_parse("\xe2\x80\xa2 2"), 2);
	assert_int_equal(purposes_parse("4"), -1);
	assert_int_equal(purposes_parse("12"), -1);
	assert_int_equal(purposes_parse("alle"), -1);
	assert_int_equal(purposes_parse(""), -1);
	purposes_format(5, buf, sizeof buf);
	assert_string_equal(buf, "1,3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvr),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_url_purposes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
