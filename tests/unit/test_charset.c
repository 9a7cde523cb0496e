/* charset_to_utf8 and mime_decode_header: what real clients send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime.h"
#include "util.h"

static void
conv_eq(const char *charset, const char *in, size_t len, const char *want)
{
	char *got = charset_to_utf8(charset, in, len);

	assert_string_equal(got, want);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
}

static void
hdr_eq(const char *in, const char *want)
{
	char *got = mime_decode_header(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_utf8(void **state)
{
	conv_eq("UTF-8", "bl\xc3\xa5" "b\xc3\xa6r", 8, "blåbær");
	conv_eq("utf8", "\xe2\x82\xac 5", 5, "€ 5");
	conv_eq("\"utf-8\"", "ok", 2, "ok");
}

static void
test_utf8_invalid_as_cp1252(void **state)
{
	/* a lone Latin-1 byte in otherwise valid UTF-8 */
	conv_eq("utf-8", "S\xf8ren \xc3\xa6", 8, "Søren æ");
	conv_eq("utf-8", "\x93quoted\x94", 8, "\xe2\x80\x9cquoted\xe2\x80\x9d");
	/* truncated sequence at the end */
	conv_eq("utf-8", "a\xe2\x82", 3, "aâ\xe2\x80\x9a");
}

static void
test_latin1(void **state)
{
	conv_eq("ISO-8859-1", "\xe6\xf8\xe5 \xc6\xd8\xc5", 7, "æøå ÆØÅ");
	conv_eq("latin1", "caf\xe9", 4, "café");
}

static void
test_latin1_lying(void **state)
{
	/* 0x80-0x9f in "iso-8859-1" text are Windows-1252 characters */
	conv_eq("iso-8859-1", "\x80 10 \x96 it\x92s", 11,
	    "€ 10 – it’s");
	/* UTF-8 labelled iso-8859-1 */
	conv_eq("iso-8859-1", "bl\xc3\xa5", 4, "blå");
}

static void
test_latin9(void **state)
{
	conv_eq("ISO-8859-15", "\xa4 100, \xe6\xf8\xe5", 10, "€ 100, æøå");
}

static void
test_cp1252(void **state)
{
	conv_eq("windows-1252", "\x80\x85\x8a\x9f", 4, "€…ŠŸ");
	/* bytes 1252 leaves undefined */
	conv_eq("windows-1252", "a\x81" "b", 3, "a\xef\xbf\xbd" "b");
}

static void
test_ascii_and_unknown(void **state)
{
	conv_eq("us-ascii", "plain", 5, "plain");
	conv_eq("us-ascii", "S\xf8ren", 5, "Søren");
	conv_eq("x-no-such-charset", "bl\xc3\xa5", 4, "blå");
	conv_eq("x-no-such-charset", "bl\xe5", 3, "blå");
	conv_eq(NULL, "\xe6", 1, "æ");
	conv_eq("", "\xe6", 1, "æ");
	conv_eq("utf-8*da", "\xc3\xa6", 2, "æ");
}

static void
test_iconv_charsets(void **state)
{
	conv_eq("KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", 6, "Привет");
	conv_eq("iso-8859-2", "\xb3\xf3\xbf", 3, "łóż");
	conv_eq("UTF-16LE", "h\0i\0", 4, "hi");
	/* an invalid byte becomes U+FFFD, the rest survives */
	conv_eq("SHIFT_JIS", "a\x82", 2, "a\xef\xbf\xbd");
}

static void
test_nul_dropped(void **state)
{
	conv_eq("utf-8", "a\0b\0", 4, "ab");
	conv_eq("iso-8859-1", "\xe6\0\xf8", 3, "æø");
	conv_eq("iso-8859-15", "x\0y", 3, "xy");
	conv_eq("UTF-16LE", "a\0\0\0b\0", 6, "ab");
}

static void
test_header_b_and_q(void **state)
{
	hdr_eq("=?UTF-8?B?w6ZibGVncsO4ZA==?=", "æblegrød");
	hdr_eq("=?iso-8859-1?Q?=E6bler_og_p=E6rer?=", "æbler og pærer");
	hdr_eq("Re: =?utf-8?q?MEETING?= tomorrow", "Re: MEETING tomorrow");
}

static void
test_header_adjacent(void **state)
{
	/* white space between encoded words goes, around them it stays */
	hdr_eq("=?iso-8859-1?Q?ERKL=C6?= =?iso-8859-1?Q?RING?= x",
	    "ERKLÆRING x");
	hdr_eq("=?UTF-8?B?w6Z?=\r\n =?UTF-8?B?w7g=?=", "æø");
	/* a UTF-8 character split over two words */
	hdr_eq("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A5?=", "å");
	hdr_eq("=?UTF-8?B?w6Y=?= =?ISO-8859-1?Q?=F8?=", "æø");
}

static void
test_header_malformed(void **state)
{
	hdr_eq("=?utf-8?X?abc?=", "=?utf-8?X?abc?=");
	hdr_eq("=?utf-8?B?not base64!?=", "=?utf-8?B?not base64!?=");
	hdr_eq("=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated");
	hdr_eq("a =? b ?= c", "a =? b ?= c");
	hdr_eq("=??Q?x?=", "=??Q?x?=");
	hdr_eq("", "");
	hdr_eq(NULL, "");
}

static void
test_header_raw_8bit(void **state)
{
	hdr_eq("M\xc3\xb8" "de", "Møde");
	hdr_eq("M\xf8" "de", "Møde");
	hdr_eq("\xc6ndring =?utf-8?q?=C3=A6?=", "Ændring æ");
}

static void
test_header_controls(void **state)
{
	/* a decoded newline must not split a reply's header */
	hdr_eq("=?utf-8?q?a=0D=0AX-Evil:_1?=", "a  X-Evil: 1");
	hdr_eq("=?utf-8?q?a=00b?=", "ab");
	hdr_eq("=?utf-8*da?q?=C3=B8?=", "ø");
}

static void
test_header_flood(void **state)
{
	struct buf b;
	char *got;
	clock_t t0 = clock();

	buf_init(&b);
	for (int i = 0; i < 200000; i++)
		buf_adds(&b, "=?utf-8?B?w6Y=?= ");
	got = mime_decode_header(b.s);
	assert_true(strlen(got) < b.len);
	assert_true(utf8_valid(got, strlen(got)));
	assert_int_equal(strncmp(got, "æææ", 6), 0);
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
	free(got);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_invalid_as_cp1252),
		cmocka_unit_test(test_latin1),
		cmocka_unit_test(test_latin1_lying),
		cmocka_unit_test(test_latin9),
		cmocka_unit_test(test_cp1252),
		cmocka_unit_test(test_ascii_and_unknown),
		cmocka_unit_test(test_iconv_charsets),
		cmocka_unit_test(test_nul_dropped),
		cmocka_unit_test(test_header_b_and_q),
		cmocka_unit_test(test_header_adjacent),
		cmocka_unit_test(test_header_malformed),
		cmocka_unit_test(test_header_raw_8bit),
		cmocka_unit_test(test_header_controls),
		cmocka_unit_test(test_header_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
