/* The limits of SPEC section 3: characters, not bytes; the boundaries;
 * the reply's wording; the page's clipping; the name as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "body.h"
#include "limit.h"
#include "util.h"

/* n copies of a character (ASCII or a UTF-8 sequence). */
static char *
repeat(const char *c, size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, c);
	return buf_steal(&b);
}

static void
test_chars(void **state)
{
	assert_int_equal(limit_chars(""), 0);
	assert_int_equal(limit_chars("abc"), 3);
	assert_int_equal(limit_chars("æøå"), 3);	/* 6 bytes */
	assert_int_equal(limit_chars("ÆØÅ æøå €"), 9);
	assert_int_equal(limit_chars("\xf0\x9f\x94\x92"), 1);	/* a lock */
}

/* At the limit passes, one over does not, for ASCII and æøå alike. */
static void
boundary(enum limit_kind k, const char *c, size_t max)
{
	struct limit_breach b;
	char *at = repeat(c, max), *over = repeat(c, max + 1);

	assert_int_equal(limit_text(k, at, &b), 0);
	assert_int_equal(b.what, LIMIT_OK);
	assert_int_equal(limit_text(k, over, &b), -1);
	assert_int_equal(b.what, LIMIT_CHARS);
	assert_int_equal(b.max, max);
	assert_int_equal(b.have, max + 1);
	free(at);
	free(over);
}

static void
test_text(void **state)
{
	struct limit_breach b;
	char *s;

	boundary(LIMIT_TEXT, "a", 4000);
	boundary(LIMIT_TEXT, "æ", 4000);
	boundary(LIMIT_TEXT, "€", 4000);
	boundary(LIMIT_NAME, "a", 200);
	boundary(LIMIT_NAME, "ø", 200);
	/* 4000 æøå are 8000 bytes, and still within. */
	s = repeat("å", 4000);
	assert_int_equal(strlen(s), 8000);
	assert_int_equal(limit_text(LIMIT_TEXT, s, &b), 0);
	free(s);
	/* 202 bytes, but 101 characters: within a name's 200. */
	s = repeat("å", 101);
	assert_int_equal(limit_text(LIMIT_NAME, s, &b), 0);
	free(s);
	assert_int_equal(limit_text(LIMIT_TEXT, NULL, &b), 0);
}

static void
list_of(struct strv *v, size_t n, const char *c, size_t chars)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < n; i++)
		strv_addn(v, repeat(c, chars));
}

static void
test_list(void **state)
{
	struct limit_breach b;
	struct strv v;

	list_of(&v, 50, "x", 300);
	assert_int_equal(limit_list(&v, &b), 0);
	strv_free(&v);
	list_of(&v, 51, "x", 1);
	assert_int_equal(limit_list(&v, &b), -1);
	assert_int_equal(b.what, LIMIT_ITEMS);
	assert_int_equal(b.max, 50);
	assert_int_equal(b.have, 51);
	strv_free(&v);
	list_of(&v, 3, "ø", 300);
	assert_int_equal(limit_list(&v, &b), 0);
	strv_free(&v);
	/* Item 2 and 3 of 4 are one character over. */
	list_of(&v, 1, "ø", 300);
	strv_addn(&v, repeat("ø", 301));
	strv_addn(&v, repeat("a", 301));
	strv_add(&v, "kort");
	assert_int_equal(limit_list(&v, &b), -1);
	assert_int_equal(b.what, LIMIT_ITEM);
	assert_int_equal(b.item, 2);
	assert_int_equal(b.have, 301);
	assert_int_equal(b.more, 1);
	strv_free(&v);
	/* Too many items is named first, whatever their length. */
	list_of(&v, 51, "a", 301);
	assert_int_equal(limit_list(&v, &b), -1);
	assert_int_equal(b.what, LIMIT_ITEMS);
	strv_free(&v);
}

static void
test_kind(void **state)
{
	assert_int_equal(limit_kind(F_TITLE), LIMIT_NAME);
	assert_int_equal(limit_kind(F_ORGANISATION), LIMIT_NAME);
	assert_int_equal(limit_kind(F_INITIATIVE), LIMIT_NAME);
	assert_int_equal(limit_kind(F_DESCRIPTION), LIMIT_TEXT);
	assert_int_equal(limit_kind(F_LOCATION), LIMIT_TEXT);
	assert_int_equal(limit_kind(F_STATUS), LIMIT_TEXT);
	assert_int_equal(limit_kind(F_OBJECTIVES), LIMIT_LIST);
	assert_int_equal(limit_kind(F_AGENDA), LIMIT_LIST);
	assert_int_equal(limit_kind(F_PARTNERS), LIMIT_LIST);
	assert_int_equal(limit_kind(F_INITIATIVES), LIMIT_LIST);
}

static void
problem_is(const char *lang, const char *field, const struct limit_breach *b,
    const char *want)
{
	char *got = limit_problem(lang, field, b);

	assert_string_equal(got, want);
	free(got);
}

static void
test_problem(void **state)
{
	struct limit_breach b = { LIMIT_CHARS, 4000, 4000123, 0, 0 };

	problem_is("da", "Beskrivelse", &b,
	    "Beskrivelse: højst 4000 tegn (din tekst har 4 000 123)");
	problem_is("en", "Description", &b,
	    "Description: at most 4000 characters (yours has 4,000,123)");
	b.have = 4001;
	problem_is("da", "BESKRIVELSE", &b,
	    "BESKRIVELSE: højst 4000 tegn (din tekst har 4001)");
	b.max = 200;
	b.have = 12345;
	problem_is("en", "Organization", &b,
	    "Organization: at most 200 characters (yours has 12,345)");
	b = (struct limit_breach){ LIMIT_ITEMS, 50, 51, 0, 0 };
	problem_is("da", "Målsætninger", &b,
	    "Målsætninger: højst 50 punkter (din liste har 51)");
	problem_is("en", "Agenda", &b, "Agenda: at most 50 items (yours has 51)");
	b = (struct limit_breach){ LIMIT_ITEM, 300, 301, 3, 0 };
	problem_is("da", "Partnere", &b,
	    "Partnere, punkt 3: højst 300 tegn (punktet har 301)");
	b.more = 2;
	problem_is("da", "Partnere", &b, "Partnere, punkt 3: højst 300 tegn "
	    "(punktet har 301; 2 punkter mere er for lange)");
	b.more = 1;
	problem_is("en", "Partners", &b, "Partners, item 3: at most 300 "
	    "characters (the item has 301; 1 more item is too long)");
}

static void
clip_is(const char *s, size_t max, const char *want)
{
	char *got = limit_clip(s, max);

	assert_string_equal(got, want);
	free(got);
}

static void
test_clip(void **state)
{
	char *big = repeat("æ", 4 * 1024 * 1024), *c;

	clip_is("kort", 10, "kort");
	clip_is("abcdef", 6, "abcdef");
	clip_is("abcdefg", 6, "abcde…");
	clip_is("æøåæøåæ", 6, "æøåæø…");	/* never half a character */
	clip_is("abc", 0, "");
	assert_null(limit_clip(NULL, 5));
	c = limit_clip(big, LIMIT_TEXT_CHARS);
	assert_int_equal(limit_chars(c), LIMIT_TEXT_CHARS);
	assert_int_equal(limit_text(LIMIT_TEXT, c, &(struct limit_breach){0}),
	    0);
	free(c);
	free(big);
}

/* The reply names the field as the sender wrote it. */
static void
test_name_as_written(void **state)
{
	struct fields fs;

	body_fields("Hej\n\nORGANIZATION: Firma A/S\n*beskrivelse:* tekst\n"
	    "Titel: x\nTitle: y\n", &fs);
	assert_string_equal(fs.f[F_ORGANISATION].name, "ORGANIZATION");
	assert_string_equal(fs.f[F_DESCRIPTION].name, "beskrivelse");
	assert_string_equal(fs.f[F_TITLE].name, "Title");
	assert_string_equal(fs.f[F_TITLE].value, "y");
	assert_null(fs.f[F_MOTIVATION].name);
	fields_free(&fs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_problem),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_name_as_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
