/* Subject parsing: prefixes, tags, keywords, automatic replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kind.h"
#include "subject.h"

struct kwcase {
	const char	*subject;
	const char	*kw;	/* the keyword found, in English */
	const char	*lang;
	const char	*rest;
};

static const struct kwcase kwcases[] = {
	{ "ERKLÆRING", "DECLARATION", "da", "ERKLÆRING" },
	{ "Erklæring fra DI", "DECLARATION", "da", "Erklæring fra DI" },
	{ "erklæring", "DECLARATION", "da", "erklæring" },
	{ "ERKLAERING", "DECLARATION", "da", "ERKLAERING" },
	{ "Erklaering: DI", "DECLARATION", "da", "Erklaering: DI" },
	{ "DECLARATION", "DECLARATION", "en", "DECLARATION" },
	{ "declaration - DI", "DECLARATION", "en", "declaration - DI" },
	{ "INDSTILLING", "NOMINATION", "da", "INDSTILLING" },
	{ "Indstilling: Firma A/S", "NOMINATION", "da",
	    "Indstilling: Firma A/S" },
	{ "NOMINATION", "NOMINATION", "en", "NOMINATION" },
	{ "INITIATIV", "INITIATIVE", "da", "INITIATIV" },
	{ "Initiativ: ny portal", "INITIATIVE", "da", "Initiativ: ny portal" },
	{ "INITIATIVE", "INITIATIVE", "en", "INITIATIVE" },
	{ "initiative: new portal", "INITIATIVE", "en",
	    "initiative: new portal" },
	{ "Initiativer 2026", NULL, NULL, "Initiativer 2026" },
	{ "ÅRSSTATUS 2026", "ANNUAL STATUS", "da", "ÅRSSTATUS 2026" },
	{ "årsstatus", "ANNUAL STATUS", "da", "årsstatus" },
	{ "AARSSTATUS", "ANNUAL STATUS", "da", "AARSSTATUS" },
	{ "Aarsstatus 2026", "ANNUAL STATUS", "da", "Aarsstatus 2026" },
	{ "ANNUAL STATUS", "ANNUAL STATUS", "en", "ANNUAL STATUS" },
	{ "Annual  status 2026", "ANNUAL STATUS", "en", "Annual  status 2026" },
	{ "Annual", NULL, NULL, "Annual" },
	{ "KOMMENTAR", "COMMENT", "da", "KOMMENTAR" },
	{ "Kommentar til årsstatus", "COMMENT", "da",
	    "Kommentar til årsstatus" },
	{ "COMMENT", "COMMENT", "en", "COMMENT" },
	{ "MØDE", "MEETING", "da", "MØDE" },
	{ "møde: halvårligt møde", "MEETING", "da", "møde: halvårligt møde" },
	{ "MOEDE", "MEETING", "da", "MOEDE" },
	{ "Moede i juni", "MEETING", "da", "Moede i juni" },
	{ "Mødeindkaldelse", NULL, NULL, "Mødeindkaldelse" },
	{ "MØDER", NULL, NULL, "MØDER" },
	{ "MEETING", "MEETING", "en", "MEETING" },
	{ "Meeting: spring", "MEETING", "en", "Meeting: spring" },
	{ "Meetings", NULL, NULL, "Meetings" },
	{ "UDMELDELSE", "WITHDRAWAL", "da", "UDMELDELSE" },
	{ "WITHDRAWAL", "WITHDRAWAL", "en", "WITHDRAWAL" },
	{ "OVERBLIK", "OVERVIEW", "da", "OVERBLIK" },
	{ "overview", "OVERVIEW", "en", "overview" },
	{ "HJÆLP", "HELP", "da", "HJÆLP" },
	{ "hjælp", "HELP", "da", "hjælp" },
	{ "HJAELP", "HELP", "da", "HJAELP" },
	{ "Help!", "HELP", "en", "Help!" },
	{ "HELP", "HELP", "en", "HELP" },
	{ "", NULL, NULL, "" },
	{ "   ", NULL, NULL, "" },
	{ "Hej", NULL, NULL, "Hej" },
	{ "Erklæringen", NULL, NULL, "Erklæringen" },
};

/* The English keyword of the kind found, "none" without. */
static const char *
kw_en(const struct subject *sj)
{
	return sj->kind != NULL ? keyword_name(sj->kind, "en") : "none";
}

/* The keyword a case wants, "none" for NULL. */
static const char *
kw_want(const char *kw)
{
	return kw != NULL ? kw : "none";
}

static void
test_keywords(void **state)
{
	struct subject sj;
	size_t i;

	for (i = 0; i < nitems(kwcases); i++) {
		subject_parse(kwcases[i].subject, &sj);
		if (strcmp(kw_en(&sj), kw_want(kwcases[i].kw)) != 0)
			fail_msg("\"%s\": keyword %s, want %s",
			    kwcases[i].subject, kw_en(&sj),
			    kw_want(kwcases[i].kw));
		if (kwcases[i].lang == NULL)
			assert_null(sj.lang);
		else
			assert_string_equal(sj.lang, kwcases[i].lang);
		assert_string_equal(sj.rest, kwcases[i].rest);
		assert_null(sj.ref);
		assert_int_equal(sj.tags.n, 0);
		subject_free(&sj);
	}
}

struct prefcase {
	const char	*subject;
	const char	*kw;	/* the keyword found, in English */
	const char	*rest;
	const char	*tags;	/* joined with "|" */
};

static const struct prefcase prefcases[] = {
	{ "Re: ERKLÆRING", "DECLARATION", "ERKLÆRING", "" },
	{ "SV: Re: [PAGT-2026-0007] Ja", NULL, "Ja", "PAGT-2026-0007" },
	{ "Sv:Erklæring", "DECLARATION", "Erklæring", "" },
	{ "RE : INDSTILLING", "NOMINATION", "INDSTILLING", "" },
	{ "AW: WG: Fwd: Fw: VS: Vedr.: INITIATIV", "INITIATIVE", "INITIATIV",
	    "" },
	{ "vedr.: møde", "MEETING", "møde", "" },
	{ "fwd:fw:re:sv: help", "HELP", "help", "" },
	{ "[EXTERNAL] Re: [PAGT-2026-0007] SV: Nej", NULL, "Nej",
	    "EXTERNAL|PAGT-2026-0007" },
	{ "Re: [EXTERNAL] SV: [PAGT-2026-0012] INITIATIVE", "INITIATIVE",
	    "INITIATIVE", "EXTERNAL|PAGT-2026-0012" },
	{ "[ EXTERNAL ][pagt-2026-0001]OVERBLIK", "OVERVIEW", "OVERBLIK",
	    "EXTERNAL|PAGT-2026-0001" },
	{ "Re[2]: Re(3): HJÆLP", "HELP", "HJÆLP", "" },
	{ "  Re:   ", NULL, "", "" },
	{ "Rejse: ERKLÆRING", NULL, "Rejse: ERKLÆRING", "" },
	{ "[unterminated ERKLÆRING", NULL, "[unterminated ERKLÆRING", "" },
	{ "SV: [PAGT-2026-0007] Afstemning: indstilling af Firma A/S",
	    NULL, "Afstemning: indstilling af Firma A/S",
	    "PAGT-2026-0007" },
};

static void
check_tags(const struct subject *sj, const char *want)
{
	char joined[512] = "";
	size_t i, n = 0;

	for (i = 0; i < sj->tags.n; i++) {
		n += (size_t)snprintf(joined + n, sizeof joined - n, "%s%s",
		    i ? "|" : "", sj->tags.v[i]);
		assert_true(n < sizeof joined);
	}
	assert_string_equal(joined, want);
}

static void
test_prefixes(void **state)
{
	struct subject sj;
	size_t i;

	for (i = 0; i < nitems(prefcases); i++) {
		subject_parse(prefcases[i].subject, &sj);
		if (strcmp(kw_en(&sj), kw_want(prefcases[i].kw)) != 0)
			fail_msg("\"%s\": keyword %s, want %s",
			    prefcases[i].subject, kw_en(&sj),
			    kw_want(prefcases[i].kw));
		assert_string_equal(sj.rest, prefcases[i].rest);
		check_tags(&sj, prefcases[i].tags);
		subject_free(&sj);
	}
}

struct refcase {
	const char	*subject;
	const char	*kw;	/* the keyword found, in English */
	const char	*lang;
	const char	*ref;
};

static const struct refcase refcases[] = {
	{ "MØDE ÆNDRING PAGT-2026-0007", "MEETING UPDATE", "da",
	    "PAGT-2026-0007" },
	{ "møde ændring pagt-2026-0007", "MEETING UPDATE", "da",
	    "PAGT-2026-0007" },
	{ "MOEDE AENDRING PAGT-2026-0007", "MEETING UPDATE", "da",
	    "PAGT-2026-0007" },
	{ "MEETING UPDATE PAGT-2026-0012", "MEETING UPDATE", "en",
	    "PAGT-2026-0012" },
	{ "Meeting  update: PAGT-2026-0012 new room", "MEETING UPDATE", "en",
	    "PAGT-2026-0012" },
	{ "MØDE AFLYS PAGT-2026-0007", "MEETING CANCEL", "da",
	    "PAGT-2026-0007" },
	{ "MØDE AFLYS [PAGT-2026-0007]", "MEETING CANCEL", "da",
	    "PAGT-2026-0007" },
	{ "MEETING CANCEL PAGT-2027-0001", "MEETING CANCEL", "en",
	    "PAGT-2027-0001" },
	{ "Re: [PAGT-2026-0009] MØDE AFLYS", "MEETING CANCEL", "da",
	    "PAGT-2026-0009" },
	{ "MØDE ÆNDRING", "MEETING UPDATE", "da", NULL },
	{ "MØDE ÆNDRING PAGT-26-7", "MEETING UPDATE", "da", NULL },
	{ "MØDE ÆNDRING PAGT-2026-00071234", "MEETING UPDATE", "da", NULL },
	{ "MØDE ÆNDRINGER", "MEETING", "da", NULL },
	{ "MEETING: update", "MEETING", "en", NULL },
};

static void
test_refs(void **state)
{
	struct subject sj;
	size_t i;

	for (i = 0; i < nitems(refcases); i++) {
		subject_parse(refcases[i].subject, &sj);
		if (strcmp(kw_en(&sj), kw_want(refcases[i].kw)) != 0)
			fail_msg("\"%s\": keyword %s, want %s",
			    refcases[i].subject, kw_en(&sj),
			    kw_want(refcases[i].kw));
		assert_string_equal(sj.lang, refcases[i].lang);
		if (refcases[i].ref == NULL)
			assert_null(sj.ref);
		else
			assert_string_equal(sj.ref, refcases[i].ref);
		subject_free(&sj);
	}
}

static void
test_ref_tag(void **state)
{
	struct subject sj;

	subject_parse("SV: [EXTERNAL] [PAGT-2026-0007] [PAGT-2026-0008] Ja", &sj);
	assert_string_equal(subject_ref_tag(&sj), "PAGT-2026-0007");
	subject_free(&sj);
	subject_parse("[EXTERNAL] [PAGT-2026] Ja", &sj);
	assert_null(subject_ref_tag(&sj));
	subject_free(&sj);
	subject_parse(NULL, &sj);
	assert_null(sj.kind);
	assert_string_equal(sj.rest, "");
	assert_null(subject_ref_tag(&sj));
	subject_free(&sj);

	assert_true(subject_is_ref("PAGT-2026-0007"));
	assert_true(subject_is_ref("pagt-2026-0007"));
	assert_false(subject_is_ref("PAGT-2026-007"));
	assert_false(subject_is_ref("PAGT-2026-0007x"));
	assert_false(subject_is_ref("PAGT-20x6-0007"));
	assert_false(subject_is_ref(""));
}

static void
test_autoreply(void **state)
{
	static const char *yes[] = {
		"Autosvar: [PAGT-2026-0007] Afstemning",
		"Automatisk svar: Afstemning",
		"Automatic reply: Ballot",
		"Out of Office: Ballot",
		"Out of office: ballot",
		"OUT OF OFFICE",
		"out of office",
		"  Fraværende: Afstemning",
		"FRAVÆRENDE",
		"Fravaerende",
		"AUTOSVAR",
	};
	static const char *no[] = {
		"Re: Out of office", "Ja", "", "Automat", "Out of the office",
		"SV: [PAGT-2026-0007] Ja",
	};
	size_t i;

	for (i = 0; i < nitems(yes); i++)
		if (!subject_is_autoreply(yes[i]))
			fail_msg("\"%s\" should be automatic", yes[i]);
	for (i = 0; i < nitems(no); i++)
		if (subject_is_autoreply(no[i]))
			fail_msg("\"%s\" should not be automatic", no[i]);
	assert_false(subject_is_autoreply(NULL));
}

/* The kind whose keyword starts a subject, or NULL. */
static const struct kind *
kind_of(const char *subject)
{
	struct subject sj;
	const struct kind *k;

	subject_parse(subject, &sj);
	k = sj.kind;
	subject_free(&sj);
	return k;
}

static void
test_keyword_name(void **state)
{
	assert_string_equal(keyword_name(kind_of("ERKLÆRING"), "da"),
	    "ERKLÆRING");
	assert_string_equal(keyword_name(kind_of("erklaering"), "en"),
	    "DECLARATION");
	assert_string_equal(keyword_name(kind_of("NOMINATION"), NULL),
	    "INDSTILLING");
	assert_string_equal(keyword_name(kind_of("INITIATIVE"), "da"),
	    "INITIATIV");
	assert_string_equal(keyword_name(kind_of("Initiativ"), "en"),
	    "INITIATIVE");
	assert_string_equal(keyword_name(kind_of("ANNUAL STATUS"), "da"),
	    "ÅRSSTATUS");
	assert_string_equal(keyword_name(kind_of("aarsstatus"), "en"),
	    "ANNUAL STATUS");
	assert_string_equal(keyword_name(kind_of("COMMENT"), "da"),
	    "KOMMENTAR");
	assert_string_equal(keyword_name(kind_of("MEETING"), "da"), "MØDE");
	assert_string_equal(keyword_name(kind_of("MEETING UPDATE"), "da"),
	    "MØDE ÆNDRING");
	assert_string_equal(keyword_name(kind_of("møde ændring"), "en"),
	    "MEETING UPDATE");
	assert_string_equal(keyword_name(kind_of("MEETING CANCEL"), "da"),
	    "MØDE AFLYS");
	assert_string_equal(keyword_name(kind_of("MØDE AFLYS"), "en"),
	    "MEETING CANCEL");
	assert_string_equal(keyword_name(kind_of("WITHDRAWAL"), "da"),
	    "UDMELDELSE");
	assert_string_equal(keyword_name(kind_of("OVERBLIK"), "en"),
	    "OVERVIEW");
	assert_string_equal(keyword_name(kind_of("HELP"), "da"), "HJÆLP");
	assert_string_equal(keyword_name(kind_of("hjælp"), "en"), "HELP");
	assert_string_equal(keyword_name(NULL, "da"), "");
}

static void
test_fold(void **state)
{
	assert_int_equal(fold_prefix("Målsætninger:", "MAALSAETNINGER"),
	    strlen("Målsætninger"));
	assert_int_equal(fold_prefix("MAALSAETNINGER", "Målsætninger"),
	    strlen("MAALSAETNINGER"));
	assert_int_equal(fold_prefix("ØÆÅ", "øæå"), strlen("ØÆÅ"));
	assert_int_equal(fold_prefix("Møde", "MØDE ÆNDRING"), 0);
	assert_int_equal(fold_prefix("MØD", "MØDE"), 0);
	assert_int_equal(fold_prefix("\xc3", "A"), 0);
	assert_int_equal(fold_prefix("é", "É"), strlen("é"));
}

/* Long and junk subjects end without harm. */
static void
test_hostile(void **state)
{
	struct subject sj;
	size_t n = 1 << 20, i;
	char *s = xmalloc(n + 1);

	for (i = 0; i < n; i++)
		s[i] = "Re: "[i % 4];
	s[n] = '\0';
	subject_parse(s, &sj);
	assert_null(sj.kind);
	subject_free(&sj);
	for (i = 0; i < n; i++)
		s[i] = "[[x]"[i % 4];
	subject_parse(s, &sj);
	subject_free(&sj);
	memset(s, '[', n);
	subject_parse(s, &sj);
	subject_free(&sj);
	for (i = 0; i < n; i++)
		s[i] = (char)(1 + (i * 7919) % 255);
	subject_parse(s, &sj);
	subject_free(&sj);
	(void)subject_is_autoreply(s);
	memset(s, 0xc3, n);
	subject_parse(s, &sj);
	subject_free(&sj);
	free(s);
}

/* A reply's subject: the keyword in normal case, the rest as written. */
static void
expect_normal(const char *in, const char *want)
{
	char *out = subject_normal_case(in);

	assert_string_equal(out, want);
	free(out);
}

static void
test_normal_case(void **state)
{
	expect_normal("ERKLÆRING", "Erklæring");
	expect_normal("ERKLÆRING for DI, VERSION 2", "Erklæring for DI, VERSION 2");
	expect_normal("erklaering", "Erklæring");
	expect_normal("ÅRSSTATUS 2026", "Årsstatus 2026");
	expect_normal("MØDE   AFLYS PAGT-2026-0004", "Møde aflys PAGT-2026-0004");
	expect_normal("MØDE ÆNDRING PAGT-2026-0004", "Møde ændring PAGT-2026-0004");
	expect_normal("ANNUAL STATUS 2026", "Annual status 2026");
	expect_normal("HJÆLP", "Hjælp");
	expect_normal("SV: [PAGT-2026-0003] INDSTILLING",
	    "SV: [PAGT-2026-0003] Indstilling");
	expect_normal("Re: [PAGT-2026-0003] Afstemning: optagelse af ACME",
	    "Re: [PAGT-2026-0003] Afstemning: optagelse af ACME");
	expect_normal("HJÆLPSOMME MENNESKER", "HJÆLPSOMME MENNESKER");
	expect_normal("", "");
	expect_normal(NULL, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_ref_tag),
		cmocka_unit_test(test_autoreply),
		cmocka_unit_test(test_keyword_name),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_normal_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
