/* Unit tests: forget's redaction of stored mail, in decoded form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "redact.h"
#include "util.h"

#define NAME	"Søren Ærøskøbing"
#define ADDR	"soren@aeroe.example.test"

static struct config conf;

static void
needles(struct strv *v)
{
	memset(v, 0, sizeof *v);
	strv_add(v, ADDR);
	strv_add(v, NAME);
}

/* A ballot-like mail: the name in To, in the subject and in long lines
 * that quoted-printable breaks softly. */
static char *
plain_mail(void)
{
	struct outmail m;
	char *mid, *raw, body[4096];

	snprintf(body, sizeof body, "Kontakt: %s <%s>\nOrganisation: Firma "
	    "A/S\n%s%s%s\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "%s\n", NAME, ADDR, "Lorem ipsum dolor sit amet, consectetur ",
	    "adipiscing elit; sed do eiusmod tempor ", NAME, NAME);
	memset(&m, 0, sizeof m);
	m.to_addr = ADDR;
	m.to_name = NAME;
	m.subject = "Velkommen, " NAME " [PAGT-2026-0007]";
	m.body = body;
	m.message_id = "v-abc.PAGT-2026-0007.1@example.test";
	raw = message_build(&conf, &m, 1767225600, &mid, NULL);
	free(mid);
	return raw;
}

/* An invitation: the name also in a folded ATTENDEE line, 8bit and in
 * the base64 attachment. */
static char *
invite_mail(void)
{
	struct outmail m;
	char *mid, *raw;

	memset(&m, 0, sizeof m);
	m.to_addr = ADDR;
	m.to_name = NAME;
	m.subject = "Invitation";
	m.body = "Møde for " NAME "\n";
	m.calendar = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
	    "UID:x@example.test\r\nATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION;"
	    "ROLE=REQ-PARTICIPANT;CN=Søren \r\n Ærøskøbing:mailto:soren@aeroe"
	    ".example.test\r\nSUMMARY:Pagtmøde\r\nEND:VEVENT\r\nEND:VCALENDAR"
	    "\r\n";
	m.method = "REQUEST";
	raw = message_build(&conf, &m, 1767225600, &mid, NULL);
	free(mid);
	return raw;
}

static void
test_found_only_decoded(void **state)
{
	struct strv v;
	char *raw = plain_mail();

	needles(&v);
	/* The stored bytes hold the name encoded only. */
	assert_null(strstr(raw, NAME));
	assert_true(redact_mentions(raw, strlen(raw), &v));
	free(raw);
	raw = invite_mail();
	assert_true(redact_mentions(raw, strlen(raw), &v));
	free(raw);
	strv_free(&v);
}

/* Everything else stays: the other headers, the boundaries, the text. */
static void
assert_redacted(const char *raw, const char *red, const struct strv *v)
{
	struct strv keep = { 0 };

	assert_false(redact_mentions(red, strlen(red), v));
	assert_non_null(strstr(red, "[forgotten]"));
	assert_non_null(strstr(red, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(red, "Auto-Submitted: auto-replied\r\n"));
	assert_null(strstr(red, "\n\n"));
	for (const char *p = red; (p = strchr(p, '\n')) != NULL; p++)
		assert_true(p > red && p[-1] == '\r');
	strv_add(&keep, "Organisation: Firma A/S");
	strv_add(&keep, "Pagtmøde");
	strv_add(&keep, "Lorem ipsum");
	assert_int_equal(redact_mentions(raw, strlen(raw), &keep),
	    redact_mentions(red, strlen(red), &keep));
	strv_free(&keep);
}

static void
test_redact_plain(void **state)
{
	struct strv v;
	char *raw = plain_mail(), *red;
	int n;

	needles(&v);
	red = redact_mail(raw, strlen(raw), &v, &n);
	assert_true(n >= 5);
	assert_redacted(raw, red, &v);
	assert_non_null(strstr(red, "Message-ID: <v-abc.PAGT-2026-0007.1@"
	    "example.test>\r\n"));
	assert_non_null(strstr(red, "Subject: Velkommen, [forgotten] "
	    "[PAGT-2026-0007]\r\n"));
	free(red);
	free(raw);
	strv_free(&v);
}

static void
test_redact_invitation(void **state)
{
	struct strv v;
	char *raw = invite_mail(), *red;
	const char *p;
	int n, bounds = 0, before = 0;

	needles(&v);
	red = redact_mail(raw, strlen(raw), &v, &n);
	assert_true(n >= 4);
	assert_redacted(raw, red, &v);
	for (p = raw; (p = strstr(p, "\r\n--=_")) != NULL; p++)
		before++;
	for (p = red; (p = strstr(p, "\r\n--=_")) != NULL; p++)
		bounds++;
	assert_int_equal(bounds, before);
	/* Unfolded, the calendar line is whole again. */
	for (char *f; (f = strstr(red, "\r\n ")) != NULL; )
		memmove(f, f + 3, strlen(f + 3) + 1);
	assert_non_null(strstr(red, "CN=[forgotten]:mailto:[forgotten]\r\n"));
	free(red);
	free(raw);
	strv_free(&v);
}

/* A mail that names nobody comes back byte for byte. */
static void
test_untouched(void **state)
{
	struct strv v = { 0 };
	char *raw = invite_mail(), *red;
	int n;

	strv_add(&v, "nobody@else.example.test");
	red = redact_mail(raw, strlen(raw), &v, &n);
	assert_int_equal(n, 0);
	assert_string_equal(red, raw);
	free(red);
	free(raw);
	strv_free(&v);
}

/* A From field that opens the mail and names the person: the address
 * writer refuses "[forgotten]" and the field is written as text instead
 * (found by fuzz_redact on tests/data/ooo_da.eml). */
static void
test_first_field_redacted(void **state)
{
	const char *raw = "From: Anne Holm <anne@di.example.test>\r\n"
	    "To: pagt@example.test\r\nSubject: Hej\r\n\r\nHej Anne\r\n";
	struct strv v = { 0 };
	char *red;
	int n;

	strv_add(&v, "Anne");
	strv_add(&v, "anne@di.example.test");
	red = redact_mail(raw, strlen(raw), &v, &n);
	assert_true(n > 0);
	assert_null(strstr(red, "Anne"));
	assert_null(strstr(red, "anne@"));
	assert_non_null(strstr(red, "To: pagt@example.test\r\n"));
	free(red);
	strv_free(&v);
}

static void
test_whitespace_and_case(void **state)
{
	struct strv v = { 0 };
	char *s;
	int n = 0;

	strv_add(&v, "Søren Ærøskøbing");
	strv_add(&v, ADDR);
	s = redact_string("Til SØREN: Søren\r\n Ærøskøbing, "
	    "Soren@Aeroe.Example.Test.", &v, &n);
	assert_string_equal(s, "Til SØREN: [forgotten], [forgotten].");
	assert_int_equal(n, 2);
	free(s);
	strv_free(&v);
	/* Whole words only: another name that begins the same stays. */
	strv_add(&v, "Anne");
	n = 0;
	s = redact_string("Annette, Anne og Hanne; anne.", &v, &n);
	assert_string_equal(s, "Annette, [forgotten] og Hanne; [forgotten].");
	assert_int_equal(n, 2);
	free(s);
	strv_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_only_decoded),
		cmocka_unit_test(test_redact_plain),
		cmocka_unit_test(test_redact_invitation),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_whitespace_and_case),
		cmocka_unit_test(test_first_field_redacted),
	};

	conf.address = "pagt@example.test";
	conf.smtp_from = "Cybersikkerhedspagten <pagt@example.test>";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
