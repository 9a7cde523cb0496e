/* mail_parse: headers, the one body text, kept parts and the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"
#include "util.h"

static struct mail *
parse(const char *raw)
{
	struct mail *m = mail_parse(raw, strlen(raw), 0);

	assert_non_null(m);
	return m;
}

/* The same message with CRLF line ends. */
static char *
crlf(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, *s);
	}
	return buf_steal(&b);
}

static const char alternative[] =
    "From: Anne Hansen <Anne@Example.TEST>\n"
    "To: pagt@example.test\n"
    "Subject: DECLARATION\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"000000000000abc\"\n"
    "\n"
    "--000000000000abc\n"
    "Content-Type: text/plain; charset=\"UTF-8\"\n"
    "\n"
    "Motivation: plain\n"
    "\n"
    "--000000000000abc\n"
    "Content-Type: text/html; charset=\"UTF-8\"\n"
    "\n"
    "<div>Motivation: html</div>\n"
    "--000000000000abc--\n";

static void
test_alternative_plain_wins(void **state)
{
	struct mail *m = parse(alternative);

	assert_string_equal(m->text, "Motivation: plain\n");
	assert_string_equal(m->content_type, "multipart/alternative");
	assert_null(m->problem);
	assert_int_equal(m->nparts, 0);
	mail_free(m);
}

static void
test_alternative_html_in_related(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: multipart/alternative; boundary=A\n"
	    "\n"
	    "--A\n"
	    "Content-Type: multipart/related; boundary=R\n"
	    "\n"
	    "--R\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n"
	    "<p>Hej <b>verden</b></p>\n"
	    "--R\n"
	    "Content-Type: image/png\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "iVBORw0KGgo=\n"
	    "--R--\n"
	    "--A--\n");

	assert_string_equal(m->text, "Hej verden\n");
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].content_type, "image/png");
	assert_int_equal(m->parts[0].len, 8);
	mail_free(m);
}

static void
test_html_only(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Subject: x\n"
	    "Content-Type: text/html; charset=iso-8859-1\n"
	    "\n"
	    "<html><head><style>div{}</style></head><body>"
	    "<div>Motivation: Vi \xf8nsker</div><div><br></div>"
	    "<ul><li>M\xe5l</li></ul></body></html>\n");

	assert_string_equal(m->text, "Motivation: Vi ønsker\n\n- Mål\n");
	assert_string_equal(m->content_type, "text/html");
	mail_free(m);
}

static void
test_qp_cp1252(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: text/plain; charset=\"Windows-1252\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "Bl=E5b=E6rgr=F8d og =C6bler =96 =93godt=94 =\n"
	    "for alle   \n"
	    "a=3Db =ZZ =\n");

	assert_string_equal(m->text,
	    "Blåbærgrød og Æbler – “godt” for alle\na=b =ZZ \n");
	mail_free(m);
}

static void
test_base64_utf8(void **state)
{
	/* "Målsætninger:\n- Én\n" */
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: BASE64\n"
	    "\n"
	    "TcOlbHPDpnRuaW5nZXI6\n"
	    "Ci0gw4luCg==\n");

	assert_string_equal(m->text, "Målsætninger:\n- Én\n");
	mail_free(m);
}

static void
test_latin9(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: text/plain; charset=ISO-8859-15\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "Pris: 100 \xa4, \xe6\xf8\xe5\n");

	assert_string_equal(m->text, "Pris: 100 €, æøå\n");
	mail_free(m);
}

static void
test_rfc2047_headers(void **state)
{
	struct mail *m = parse(
	    "From: =?UTF-8?B?U8O4cmVu?= =?iso-8859-1?Q?_=D8ster?= "
	    "<S.Oster@Example.TEST>\n"
	    "Subject: =?UTF-8?B?w4VSU1NUQVRVUw==?= =?iso-8859-1?Q?_2026_?=\n"
	    " =?iso-8859-1?Q?=E6=F8=E5?=\n"
	    "\n"
	    "body\n");

	assert_string_equal(m->subject, "ÅRSSTATUS 2026 æøå");
	assert_string_equal(m->from_addr, "s.oster@example.test");
	assert_string_equal(m->from_name, "Søren Øster");
	mail_free(m);
}

static void
test_headers(void **state)
{
	struct mail *m = parse(
	    "Return-Path: <Bounce@Example.TEST>\n"
	    "Authentication-Results: mx.example.test; dmarc=pass\n"
	    "Authentication-Results: other.test; dmarc=fail\n"
	    "Message-ID: <abc.123@Example.TEST>\n"
	    "In-Reply-To: <p1@example.test>\n"
	    "References: <p0@example.test>\n"
	    "  <p1@example.test>\n"
	    "Date: Mon, 2 Feb 2026 10:00:00 +0100\n"
	    "From: \"Hansen, Anne\" <anne@example.test>\n"
	    "To: Pagt <PAGT@example.test>, b@example.test;\n"
	    "Cc: undisclosed-recipients:;, Grp: c@example.test, "
	    "b@example.test;\n"
	    "Auto-Submitted: auto-replied\n"
	    "Precedence: bulk\n"
	    "List-Id: <list.example.test>\n"
	    "\n"
	    "body\n");

	assert_string_equal(m->return_path, "bounce@example.test");
	assert_int_equal(m->auth_results.n, 2);
	assert_string_equal(m->auth_results.v[0],
	    "mx.example.test; dmarc=pass");
	assert_string_equal(m->message_id, "abc.123@Example.TEST");
	assert_string_equal(m->in_reply_to, "<p1@example.test>");
	assert_string_equal(m->references,
	    "<p0@example.test>  <p1@example.test>");
	assert_string_equal(m->date, "Mon, 2 Feb 2026 10:00:00 +0100");
	assert_string_equal(m->from_addr, "anne@example.test");
	assert_string_equal(m->from_name, "Hansen, Anne");
	assert_int_equal(m->recipients.n, 3);
	assert_string_equal(m->recipients.v[0], "pagt@example.test");
	assert_string_equal(m->recipients.v[1], "b@example.test");
	assert_string_equal(m->recipients.v[2], "c@example.test");
	assert_string_equal(m->auto_submitted, "auto-replied");
	assert_string_equal(m->precedence, "bulk");
	assert_true(m->has_list_id);
	assert_string_equal(m->subject, "");
	assert_string_equal(m->content_type, "text/plain");
	assert_int_equal(m->headers_raw.n, 13);
	assert_string_equal(m->headers_raw.v[5],
	    "References: <p0@example.test>  <p1@example.test>");
	mail_free(m);
}

static void
test_return_path(void **state)
{
	struct mail *m = parse("Return-Path: <>\nFrom: MAILER-DAEMON\n\nx\n");

	assert_string_equal(m->return_path, "");
	/* no domain: not a mailbox, and the reason says so */
	assert_null(m->from_addr);
	assert_null(m->from_name);
	assert_string_equal(m->from_problem, "a name without an address");
	mail_free(m);
	m = parse("From: a@example.test\n\nx\n");
	assert_null(m->return_path);
	assert_null(m->message_id);
	assert_null(m->date);
	assert_false(m->has_list_id);
	mail_free(m);
}

/* From must be one field holding one mailbox; the reason is kept. */
static void
test_from_strict(void **state)
{
	struct mail *m = parse("From: anne@di.example.test\n"
	    "From: eve@evil.example\n\nx\n");

	assert_null(m->from_addr);
	assert_string_equal(m->from_problem, "more than one From field");
	mail_free(m);
	m = parse("from: anne@di.example.test\nFROM: anne@di.example.test\n"
	    "\nx\n");
	assert_null(m->from_addr);
	assert_string_equal(m->from_problem, "more than one From field");
	mail_free(m);
	m = parse("Subject: x\n\nx\n");
	assert_null(m->from_addr);
	assert_string_equal(m->from_problem, "no From field");
	mail_free(m);
	m = parse("From: anne@di.example.test:eve@evil.example\n\nx\n");
	assert_null(m->from_addr);
	assert_non_null(strstr(m->from_problem, "after ':'"));
	mail_free(m);
	m = parse("From: Anne Holm\n <ANNE@di.example.test> (DI)\n\nx\n");
	assert_string_equal(m->from_addr, "anne@di.example.test");
	assert_string_equal(m->from_name, "Anne Holm");
	assert_null(m->from_problem);
	mail_free(m);
}

static void
test_report(void **state)
{
	struct mail *m = parse(
	    "From: MAILER-DAEMON@example.test\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"r\"\n"
	    "\n"
	    "--r\n"
	    "\n"
	    "Delivery failed.\n"
	    "--r\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Status: 5.1.1\n"
	    "--r\n"
	    "Content-Type: text/rfc822-headers\n"
	    "\n"
	    "Message-ID: <orig@pagt.example.test>\n"
	    "--r--\n");

	assert_true(m->is_report);
	assert_string_equal(m->content_type, "multipart/report");
	assert_string_equal(m->text, "Delivery failed.\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[1].content_type, "text/rfc822-headers");
	assert_non_null(strstr(m->parts[1].data, "orig@pagt"));
	mail_free(m);
}

static void
test_crlf_and_lf(void **state)
{
	char *c = crlf(alternative);
	struct mail *a = parse(alternative), *b = parse(c);

	assert_string_equal(a->text, b->text);
	assert_string_equal(b->text, "Motivation: plain\n");
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->from_addr, b->from_addr);
	assert_int_equal(a->headers_raw.n, b->headers_raw.n);
	assert_string_equal(b->headers_raw.v[4], a->headers_raw.v[4]);
	assert_null(strchr(b->text, '\r'));
	mail_free(a);
	mail_free(b);
	free(c);
}

static const char invitation[] =
    "From: sekretariat@example.test\n"
    "Content-Type: multipart/mixed; boundary=\"mix\"\n"
    "\n"
    "--mix\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
    "\n"
    "--alt\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Ja tak\n"
    "--alt\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>Ja tak</p>\n"
    "--alt\n"
    "Content-Type: text/calendar; charset=\"utf-8\"; method=REPLY\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVQTFkNCkVORDpWQ0FMRU5EQVINCg==\n"
    "--alt--\n"
    "--mix\n"
    "Content-Type: application/ics; name=\"invite.ics\"\n"
    "Content-Disposition: attachment; filename=\"invite.ics\"\n"
    "\n"
    "BEGIN:VCALENDAR\n"
    "--mix\n"
    "Content-Type: application/pdf; name=\"=?utf-8?q?=C3=A5rsstatus.pdf?=\"\n"
    "Content-Disposition: attachment;\n"
    " filename*=utf-8''%C3%A5rsstatus%202026.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--mix--\n";

static void
test_calendar_parts(void **state)
{
	struct mail *m = parse(invitation);

	assert_string_equal(m->text, "Ja tak\n");
	assert_int_equal(m->nparts, 3);
	assert_string_equal(m->parts[0].content_type, "text/calendar");
	assert_string_equal(m->parts[0].method, "REPLY");
	assert_string_equal(m->parts[0].data,
	    "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n");
	assert_int_equal(m->parts[0].len, 46);
	assert_string_equal(m->parts[1].content_type, "application/ics");
	assert_string_equal(m->parts[1].filename, "invite.ics");
	assert_null(m->parts[1].method);
	assert_string_equal(m->parts[2].content_type, "application/pdf");
	assert_string_equal(m->parts[2].filename, "årsstatus 2026.pdf");
	assert_memory_equal(m->parts[2].data, "%PDF-1.4\n", 9);
	mail_free(m);
}

static void
test_mixed_concatenates(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=m\n"
	    "\n"
	    "preamble is not text\n"
	    "--m\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Before the picture\n"
	    "--m\n"
	    "Content-Type: image/jpeg; name=a.jpg\n"
	    "Content-Disposition: inline; filename=a.jpg\n"
	    "\n"
	    "xx\n"
	    "--m\n"
	    "Content-Type: text/plain; format=flowed\n"
	    "\n"
	    "after the picture, a line that was \n"
	    "wrapped\n"
	    ">> quoted \n"
	    ">> soft\n"
	    "--m\n"
	    "Content-Type: text/plain; name=notes.txt\n"
	    "Content-Disposition: attachment; filename=notes.txt\n"
	    "\n"
	    "not the text\n"
	    "--m--\n"
	    "epilogue is not text\n");

	assert_string_equal(m->text, "Before the picture\n"
	    "after the picture, a line that was wrapped\n>> quoted soft\n");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].filename, "a.jpg");
	assert_string_equal(m->parts[1].content_type, "text/plain");
	assert_string_equal(m->parts[1].data, "not the text");
	mail_free(m);
}

/* A message with multiparts nested depth deep. */
static char *
nested(int depth)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "From: a@example.test\nSubject: deep\n");
	for (int i = 0; i < depth; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n"
		    "\n--b%d\n", i, i);
	buf_adds(&b, "Content-Type: text/plain\n\ninnermost\n");
	for (int i = depth - 1; i >= 0; i--)
		buf_addf(&b, "--b%d--\n", i);
	return buf_steal(&b);
}

static void
test_limit_depth(void **state)
{
	char *raw = nested(200);
	struct mail *m = parse(raw);

	assert_string_equal(m->problem,
	    "the message has more than 100 nested multipart levels");
	assert_string_equal(m->text, "");
	assert_string_equal(m->subject, "deep");
	mail_free(m);
	free(raw);
	raw = nested(MIME_MAX_DEPTH);
	m = parse(raw);
	assert_null(m->problem);
	assert_string_equal(m->text, "innermost\n");
	mail_free(m);
	free(raw);
	raw = nested(100000);
	m = parse(raw);
	assert_non_null(m->problem);
	mail_free(m);
	free(raw);
}

static void
test_limit_parts(void **state)
{
	struct buf b;
	struct mail *m;

	buf_init(&b);
	buf_adds(&b, "From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 20000; i++)
		buf_adds(&b, "--p\nContent-Type: text/plain\n\nx\n");
	buf_adds(&b, "--p--\n");
	m = mail_parse(b.s, b.len, 0);
	assert_non_null(m);
	assert_string_equal(m->problem, "the message has more than 10000 parts");
	assert_string_equal(m->text, "");
	assert_int_equal(m->nparts, 0);
	mail_free(m);
	buf_free(&b);
}

static void
test_limit_size(void **state)
{
	struct mail *m = mail_parse(alternative, strlen(alternative), 100);

	assert_non_null(m);
	assert_string_equal(m->problem, "the message is larger than 100 bytes");
	assert_string_equal(m->text, "");
	assert_string_equal(m->subject, "DECLARATION");
	mail_free(m);
	m = mail_parse(alternative, strlen(alternative), strlen(alternative));
	assert_null(m->problem);
	mail_free(m);
}

static void
test_nul_bytes(void **state)
{
	static const char raw[] =
	    "From: a@exa\0mple.test\n"
	    "Subject: N\0UL\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "one\0two\n";
	struct mail *m = mail_parse(raw, sizeof raw - 1, 0);

	assert_non_null(m);
	assert_string_equal(m->subject, "NUL");
	assert_string_equal(m->from_addr, "a@example.test");
	assert_string_equal(m->text, "onetwo\n");
	mail_free(m);
}

static void
test_truncated_base64(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "aGVsbG8gd29y!!bGQ\n");

	assert_true(utf8_valid(m->text, strlen(m->text)));
	assert_int_equal(strncmp(m->text, "hello wor", 9), 0);
	mail_free(m);
}

static void
test_boundary_never_ends(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=\"never\"\n"
	    "\n"
	    "--never\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "first\n"
	    "--never\n"
	    "\n"
	    "second, and then the data ends\n");

	assert_null(m->problem);
	assert_string_equal(m->text, "first\nsecond, and then the data ends\n");
	mail_free(m);
}

static void
test_odd_boundaries(void **state)
{
	struct mail *m = parse(
	    "From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=\"\\\"\"\n"
	    "\n"
	    "--\"\n"
	    "\n"
	    "quoted boundary\n"
	    "--\"--\n");

	assert_string_equal(m->text, "quoted boundary\n");
	mail_free(m);
	m = parse("From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n");
	assert_string_equal(m->text, "");
	mail_free(m);
	m = parse("From: a@example.test\n"
	    "Content-Type: multipart/mixed\n\n--x\n\nno boundary\n");
	assert_string_equal(m->text, "");
	mail_free(m);
	/* an inner boundary that starts with the outer one */
	m = parse("From: a@example.test\n"
	    "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	    "Content-Type: multipart/mixed; boundary=ab\n\n--ab\n\ninner\n"
	    "--ab--\n--a--\n");
	assert_string_equal(m->text, "inner\n");
	mail_free(m);
}

static void
test_no_header(void **state)
{
	assert_null(mail_parse("", 0, 0));
	assert_null(mail_parse("just text\nno header\n", 20, 0));
	assert_null(mail_parse("\nbody\n", 6, 0));
}

static void
test_garbage_survives(void **state)
{
	static const char *raw[] = {
	    "From: <\n\n", "From: \"unterminated <a@b>\n\n",
	    "From:\nTo:\nCc: ,,;;<>\nSubject: =?\n\n",
	    "Content-Type: ;;;\n\nx", "Content-Type: multipart/\n\nx",
	    "Content-Type: text/plain; charset=\"\n\nx",
	    "Content-Type: text/plain; charset=x-\xff\xfe\n\n\xff",
	    "Content-Transfer-Encoding: quoted-printable\n\n=",
	    "Content-Transfer-Encoding: base64\n\n=",
	    "Content-Disposition: attachment; filename*0*=x; "
	    "filename*1=y\nContent-Type: application/x\n\nz",
	    "X: y\n folded\n\tmore\n",
	};
	struct mail *m;

	for (size_t i = 0; i < nitems(raw); i++) {
		m = mail_parse(raw[i], strlen(raw[i]), 0);
		assert_non_null(m);
		assert_non_null(m->text);
		assert_non_null(m->subject);
		mail_free(m);
	}
}

/* Random damage to a real-looking message must never crash. */
static void
test_mutations(void **state)
{
	size_t len = strlen(invitation);
	char *copy = xmalloc(len);
	struct mail *m;
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		memcpy(copy, invitation, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245 + 12345;
			copy[(seed >> 8) % len] = (char)(seed >> 20);
		}
		m = mail_parse(copy, (seed >> 4) % (len + 1), 0);
		if (m != NULL) {
			assert_true(utf8_valid(m->text, strlen(m->text)));
			assert_true(utf8_valid(m->subject,
			    strlen(m->subject)));
		}
		mail_free(m);
	}
	free(copy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alternative_plain_wins),
		cmocka_unit_test(test_alternative_html_in_related),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_qp_cp1252),
		cmocka_unit_test(test_base64_utf8),
		cmocka_unit_test(test_latin9),
		cmocka_unit_test(test_rfc2047_headers),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_return_path),
		cmocka_unit_test(test_from_strict),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_crlf_and_lf),
		cmocka_unit_test(test_calendar_parts),
		cmocka_unit_test(test_mixed_concatenates),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_limit_size),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_truncated_base64),
		cmocka_unit_test(test_boundary_never_ends),
		cmocka_unit_test(test_odd_boundaries),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_garbage_survives),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
