/* Unit tests: quoted-printable and encoded headers of outgoing mail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "message.h"
#include "util.h"

/* Every line at most 76 octets, none starting with a dot, CRLF only. */
static void
assert_qp_lines(const char *qp)
{
	const char *line = qp;

	while (*line != '\0') {
		const char *end = strstr(line, "\r\n");

		assert_non_null(end);
		assert_true(end - line <= 76);
		assert_true(*line != '.');
		for (const char *p = line; p < end; p++)
			assert_true(*p != '\n' && *p != '\r' &&
			    (unsigned char)*p < 0x7f);
		line = end + 2;
	}
}

static void
test_qp_dots_and_lengths(void **state)
{
	struct buf b;
	char text[2048];

	/* A dot that a soft break would bring to the start of a line. */
	memset(text, 'x', 74);
	strcpy(text + 74, ".and more text.\n.start\n");
	buf_init(&b);
	qp_encode(&b, text);
	assert_qp_lines(b.s);
	assert_non_null(strstr(b.s, "=2Estart"));
	buf_free(&b);
	for (int w = 60; w < 90; w++) {
		memset(text, 0, sizeof text);
		for (int i = 0; i < 1000; i++)
			text[i] = (i % w == w - 1) ? '.' : "æøå ="[i % 5];
		buf_init(&b);
		qp_encode(&b, text);
		assert_qp_lines(b.s);
		buf_free(&b);
	}
}

static void
test_qp_trailing_space_and_utf8(void **state)
{
	struct buf b;

	buf_init(&b);
	qp_encode(&b, "Hej \nÆbler=");
	assert_string_equal(b.s, "Hej=20\r\n=C3=86bler=3D\r\n");
	buf_free(&b);
}

static void
test_header_encoding(void **state)
{
	struct buf b;

	buf_init(&b);
	header_text(&b, "Subject", "Re: HELP");
	assert_string_equal(b.s, "Subject: Re: HELP\r\n");
	buf_free(&b);
	buf_init(&b);
	header_text(&b, "Subject", "Re: HJÆLP");
	assert_string_equal(b.s, "Subject: Re: =?UTF-8?B?SErDhkxQ?=\r\n");
	buf_free(&b);
}

static void
test_tokens(void **state)
{
	char a[27], b[27];

	random_token(a, 26);
	random_token(b, 26);
	assert_int_equal(strlen(a), 26);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"), 26);
}

/* A forward's Reply-To names the member with the roster's display name:
 * quoted or encoded, never a second header or a second address. */
static void
test_reply_to_name(void **state)
{
	struct config c;
	struct outmail m;
	char *mid, *cause = NULL, *data;

	memset(&c, 0, sizeof c);
	c.address = "pagt@example.test";
	c.smtp_from = "Cybersikkerhedspagten <pagt@example.test>";
	memset(&m, 0, sizeof m);
	m.to_addr = "sofie@itb.example.test";
	m.subject = "[PAGT-2026-0002] Sparring";
	m.body = "Tekst.\n";
	m.reply_to = "carl@vfds.example.test";
	m.reply_to_name = "Carl \"Berg\", VFDS\r\nBcc: eve@evil.example";
	data = message_build(&c, &m, 0, &mid, &cause);
	assert_non_null(data);
	assert_null(strstr(data, "\r\nBcc:"));
	assert_non_null(strstr(data, "Reply-To: \"Carl \\\"Berg\\\", VFDS Bcc: "
	    "eve@evil.example\" <carl@vfds.example.test>\r\n"));
	free(data);
	free(mid);
	m.reply_to_name = "Søren Ærøskøbing";
	data = message_build(&c, &m, 0, &mid, &cause);
	assert_non_null(data);
	assert_non_null(strstr(data, "Reply-To: =?UTF-8?"));
	assert_non_null(strstr(data, "<carl@vfds.example.test>\r\n"));
	free(data);
	free(mid);
	m.reply_to_name = NULL;
	data = message_build(&c, &m, 0, &mid, &cause);
	assert_non_null(strstr(data, "Reply-To: carl@vfds.example.test\r\n"));
	free(data);
	free(mid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp_dots_and_lengths),
		cmocka_unit_test(test_qp_trailing_space_and_utf8),
		cmocka_unit_test(test_header_encoding),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_reply_to_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
