/* The kinds as their own files describe them, and how a mail is found to
 * be one: by reply token, by subject keyword, else HELP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kind.h"
#include "subject.h"

/* Whether templates/LANG/NAME exists, from tests/unit where tests run. */
static int
template_exists(const char *lang, const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "../../templates/%s/%s", lang, name);
	return access(path, R_OK) == 0;
}

/* Every entry is whole: a name, a handler, senders, a way to be found. */
static void
test_entries(void **state)
{
	const struct kind *const *k;
	size_t n;

	k = kind_list(&n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct kind *e = k[i];

		assert_non_null(e->name);
		assert_non_null(e->handle);
		assert_int_not_equal(e->roles, 0);
		/* a keyword in both languages or in none */
		assert_int_equal(e->keyword.da == NULL, e->keyword.en == NULL);
		if (e->keyword.da == NULL) {
			/* a reply: found by token or claimed, and titled */
			assert_true(e->token != '\0' || e->claims != NULL);
			assert_non_null(e->title.da);
			assert_non_null(e->title.en);
		}
		if (e->form != NULL && (!template_exists("da", e->form) ||
		    !template_exists("en", e->form)))
			fail_msg("%s: no template %s", e->name, e->form);
	}
}

/* A token letter names one kind; a keyword parses back to its kind. */
static void
test_unique(void **state)
{
	const struct kind *const *k;
	struct subject sj;
	size_t n;

	k = kind_list(&n);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			if (k[i]->token != '\0' && k[i]->token == k[j]->token)
				fail_msg("%s and %s share the token letter %c",
				    k[i]->name, k[j]->name, k[i]->token);
		if (k[i]->keyword.da == NULL)
			continue;
		subject_parse(k[i]->keyword.da, &sj);
		assert_ptr_equal(sj.kind, k[i]);
		subject_free(&sj);
		subject_parse(k[i]->keyword.en, &sj);
		assert_ptr_equal(sj.kind, k[i]);
		subject_free(&sj);
	}
}

/* The kind kind_decide picks for a subject and maybe a token letter. */
static const char *
decided(const char *subject, char token)
{
	struct mail m = { 0 };
	struct submission sub = { 0 };
	const struct kind *k;

	sub.mail = &m;
	sub.lang = "da";
	subject_parse(subject, &sub.subj);
	if (token != '\0') {
		sub.has_tok = 1;
		sub.tok.kind = token;
	}
	k = kind_decide(&sub);
	subject_free(&sub.subj);
	return k->name;
}

static void
test_decide(void **state)
{
	assert_string_equal(decided("ERKLÆRING", 0), "declaration");
	assert_string_equal(decided("Re: ANNUAL STATUS 2026", 0), "status");
	assert_string_equal(decided("MØDE AFLYS PAGT-2026-0004", 0), "meeting");
	assert_string_equal(decided("Kommentar", 0), "comment");
	/* a reply token wins over what the subject says */
	assert_string_equal(decided("Re: [PAGT-2026-0007] Ja", 'v'), "vote");
	assert_string_equal(decided("ERKLÆRING", 'v'), "vote");
	assert_string_equal(decided("Re: Årsstatus 2026", 'c'), "comment");
	assert_string_equal(decided("SV: Møde", 'm'), "rsvp");
	/* anything else is answered with HELP */
	assert_string_equal(decided("Hej", 0), "help");
	assert_string_equal(decided("", 0), "help");
}

/* The first kind in the list with this name. */
static const struct kind *
listed(const char *name)
{
	const struct kind *const *k;
	size_t n;

	k = kind_list(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i]->name, name) == 0)
			return k[i];
	fail_msg("no kind %s", name);
	return NULL;
}

/* What "... cannot be sent by you" names: the keyword, or the title. */
static void
test_title(void **state)
{
	struct subject sj;

	subject_parse("MØDE ÆNDRING PAGT-2026-0004", &sj);
	assert_string_equal(kind_title(sj.kind, "da"), "MØDE ÆNDRING");
	assert_string_equal(kind_title(sj.kind, "en"), "MEETING UPDATE");
	subject_free(&sj);
	assert_string_equal(kind_title(listed("comment"), "en"), "COMMENT");
	assert_string_equal(kind_title(listed("vote"), "da"), "En stemme");
	assert_string_equal(kind_title(listed("vote"), "en"), "A vote");
	assert_string_equal(kind_title(listed("rsvp"), "en"),
	    "An answer to an invitation");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_title),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
