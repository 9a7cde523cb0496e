/* screen_dmarc_why and screen_ambiguous_sender on the real shapes of
 * Authentication-Results (tests/data/auth_*.eml) and forged variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"
#include "screen.h"
#include "util.h"

/* A corpus mail, with one text replaced (when from is not NULL) and
 * header lines put on top (as a later server would). */
static char *
corpus(const char *name, const char *top, const char *from, const char *to)
{
	char *path = xasprintf("../data/%s", name), chunk[4096], *p;
	struct buf b, out;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	free(path);
	buf_init(&out);
	if (top != NULL)
		buf_adds(&out, top);
	if (from != NULL && (p = strstr(b.s, from)) != NULL) {
		buf_add(&out, b.s, (size_t)(p - b.s));
		buf_adds(&out, to);
		buf_adds(&out, p + strlen(from));
	} else if (from != NULL)
		fail_msg("%s: no [%s] in it", name, from);
	else
		buf_adds(&out, b.s);
	buf_free(&b);
	return buf_steal(&out);
}

/* Why the mail is no pass for authserv_id, or NULL for a pass. */
static char *
why(const char *name, const char *top, const char *from, const char *to,
    const char *authserv_id)
{
	char *raw = corpus(name, top, from, to), *w;
	struct mail *m = mail_parse(raw, strlen(raw), 0);

	assert_non_null(m);
	w = screen_dmarc_why(m, authserv_id);
	assert_int_equal(screen_dmarc_pass(m, authserv_id), w == NULL);
	mail_free(m);
	free(raw);
	return w;
}

static void
passes(const char *name, const char *top, const char *from, const char *to,
    const char *authserv_id)
{
	char *w = why(name, top, from, to, authserv_id);

	if (w != NULL)
		fail_msg("%s (%s): no pass: %s", name, top ? top : "as is", w);
}

static void
refused(const char *name, const char *top, const char *from, const char *to,
    const char *authserv_id, const char *reason)
{
	char *w = why(name, top, from, to, authserv_id);

	if (w == NULL)
		fail_msg("%s (%s): passed", name, top ? top : "as is");
	if (strstr(w, reason) == NULL)
		fail_msg("%s: reason [%s], expected [%s]", name, w, reason);
	free(w);
}

#define FROM	"From: Anne Holm <anne@di.example.test>"

/* Each real shape passes for its own server and for no other. */
static void
test_real_shapes(void **state)
{
	passes("auth_m365.eml", NULL, NULL, NULL, "");
	passes("auth_gmail.eml", NULL, NULL, NULL, "mx.google.com");
	passes("auth_gmail.eml", NULL, NULL, NULL, "MX.Google.COM");
	passes("auth_opendmarc.eml", NULL, NULL, NULL, "mx.example.test");
	passes("auth_rspamd.eml", NULL, NULL, NULL, "mx.example.test");
	refused("auth_m365.eml", NULL, NULL, NULL, "mx.example.test",
	    "no Authentication-Results of mx.example.test");
	/* mx.microsoft.com writes only ARC-Authentication-Results here */
	refused("auth_m365.eml", NULL, NULL, NULL, "mx.microsoft.com",
	    "no Authentication-Results");
	refused("auth_gmail.eml", NULL, NULL, NULL, "mx.example.test",
	    "no Authentication-Results");
	refused("auth_rspamd.eml", NULL, NULL, NULL, "",
	    "no Authentication-Results of a server without authserv-id");
}

/* The pass is for the From domain, not for whatever domain it names. */
static void
test_alignment(void **state)
{
	/* the From is another domain than the one that passed */
	refused("auth_rspamd.eml", NULL, FROM,
	    "From: Anne Holm <anne@evil.example>", "mx.example.test",
	    "dmarc=pass for header.from=di.example.test, not "
	    "evil.example");
	refused("auth_gmail.eml", NULL, FROM,
	    "From: Anne Holm <anne@di.example.test.evil.example>",
	    "mx.google.com", "not di.example.test.evil.example");
	/* upper case in From and in the header compare equal */
	passes("auth_rspamd.eml", NULL, FROM, "From: <ANNE@DI.Example.TEST>",
	    "mx.example.test");
	passes("auth_opendmarc.eml", NULL, "header.from=di.example.test",
	    "header.from=DI.EXAMPLE.TEST", "mx.example.test");
	/* a whole address in header.from, as some servers write it */
	passes("auth_opendmarc.eml", NULL, "header.from=di.example.test",
	    "header.from=anne@di.example.test", "mx.example.test");
	/* dmarc=pass naming no domain is no pass */
	refused("auth_opendmarc.eml", NULL, " header.from=di.example.test",
	    "", "mx.example.test", "dmarc=pass without header.from");
	/* Microsoft's header saying pass for another domain */
	refused("auth_m365.eml", NULL, FROM, "From: <eve@evil.example>", "",
	    "not evil.example");
}

/* dkim=pass counts for the From domain or a parent of it (relaxed), never
 * for a bare top-level domain or a mere suffix. The trusted server's
 * header is put on top of rspamd's, so that it is the topmost. */
static void
test_dkim(void **state)
{
#define AR(x)	"Authentication-Results: mx.example.test; " x "\r\n"
	passes("auth_rspamd.eml", AR("dkim=pass header.d=di.example.test; "
	    "dmarc=none"), NULL, NULL, "mx.example.test");
	/* a parent domain's signature, From at a subdomain */
	passes("auth_rspamd.eml", AR("dkim=pass header.d=di.example.test; "
	    "dmarc=fail header.from=mail.di.example.test"), FROM,
	    "From: Anne <anne@mail.di.example.test>", "mx.example.test");
	/* several signatures: one aligned is enough */
	passes("auth_rspamd.eml", AR("dkim=pass header.d=mailer.example; "
	    "dkim=pass header.d=example.test"), NULL, NULL, "mx.example.test");
	refused("auth_rspamd.eml", AR("dkim=pass header.d=test; dmarc=none"),
	    NULL, NULL, "mx.example.test", "dkim=pass for header.d=test");
	refused("auth_rspamd.eml", AR("dkim=pass header.d=i.example.test"),
	    NULL, NULL, "mx.example.test",
	    "dkim=pass for header.d=i.example.test");
	refused("auth_rspamd.eml", AR("dkim=pass header.d=sub.di.example.test"),
	    NULL, NULL, "mx.example.test", "not di.example.test or a parent");
	refused("auth_rspamd.eml", AR("dkim=pass header.d=evil.example; "
	    "dmarc=fail header.from=di.example.test"), NULL, NULL,
	    "mx.example.test", "dkim=pass for header.d=evil.example");
	refused("auth_rspamd.eml", AR("dkim=fail header.d=di.example.test"),
	    NULL, NULL, "mx.example.test", "dmarc=none; no aligned");
	/* Gmail's DKIM names header.i, not header.d: its dmarc decides */
	refused("auth_gmail.eml", "Authentication-Results: mx.google.com; "
	    "dkim=pass header.i=@di.example.test header.s=s2026; dmarc=fail "
	    "(p=REJECT sp=REJECT dis=NONE) header.from=di.example.test\r\n",
	    NULL, NULL, "mx.google.com", "dmarc=fail; dkim=pass without header.d");
}

/* SPF says nothing about From. */
static void
test_spf_alone(void **state)
{
	refused("auth_opendmarc.eml",
	    AR("spf=pass smtp.mailfrom=di.example.test"), NULL, NULL,
	    "mx.example.test", "; SPF alone");
	refused("auth_m365.eml", "Authentication-Results: spf=pass (sender IP "
	    "is 198.51.100.25) smtp.mailfrom=di.example.test; dkim=none "
	    "(message not signed) header.d=none;dmarc=none action=none "
	    "header.from=di.example.test;compauth=fail reason=001\r\n", NULL,
	    NULL, "", "dmarc=none; SPF alone");
#undef AR
}

/* Only the topmost header of the trusted server counts. */
static void
test_position(void **state)
{
	/* a forged pass of the trusted id below the real one that says fail */
	refused("auth_opendmarc.eml",
	    "Authentication-Results: mx.example.test; dmarc=fail (p=reject) "
	    "header.from=di.example.test\r\n", NULL, NULL, "mx.example.test",
	    "dmarc=fail");
	/* a pass of an untrusted server above a trusted fail */
	refused("auth_rspamd.eml",
	    "Authentication-Results: mx.evil.example; dmarc=pass "
	    "header.from=di.example.test\r\n"
	    "Authentication-Results: mx.example.test.evil.example; dmarc=pass "
	    "header.from=di.example.test\r\n"
	    "Authentication-Results: mx.example.test; dmarc=fail "
	    "header.from=di.example.test\r\n", NULL, NULL, "mx.example.test",
	    "dmarc=fail");
	/* a trusted pass below an untrusted fail still counts */
	passes("auth_rspamd.eml",
	    "Authentication-Results: mx.evil.example; dmarc=fail "
	    "header.from=di.example.test\r\n", NULL, NULL, "mx.example.test");
	/* with a version after the id (RFC 8601) */
	passes("auth_rspamd.eml", NULL, "mx.example.test;\r\n\tdkim",
	    "MX.example.test 1;\r\n\tdkim", "mx.example.test");
	/* Microsoft 365: an id-less pass the sender wrote sits below */
	refused("auth_m365.eml",
	    "Authentication-Results: spf=fail (sender IP is 203.0.113.9) "
	    "smtp.mailfrom=evil.example; dkim=none (message not signed) "
	    "header.d=none;dmarc=fail action=oreject "
	    "header.from=di.example.test;compauth=fail reason=000\r\n", NULL,
	    NULL, "", "dmarc=fail");
	/* the pass only inside a comment or a quoted value */
	refused("auth_opendmarc.eml", NULL, "dmarc=pass (p=reject dis=none)",
	    "dmarc=fail (dmarc=pass; p=reject)", "mx.example.test",
	    "dmarc=fail");
	refused("auth_opendmarc.eml", NULL, "dmarc=pass (p=reject dis=none)",
	    "spf=fail smtp.mailfrom=\"x;dmarc=pass;\"@evil.example; "
	    "dmarc=fail", "mx.example.test", "dmarc=fail");
}

/* A reason never carries the header's raw bytes into a log line. */
static void
test_reason_is_clean(void **state)
{
	char *w = why("auth_opendmarc.eml", NULL,
	    "header.from=di.example.test", "header.from=ev\x01il.example\x1b[2J",
	    "mx.example.test");

	assert_non_null(w);
	assert_non_null(strstr(w, "ev?il.example?[2J"));
	free(w);
}

/* No or two From fields, or one that is not one mailbox, are named. */
static void
test_ambiguous_sender(void **state)
{
	char *raw = corpus("auth_rspamd.eml", "From: eve@evil.example\r\n",
	    NULL, NULL);
	struct mail *m = mail_parse(raw, strlen(raw), 0);

	assert_string_equal(screen_ambiguous_sender(m),
	    "more than one From field");
	assert_false(screen_dmarc_pass(m, "mx.example.test"));
	mail_free(m);
	free(raw);
	raw = corpus("auth_rspamd.eml", NULL, FROM,
	    "From: anne@di.example.test (x) eve@evil.example");
	m = mail_parse(raw, strlen(raw), 0);
	assert_string_equal(screen_ambiguous_sender(m),
	    "text after the address");
	refused("auth_rspamd.eml", NULL, FROM,
	    "From: anne@di.example.test (x) eve@evil.example",
	    "mx.example.test", "no From address");
	mail_free(m);
	free(raw);
	raw = corpus("auth_rspamd.eml", NULL, NULL, NULL);
	m = mail_parse(raw, strlen(raw), 0);
	assert_null(screen_ambiguous_sender(m));
	mail_free(m);
	free(raw);
}

/* A field a message has once, twice: the copy added above a signed mail. */
static void
test_duplicate_field(void **state)
{
	static const char *const twice[] = {
	    "Subject: VOTE\r\nFrom: a@b.example\r\nSubject: lunch\r\n\r\nx",
	    "Message-ID: <1@x>\r\nFrom: a@b.example\r\nmessage-id : <2@x>"
	    "\r\n\r\nx",
	    "To: a@b.example\r\nTO: c@d.example\r\nFrom: a@b.example\r\n\r\nx",
	};
	const char *once = "Subject: x\r\nFrom: a@b.example\r\nReceived: a\r\n"
	    "Received: b\r\nDelivered-To: p@x\r\nDelivered-To: p@x\r\n\r\nx";
	struct mail *m;

	(void)state;
	for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
		m = mail_parse(twice[i], strlen(twice[i]), 0);
		assert_non_null(m);
		assert_non_null(screen_duplicate_field(m));
		mail_free(m);
	}
	m = mail_parse(once, strlen(once), 0);
	assert_null(screen_duplicate_field(m));
	mail_free(m);
}

/* To or Cc names the pact or a subaddress of it, nothing that looks so. */
static void
test_addressed_to(void **state)
{
	static const struct { const char *to; int yes; } cases[] = {
		{ "pagt@example.test", 1 },
		{ "PAGT@Example.Test", 1 },
		{ "pagt+v-abc@example.test", 1 },
		{ "eve@evil.example.test, pagt@example.test", 1 },
		{ "eve@evil.example.test", 0 },
		{ "pagtx@example.test", 0 },
		{ "pagt@example.test.evil.example", 0 },
		{ "pagt-v-abc@example.test", 0 },
	};
	char raw[256];
	struct mail *m;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(raw, sizeof raw, "From: a@b.example\r\nTo: %s\r\n"
		    "\r\nx", cases[i].to);
		m = mail_parse(raw, strlen(raw), 0);
		assert_int_equal(screen_addressed_to(m, "pagt@example.test",
		    "+"), cases[i].yes);
		mail_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_shapes),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_dkim),
		cmocka_unit_test(test_spf_alone),
		cmocka_unit_test(test_position),
		cmocka_unit_test(test_reason_is_clean),
		cmocka_unit_test(test_ambiguous_sender),
		cmocka_unit_test(test_duplicate_field),
		cmocka_unit_test(test_addressed_to),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
