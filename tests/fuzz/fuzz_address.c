/*
 * libFuzzer target: a From header value read strictly (address_parse) and
 * an Authentication-Results value judged for it (screen_dmarc_why). The
 * input's first line is the From value, the rest the A-R value. A mailbox
 * read is one addr-spec with a domain, valid UTF-8 without control
 * characters or white space; a reason is printable (address.h, screen.h).
 */
#include "address.h"
#include "fuzz.h"
#include "mime.h"
#include "screen.h"

/* Whether s holds no control character and, with space = 0, no blank. */
static int
printable(const char *s, int space)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (!space && *s == ' '))
			return 0;
	return 1;
}

/* The mailbox's promises. */
static void
check_address(const char *value)
{
	struct address a;
	const char *why = NULL;

	if (address_parse(value, &a, &why) != 0) {
		FUZZ_CHECK(why != NULL && a.addr == NULL, "a refusal says why");
		return;
	}
	FUZZ_CHECK(fuzz_utf8(a.addr) && printable(a.addr, a.addr[0] == '"'),
	    "the address is UTF-8 without controls, blanks only in quotes");
	FUZZ_CHECK(address_domain(a.addr) != NULL, "the address has a domain");
	FUZZ_CHECK(strchr(address_domain(a.addr), '"') == NULL,
	    "the domain is outside the quotes");
	FUZZ_CHECK(a.name == NULL || (fuzz_utf8(a.name) &&
	    printable(a.name, 1)), "the name is UTF-8 without controls");
	address_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *nl = strchr(s, '\n'), *raw, *why;
	struct mail *m;

	if (nl != NULL)
		*nl = '\0';
	check_address(s);
	raw = xasprintf("From: %s\nAuthentication-Results: %s\n\nx\n", s,
	    nl != NULL ? nl + 1 : "");
	if ((m = mail_parse(raw, strlen(raw), 0)) != NULL) {
		for (size_t i = 0; i < 2; i++) {
			why = screen_dmarc_why(m, i ? "" : "mx.example.test");
			FUZZ_CHECK(why == NULL || printable(why, 1),
			    "the reason is printable");
			free(why);
		}
		mail_free(m);
	}
	free(raw);
	free(s);
	return 0;
}
