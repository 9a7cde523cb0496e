/* Delivery reports: the corpus in tests/data/bounces/ (see its README)
 * read by the bounce parser, each with its recipient, status, diagnostic
 * and the mail it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounce.h"
#include "config.h"
#include "mime.h"
#include "util.h"

struct expect {
	const char	*file;
	int		 matched;	/* bounce_read's answer */
	int		 failed;
	const char	*rcpt;
	const char	*status;
	const char	*diagnostic;	/* the start of it */
	const char	*envid;
	const char	*orig_mid;
};

static const struct expect corpus[] = {
	{ "bounces/postfix_rfc3464.eml", 1, 1,
	    "ole@forsikringogpension.example.test", "5.1.1",
	    "smtp; 550 5.1.1 <ole@forsikringogpension.example.test>: Recipient "
	    "address rejected: User unknown in virtual mailbox table",
	    "7-k2v4m6q8s3ta",
	    "v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test" },
	{ "bounces/postfix_delayed.eml", 0, 0, NULL, NULL, NULL,
	    "7-k2v4m6q8s3ta",
	    "v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test" },
	{ "bounces/exchange_m365_ndr.eml", 1, 1, "mads@hk.example.test",
	    "5.1.10", "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
	    "Recipient mads@hk.example.test not found by SMTP address lookup",
	    "12-p7rt3wz5x2qa",
	    "v-q3zk7m2xw5rtnb4yca6dhe8fuj.PAGT-2026-0007.1@example.test" },
	{ "bounces/exchange_legacy_ndr.eml", 1, 1, "sofie@itb.example.test",
	    "5.1.10", "#550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient "
	    "not found by SMTP address lookup ##", NULL,
	    "v-m4nb7vc2xz5lk3jh6gf8ds9aq.PAGT-2026-0007.1@example.test" },
	{ "bounces/gmail_dsn.eml", 1, 1, "pia@smvdanmark.example.test",
	    "5.1.1", "smtp; 550 5.1.1 The email account that you tried to "
	    "reach does not exist.", "15-h5j7k9m2n4pq",
	    "v-w2e4r6t8y3u5i7o9p2a4s6d8f.PAGT-2026-0007.1@example.test" },
	{ "bounces/opensmtpd_report.eml", 1, 1, "anne@di.example.test",
	    "5.3.0", "550 5.1.1 mailbox unavailable", "21-c3d5f7g9h2j4",
	    "v-a7s9d2f4g6h8j3k5l7z9x2c4v.PAGT-2026-0007.1@example.test" },
	{ "bounce.eml", 1, 1, "ole@forsikringogpension.example.test",
	    "5.1.1", "smtp; 550 5.1.1 <ole@forsikringogpension.example.test>:",
	    NULL, "v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test" },
	/* Automatic, but no report: never a bounce. */
	{ "ooo_da.eml", 0, 0, NULL, NULL, NULL, NULL, NULL },
};

static struct config conf;

static int
setup(void **state)
{
	conf.address = "pagt@example.test";
	conf.subaddress_separator = "+";
	return 0;
}

static struct mail *
load(const char *name)
{
	char *path = xasprintf("../data/%s", name);
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	struct mail *m;
	size_t n;

	assert_non_null(f);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	m = mail_parse(b.s, b.len, 0);
	assert_non_null(m);
	buf_free(&b);
	free(path);
	return m;
}

static void
assert_str(const char *file, const char *what, const char *want,
    const char *got, int prefix)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || (prefix ? strncmp(got, want,
	    strlen(want)) : strcmp(got, want)) != 0)
		fail_msg("%s: %s: want \"%s\", got \"%s\"", file, what,
		    want ? want : "(none)", got ? got : "(none)");
}

static void
test_corpus(void **state)
{
	for (size_t i = 0; i < nitems(corpus); i++) {
		const struct expect *e = &corpus[i];
		struct mail *m = load(e->file);
		struct bounce b;
		int r = bounce_read(&conf, m, &b);

		if (r != e->matched || b.failed != e->failed)
			fail_msg("%s: matched %d failed %d, want %d %d", e->file,
			    r, b.failed, e->matched, e->failed);
		if (e->failed) {
			assert_str(e->file, "recipient", e->rcpt, b.rcpt, 0);
			assert_str(e->file, "status", e->status, b.status, 0);
			assert_str(e->file, "diagnostic", e->diagnostic,
			    b.diagnostic, 1);
		}
		assert_str(e->file, "envid", e->envid, b.envid, 0);
		assert_str(e->file, "Message-ID", e->orig_mid, b.orig_mid, 0);
		bounce_free(&b);
		mail_free(m);
	}
}

/* A person writing to the envelope address is no bounce, and neither is
 * an out-of-office reply sent there. */
static void
test_not_reports(void **state)
{
	static const char *const mails[] = {
	    "From: anne@di.example.test\r\nTo: pagt+b-7-k2v4m6q8s3ta@example."
	    "test\r\nSubject: Re: ballot\r\n\r\nJA, and the address "
	    "ole@forsikringogpension.example.test could not be reached\r\n",
	    "From: bo@di.example.test\r\nTo: pagt+b-8-aaaa@example.test\r\n"
	    "Auto-Submitted: auto-replied\r\nSubject: Automatisk svar: "
	    "Afstemning\r\n\r\nJeg er på ferie til 1. januar.\r\n",
	};

	for (size_t i = 0; i < nitems(mails); i++) {
		struct mail *m = mail_parse(mails[i], strlen(mails[i]), 0);
		struct bounce b;

		assert_int_equal(bounce_read(&conf, m, &b), 0);
		assert_int_equal(b.failed, 0);
		bounce_free(&b);
		mail_free(m);
	}
}

/* The envelope address is found only as the pact's own subaddress. */
static void
test_envid_only_ours(void **state)
{
	static const char raw[] =
	    "From: MAILER-DAEMON@mx.example.net\r\n"
	    "To: xpagt+b-7-abc@example.test, pagt+b-9-abc@example.test.evil,"
	    " pagt+b-5-k2v4@EXAMPLE.TEST\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n\r\n"
	    "<ole@forsikringogpension.example.test>: 550 5.1.1 no such user\r\n";
	struct mail *m = mail_parse(raw, strlen(raw), 0);
	struct bounce b;

	assert_int_equal(bounce_read(&conf, m, &b), 1);
	assert_string_equal(b.envid, "5-k2v4");
	assert_string_equal(b.rcpt, "ole@forsikringogpension.example.test");
	assert_string_equal(b.status, "5.1.1");
	assert_string_equal(b.diagnostic, "550 5.1.1 no such user");
	bounce_free(&b);
	mail_free(m);
}

static void
test_envid_split(void **state)
{
	char tag[16];
	long long id;

	assert_int_equal(bounce_envid_split("12-abc", &id, tag, sizeof tag), 0);
	assert_int_equal(id, 12);
	assert_string_equal(tag, "abc");
	assert_int_equal(bounce_envid_split("12", &id, tag, sizeof tag), -1);
	assert_int_equal(bounce_envid_split("x-abc", &id, tag, sizeof tag),
	    -1);
	assert_int_equal(bounce_envid_split("1-0123456789abcdefg", &id, tag,
	    sizeof tag), -1);
}

static void
test_smtp_status(void **state)
{
	char *s;

	s = bounce_smtp_status("550 5.1.1 <x@y>: no such user");
	assert_string_equal(s, "5.1.1");
	free(s);
	s = bounce_smtp_status("550 Invalid recipient: <x@y>");
	assert_string_equal(s, "5.0.0");
	free(s);
	s = bounce_smtp_status("");
	assert_string_equal(s, "5.0.0");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_not_reports),
		cmocka_unit_test(test_envid_only_ours),
		cmocka_unit_test(test_envid_split),
		cmocka_unit_test(test_smtp_status),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
