/* pactctl's tables: display width, one line a cell, whole characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

static void
cell_is(const char *in, size_t max, const char *want, size_t wantw)
{
	size_t w;
	char *got = table_cell(in, max, &w);

	assert_string_equal(got, want);
	assert_int_equal(w, wantw);
	free(got);
}

static void
test_width_is_columns_not_bytes(void **state)
{
	cell_is("Ærø Søværn", 0, "Ærø Søværn", 10);
	cell_is("日本", 0, "日本", 4);
	cell_is("e\xcc\x81", 0, "e\xcc\x81", 1);	/* e + combining acute */
}

static void
test_one_line(void **state)
{
	cell_is("two\nlines\r\n", 0, "two lines  ", 11);
	cell_is("tab\there", 0, "tab here", 8);
	cell_is("esc\x1b[31m", 0, "esc [31m", 8);
}

static void
test_cut_between_characters(void **state)
{
	cell_is("Østergård", 5, "Øste…", 5);
	cell_is("æææææ", 3, "ææ…", 3);
	cell_is("日本語", 4, "日…", 3);
	cell_is("abc", 3, "abc", 3);
	cell_is("abcd", 1, "…", 1);
}

static void
test_bad_utf8(void **state)
{
	cell_is("a\xff" "b", 0, "a\xef\xbf\xbd" "b", 3);
	cell_is("\xc3", 0, "\xef\xbf\xbd", 1);		/* cut mid-character */
}

static void
test_columns_line_up(void **state)
{
	static const char *const head[] = { "ID", "NAME", "NOTE" };
	static const char *const r1[] = { "DI", "DI – Dansk Industri", "x" };
	static const char *const r2[] = { "SØ", "Søværnet\nline 2", NULL };
	struct table *t = table_new(head, 3);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	table_add(t, r1);
	table_add(t, r2);
	table_print(t, fp);
	fclose(fp);
	assert_string_equal(out,
	    "ID  NAME                 NOTE\n"
	    "DI  DI – Dansk Industri  x\n"
	    "SØ  Søværnet line 2      -\n");
	free(out);
	table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_is_columns_not_bytes),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_cut_between_characters),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_columns_line_up),
	};

	table_locale();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
