/*
 * libFuzzer target: a raw message read as a delivery report, as pactd
 * reads every mail before deciding on it. Besides memory errors it checks
 * what bounce.h promises: a report that names a mail has a status, and
 * the diagnostic is one bounded line.
 */
#include "bounce.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	struct bounce b;
	struct mail *m;
	int r;

	c.address = "pagt@example.test";
	c.subaddress_separator = "+";
	m = mail_parse((const char *)data, size, 1 << 20);
	if (m == NULL)
		return 0;
	r = bounce_read(&c, m, &b);
	FUZZ_CHECK(!r || b.status != NULL, "a matched report has a status");
	FUZZ_CHECK(!r || b.failed, "a matched report is a failure");
	FUZZ_CHECK(b.diagnostic == NULL || (strchr(b.diagnostic, '\n') ==
	    NULL && strlen(b.diagnostic) <= BOUNCE_MAX_TEXT + 3),
	    "diagnostic is one bounded line");
	FUZZ_CHECK(b.diagnostic == NULL || fuzz_utf8(b.diagnostic),
	    "diagnostic is UTF-8");
	FUZZ_CHECK(b.rcpt == NULL || fuzz_utf8(b.rcpt), "recipient is UTF-8");
	FUZZ_CHECK(b.envid == NULL || strchr(b.envid, '@') == NULL,
	    "envid is the detail alone");
	bounce_free(&b);
	mail_free(m);
	return 0;
}
