/* Reply tokens: the one format a mail carries them in (Reply-To
 * subaddress, Message-ID, footer), and token_find reading each back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime.h"
#include "store.h"
#include "token.h"
#include "util.h"

#define WORD	"abcdefghijklmnopqrstuvwxyz"	/* 26 base32 letters */

struct fixture {
	char path[64];
	struct store *s;
	struct config c;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	char *cause = NULL;
	int fd;

	snprintf(f->path, sizeof f->path, "/tmp/pactd-test-token-XXXXXX");
	if ((fd = mkstemp(f->path)) < 0)
		return -1;
	close(fd);
	unlink(f->path);
	if ((f->s = store_open(f->path, 0, &cause)) == NULL) {
		fprintf(stderr, "store_open: %s\n", cause);
		return -1;
	}
	f->c.address = "pagt@example.test";
	f->c.subaddress_separator = "+";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	store_close(f->s);
	unlink(f->path);
	snprintf(side, sizeof side, "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

/* SPEC section 4's examples, written by the one builder. */
static void
test_format(void **state)
{
	struct fixture *f = *state;
	struct token_mail tm;

	tm = token_mail(&f->c, 'v', WORD, "PAGT-2026-0007", "", 2);
	assert_string_equal(tm.detail, "v-" WORD);
	assert_string_equal(tm.reply_to, "pagt+v-" WORD "@example.test");
	assert_string_equal(tm.message_id,
	    "v-" WORD ".PAGT-2026-0007.2@example.test");
	token_mail_free(&tm);
	assert_null(tm.message_id);

	tm = token_mail(&f->c, 'v', WORD, "PAGT-2026-0007", "r", 1);
	assert_string_equal(tm.message_id,
	    "v-" WORD ".PAGT-2026-0007.r1@example.test");
	token_mail_free(&tm);

	f->c.subaddress_separator = "-";
	tm = token_mail(&f->c, 'm', WORD, "PAGT-2026-0012", "", 3);
	assert_string_equal(tm.reply_to, "pagt-m-" WORD "@example.test");
	assert_string_equal(tm.message_id,
	    "m-" WORD ".PAGT-2026-0012.3@example.test");
	token_mail_free(&tm);
	f->c.subaddress_separator = "+";
}

/* Issue a token under a fixed word, as token_issue would with a random
 * one, so that the test can write the mails a client sends back. */
static void
issue(struct fixture *f, char kind, const char *word, const char *ref)
{
	char *sql, *cause = NULL;

	sql = xasprintf("INSERT INTO tokens(token, kind, ref, addr) VALUES("
	    "'%s', '%c', '%s', 'a@example.test')", word, kind, ref);
	if (store_exec(f->s, sql, &cause) != 0)
		fail_msg("%s", cause);
	free(sql);
}

/* The ref of the token token_find finds in a reply, or NULL. */
static char *
found(struct fixture *f, const char *rcpt, const char *irt, const char *text)
{
	struct mail m = { 0 };
	struct token t;
	char *ref = NULL;

	if (rcpt != NULL)
		strv_add(&m.recipients, rcpt);
	m.in_reply_to = (char *)irt;
	m.text = (char *)text;
	if (token_find(&f->c, f->s, &m, &t)) {
		ref = xasprintf("%c %s", t.kind, t.ref);
		token_free(&t);
	}
	strv_free(&m.recipients);
	return ref;
}

static void
expect(char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

/* What the builder writes, token_find reads back from each place. */
static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct token_mail tm;
	char *irt, *footer;

	issue(f, 'v', WORD, "PAGT-2026-0007");
	tm = token_mail(&f->c, 'v', WORD, "PAGT-2026-0007", "", 1);
	irt = xasprintf("<%s>", tm.message_id);
	footer = xasprintf("> Ref: PAGT-2026-0007/%s\n", tm.detail);
	expect(found(f, tm.reply_to, NULL, ""), "v PAGT-2026-0007");
	expect(found(f, NULL, irt, ""), "v PAGT-2026-0007");
	expect(found(f, NULL, NULL, footer), "v PAGT-2026-0007");
	/* the same word under another letter was never issued */
	expect(found(f, "pagt+c-" WORD "@example.test", NULL, ""), NULL);
	/* another domain's subaddress is not the pact's */
	expect(found(f, "pagt+v-" WORD "@example.org", NULL, ""), NULL);
	expect(found(f, NULL, NULL, "Ja\n"), NULL);
	free(footer);
	free(irt);
	token_mail_free(&tm);
}

/* A new reply kind's letter is found without token.c knowing it. */
static void
test_any_letter(void **state)
{
	struct fixture *f = *state;
	struct token_mail tm;

	issue(f, 's', "bcdefghijklmnopqrstuvwxyz2", "PAGT-2026-0020");
	tm = token_mail(&f->c, 's', "bcdefghijklmnopqrstuvwxyz2",
	    "PAGT-2026-0020", "", 1);
	expect(found(f, tm.reply_to, NULL, ""), "s PAGT-2026-0020");
	token_mail_free(&tm);
}

/* N of a meeting's Message-ID counts the attendee's mails queued. */
static void
test_queued(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;

	assert_int_equal(token_mails_queued(f->s, 'm', WORD), 0);
	if (store_exec(f->s, "INSERT INTO outbox(message_id, rcpt, kind, "
	    "subject, data, next_try, created) VALUES"
	    "('m-" WORD ".PAGT-2026-0012.1@example.test', 'a', 'invitation', "
	    "'s', 'd', 0, 0),"
	    "('m-" WORD ".PAGT-2026-0012.2@example.test', 'a', 'invitation', "
	    "'s', 'd', 0, 0),"
	    "('v-" WORD ".PAGT-2026-0007.1@example.test', 'a', 'ballot', "
	    "'s', 'd', 0, 0)", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(token_mails_queued(f->s, 'm', WORD), 2);
	assert_int_equal(token_mails_queued(f->s, 'v', WORD), 1);
	assert_int_equal(token_mails_queued(f->s, 'c', WORD), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_any_letter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queued, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
