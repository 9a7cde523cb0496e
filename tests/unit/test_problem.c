/* Unit tests: the sentences of replies' problems, read from the project's
 * templates/LANG/problems.txt as a rejected sender reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "kind.h"
#include "log.h"
#include "problem.h"
#include "util.h"

static struct config conf;
static struct pact pact = { .conf = &conf };

static struct submission
sub_in(const char *lang)
{
	struct submission s;

	memset(&s, 0, sizeof s);
	s.pact = &pact;
	s.lang = lang;
	return s;
}

static void
expect(const char *want, const char *got)
{
	assert_non_null(got);
	assert_string_equal(got, want);
}

/* Values in both languages, on one line. */
static void
test_sentences(void **state)
{
	struct submission da = sub_in("da"), en = sub_in("en");
	char *s;

	conf.templates = "../../templates";
	s = problem_text(&en, "no-ballot", "ref", "PAGT-2026-0001", NULL);
	expect("there is no ballot PAGT-2026-0001", s);
	free(s);
	s = problem_text(&da, "no-ballot", "ref", "PAGT-2026-0001", NULL);
	expect("der er ingen afstemning PAGT-2026-0001", s);
	free(s);
	s = problem_text(&en, "nomination-open", "cvr", "10150817", "ref",
	    "PAGT-2026-0002", NULL);
	expect("there already is an open nomination for CVR 10150817: "
	    "PAGT-2026-0002", s);
	free(s);
	s = problem_text(&da, "bad-contact", "value", "a {{b}} <c>", NULL);
	expect("\"a {{b}} <c>\" er ikke en kontakt (Navn <adresse> "
	    "eller en adresse)", s);
	free(s);
	/* A language pactd has no templates for is answered in Danish. */
	s = problem_text(&(struct submission){ .pact = &pact, .lang = "xx" },
	    "comment-empty", NULL);
	expect("kommentaren er tom", s);
	free(s);
}

/* A problem refuses the submission. */
static void
test_add(void **state)
{
	struct submission en = sub_in("en");
	struct answer ans;

	memset(&ans, 0, sizeof ans);
	conf.templates = "../../templates";
	ans.verdict = VERDICT_ACCEPTED;
	problem_add(&en, &ans, "field-missing", "field", "Title", NULL);
	assert_int_equal(ans.verdict, VERDICT_REJECTED);
	assert_int_equal(ans.problems.n, 1);
	assert_string_equal(ans.problems.v[0],
	    "the field \"Title\" is missing");
	strv_free(&ans.problems);
}

/* A key the file lacks, or no file at all, still says something. */
static void
test_missing(void **state)
{
	struct submission en = sub_in("en");
	char *s;

	conf.templates = "../../templates";
	s = problem_text(&en, "no-such-key", NULL);
	expect("no-such-key", s);
	free(s);
	conf.templates = "/nonexistent";
	s = problem_text(&en, "no-ballot", "ref", "x", NULL);
	expect("no-ballot", s);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_missing),
	};

	log_init("test_problem", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
