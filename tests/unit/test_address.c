/* address_parse: exactly one mailbox from a From field, or a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"
#include "util.h"

struct good {
	const char *value, *addr, *name;	/* name NULL: none */
};

struct bad {
	const char *value, *why;	/* why: a part of the reason */
};

static void
check_good(const struct good *g)
{
	struct address a;
	const char *why = NULL;

	if (address_parse(g->value, &a, &why) != 0)
		fail_msg("refused [%s]: %s", g->value, why);
	if (strcmp(a.addr, g->addr) != 0)
		fail_msg("[%s]: address %s, not %s", g->value, a.addr, g->addr);
	if (g->name == NULL && a.name != NULL)
		fail_msg("[%s]: name [%s], not none", g->value, a.name);
	if (g->name != NULL && (a.name == NULL || strcmp(a.name, g->name)))
		fail_msg("[%s]: name [%s], not [%s]", g->value,
		    a.name ? a.name : "(none)", g->name);
	address_free(&a);
}

static void
check_bad(const struct bad *b)
{
	struct address a;
	const char *why = NULL;

	if (address_parse(b->value, &a, &why) == 0)
		fail_msg("accepted [%s] as %s", b->value, a.addr);
	assert_null(a.addr);
	assert_null(a.name);
	assert_non_null(why);
	if (strstr(why, b->why) == NULL)
		fail_msg("[%s]: reason [%s], expected [%s]", b->value, why,
		    b->why);
}

/* What real clients write, and what RFC 5322 allows them to. */
static void
test_one_mailbox(void **state)
{
	static const struct good cases[] = {
		{ "anne@di.example.test", "anne@di.example.test", NULL },
		{ "<anne@di.example.test>", "anne@di.example.test", NULL },
		{ "Anne Holm <anne@di.example.test>", "anne@di.example.test",
		    "Anne Holm" },
		{ "\"Holm, Anne\" <anne@di.example.test>",
		    "anne@di.example.test", "Holm, Anne" },
		/* escapes in a quoted string */
		{ "\"Anne \\\"AH\\\" Holm \\\\ DI\" <anne@di.example.test>",
		    "anne@di.example.test", "Anne \"AH\" Holm \\ DI" },
		/* obs-phrase: a dot in an unquoted name */
		{ "Anne H. Holm <anne@di.example.test>", "anne@di.example.test",
		    "Anne H. Holm" },
		/* RFC 2047, two adjacent encoded words joined */
		{ "=?UTF-8?B?U8O4cmVu?= =?iso-8859-1?Q?_=D8ster?= "
		    "<S.Oster@Example.TEST>", "s.oster@example.test",
		    "Søren Øster" },
		{ "=?utf-8?q?Anne_Holm?= <anne@di.example.test>",
		    "anne@di.example.test", "Anne Holm" },
		/* comments wherever CFWS may stand, nested too */
		{ "anne@di.example.test (Anne Holm)", "anne@di.example.test",
		    NULL },
		{ "(a) Anne (b (nested \\) c)) <(x)anne@di.example.test(y)> "
		    "(z)", "anne@di.example.test", "Anne" },
		{ "anne (c) @ (d) di.example.test", "anne@di.example.test",
		    NULL },
		{ "  \t <anne@di.example.test>  ", "anne@di.example.test",
		    NULL },
		/* upper case goes to lower case, and so matches the roster */
		{ "ANNE@DI.EXAMPLE.TEST", "anne@di.example.test", NULL },
		{ "Anne <Anne@Di.Example.Test>", "anne@di.example.test",
		    "Anne" },
		/* a quoted local part that needs no quotes loses them */
		{ "\"anne\"@di.example.test", "anne@di.example.test", NULL },
		{ "\"anne holm\"@di.example.test", "\"anne holm\"@di.example.test",
		    NULL },
		/* no control character leaves: a tab in quotes is a space */
		{ "\"anne\tholm\"@di.example.test", "\"anne holm\"@di.example.test",
		    NULL },
		{ "\"A\tH\" <a@b.test>", "a@b.test", "A H" },
		/* a display name that is itself an address: the address is
		 * the one in angle brackets */
		{ "\"anne@di.example.test\" <eve@evil.example>",
		    "eve@evil.example", "anne@di.example.test" },
		{ "\"anne@di.example.test <anne@di.example.test>\" "
		    "<eve@evil.example>", "eve@evil.example",
		    "anne@di.example.test <anne@di.example.test>" },
		{ "=?utf-8?q?anne=40di=2Eexample=2Etest?= <eve@evil.example>",
		    "eve@evil.example", "anne@di.example.test" },
		/* a quoted '@' in the local part: the domain is the last one */
		{ "\"anne@di.example.test\"@evil.example",
		    "\"anne@di.example.test\"@evil.example", NULL },
		/* look-alikes: another address, not lower-cased into a roster
		 * one (Cyrillic a, U+0430; Cyrillic A, U+0410) */
		{ "anne@di.ex\xd0\xb0mple.test", "anne@di.ex\xd0\xb0mple.test",
		    NULL },
		{ "\xd0\x90nne <\xd0\x90NNE@di.example.test>",
		    "\xd0\x90nne@di.example.test", "\xd0\x90nne" },
		/* IDN as A-label and U-label: addresses of their own */
		{ "anne@xn--d-ra.example.test", "anne@xn--d-ra.example.test",
		    NULL },
		{ "anne@d\xc3\xad.example.test", "anne@d\xc3\xad.example.test",
		    NULL },
		/* an unencoded 8-bit name as old clients send it */
		{ "S\xf8ren <s@example.test>", "s@example.test", "S\xc3\xb8ren" },
		{ "\"\" <anne@di.example.test>", "anne@di.example.test", NULL },
		{ "anne+pact@di.example.test", "anne+pact@di.example.test",
		    NULL },
	};

	for (size_t i = 0; i < nitems(cases); i++)
		check_good(&cases[i]);
}

/* Anything but exactly one mailbox, as attackers and broken mailers
 * write it. */
static void
test_refused(void **state)
{
	static const struct bad cases[] = {
		/* several addresses */
		{ "anne@di.example.test, eve@evil.example", "more than one" },
		{ "Anne <anne@di.example.test>, Eve <eve@evil.example>",
		    "more than one" },
		{ "anne@di.example.test,", "more than one" },
		{ "\"a, b\" <anne@di.example.test>, eve@evil.example",
		    "more than one" },
		/* text or a comment around a second address */
		{ "anne@di.example.test (x) eve@evil.example", "text after" },
		{ "anne@di.example.test eve@evil.example", "text after" },
		{ "anne@di.example.test <eve@evil.example>", "second <address>" },
		{ "Anne <anne@di.example.test> <eve@evil.example>",
		    "second <address>" },
		{ "Anne <anne@di.example.test> eve@evil.example",
		    "text after" },
		{ "<anne@di.example.test> (x) eve@evil.example", "text after" },
		{ "anne@di.example.test;eve@evil.example", "text after" },
		{ "Anne Holm anne@di.example.test", "no '@'" },
		/* the colon trick and groups */
		{ "anne@di.example.test:eve@evil.example", "after ':'" },
		{ "x: anne@di.example.test;", "group" },
		{ "DI: anne@di.example.test, eve@evil.example;", "group" },
		{ "undisclosed-recipients:;", "group" },
		{ "\"DI\": <anne@di.example.test>;", "group" },
		/* source routes */
		{ "<@evil.example:anne@di.example.test>", "source route" },
		{ "Anne <@a.example,@b.example:anne@di.example.test>",
		    "source route" },
		/* no address */
		{ "", "no address" },
		{ "   ", "no address" },
		{ "(only a comment)", "no address" },
		{ "Anne Holm", "without an address" },
		{ "<>", "no address" },
		{ "MAILER-DAEMON", "without an address" },
		{ "anne@", "without a domain" },
		{ "@di.example.test", "no address" },
		{ "anne@di.example.test.", "empty part" },
		{ "anne..holm@di.example.test", "empty part" },
		{ "anne@di..example.test", "empty part" },
		{ "\"\"@di.example.test", "empty local part" },
		{ "anne@[192.0.2.1]", "address literal" },
		/* broken syntax */
		{ "Anne <anne@di.example.test", "unterminated <address>" },
		{ "\"Anne <anne@di.example.test>", "unterminated quoted" },
		{ "anne@di.example.test (x", "unterminated comment" },
		{ "anne@di.example.test (x \\", "unterminated comment" },
		{ "anne@di.example.test (x (y)", "unterminated comment" },
		{ "\"a\\", "unterminated quoted" },
		{ "anne@di.example.test)", "text after" },
		{ "anne@di.example.test >", "text after" },
		{ "An\"ne <anne@di.example.test>", "unterminated" },
		{ "Anne <anne@di.example.test> \x01", "text after" },
		{ "\"An\x01ne\" <anne@di.example.test>", "control character" },
		{ "Anne (\x7f) <anne@di.example.test>", "control character" },
		/* not UTF-8 in the address */
		{ "anne@di.ex\xe6mple.test", "not valid UTF-8" },
		/* RFC 5321 lengths */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaa@di.example.test", "longer than" },
	};

	for (size_t i = 0; i < nitems(cases); i++)
		check_bad(&cases[i]);
}

/* Deep comments are refused, not recursed into. */
static void
test_deep_comments(void **state)
{
	struct buf b;
	struct bad bad = { NULL, "nested too deeply" };

	buf_init(&b);
	buf_adds(&b, "anne@di.example.test ");
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, '(');
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, ')');
	bad.value = b.s;
	check_bad(&bad);
	buf_free(&b);
}

/* Random bytes never crash and never yield more than one '@' outside
 * quotes. */
static void
test_random(void **state)
{
	static const char alphabet[] = "a@b.<>\"\\(),:; \tx=?";
	char s[40];
	unsigned seed = 4711;
	struct address a;
	const char *why;

	for (int round = 0; round < 200000; round++) {
		size_t n = round % (sizeof s - 1);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			s[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		s[n] = '\0';
		if (address_parse(s, &a, &why) == 0) {
			assert_non_null(address_domain(a.addr));
			assert_null(strchr(address_domain(a.addr), '"'));
			address_free(&a);
		} else
			assert_non_null(why);
	}
}

static void
test_domain(void **state)
{
	assert_string_equal(address_domain("anne@di.example.test"),
	    "di.example.test");
	assert_string_equal(address_domain("\"a@b\"@evil.example"),
	    "evil.example");
	assert_null(address_domain("anne"));
	assert_null(address_domain("anne@"));
	assert_null(address_domain(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_mailbox),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deep_comments),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
