/* The new text of real clients' replies, and the fields in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "body.h"
#include "subject.h"

struct ntcase {
	const char	*name;
	const char	*text;
	const char	*want;
};

static const struct ntcase ntcases[] = {
	{ "plain", "Ja\n", "Ja" },
	{ "blank lines around", "\n\n  \nJa, tak\n\n\n", "Ja, tak" },
	{ "crlf", "Ja\r\n\r\nVenlig hilsen\r\nAnne\r\n",
	    "Ja\n\nVenlig hilsen\nAnne" },
	{ "quote line",
	    "Nej\n> Afstemning om Firma A/S\n> Ref: PAGT-2026-0007/v-abc\n",
	    "Nej" },
	{ "outlook danish",
	    "Ja\n\nMvh Anne\n\n"
	    "________________________________\n"
	    "Fra: Cybersikkerhedspagten <pagt@example.test>\n"
	    "Sendt: 26. november 2026 10:00\n"
	    "Til: Anne Holm <anne@di.example.test>\n"
	    "Emne: [PAGT-2026-0007] Afstemning\n\n"
	    "Afstemning om Firma A/S\n",
	    "Ja\n\nMvh Anne" },
	{ "outlook danish bold",
	    "Ja\n\n*Fra:* Cybersikkerhedspagten <pagt@example.test>\n"
	    "*Sendt:* 26. november 2026 10:00\n*Til:* Anne\n",
	    "Ja" },
	{ "outlook english",
	    "No.\r\n\r\nFrom: Pact <pagt@example.test>\r\n"
	    "Sent: Thursday, November 26, 2026 10:00 AM\r\n"
	    "To: Bo <bo@di.example.test>\r\nSubject: Ballot\r\n\r\nBallot\r\n",
	    "No." },
	{ "outlook one line",
	    "Undlad\nFra: Pagt <pagt@example.test> Sendt: 26. nov 2026 Til: Bo\n",
	    "Undlad" },
	{ "from without sent is text",
	    "Fra: DI\nVi støtter\n", "Fra: DI\nVi støtter" },
	{ "gmail danish wrapped",
	    "Ja\n\nDen tor. 26. nov. 2026 kl. 10.00 skrev Anne Holm <\n"
	    "anne@di.example.test>:\n\n> Afstemning\n> Ref: x\n",
	    "Ja" },
	{ "gmail danish wrapped, no Den",
	    "Ja\n\ntor. 26. nov. 2026 kl. 10.00 skrev Anne Holm <\n"
	    "anne@di.example.test>:\n\n> Afstemning\n",
	    "Ja" },
	{ "gmail english wrapped",
	    "Yes\n\nOn Thu, 26 Nov 2026 at 10:00, Anne Holm "
	    "<anne@di.example.test>\nwrote:\n\n> Ballot\n",
	    "Yes" },
	{ "gmail danish one line",
	    "Nej\n\nDen tor. 26. nov. 2026 kl. 10.00 skrev Cybersikkerhedspagten "
	    "<pagt@example.test>:\n> Afstemning\n",
	    "Nej" },
	{ "apple mail danish",
	    "Ja\n\n> Den 26. nov. 2026 kl. 10.00 skrev Anne Holm "
	    "<anne@di.example.test>:\n> \n> Afstemning\n",
	    "Ja" },
	{ "apple mail danish unquoted header",
	    "Ja tak\n\nDen 26. nov. 2026 kl. 10.00 skrev Anne Holm "
	    "<anne@di.example.test>:\n\nAfstemning\n",
	    "Ja tak" },
	{ "apple mail english",
	    "Yes\n\nOn 26 Nov 2026, at 10:00, Anne <a@b> wrote:\n\n> Ballot\n",
	    "Yes" },
	{ "iphone danish",
	    "Ja\n\nSendt fra min iPhone\n\n> Den 26. nov. 2026 kl. 10.00 skrev "
	    "Pagt <pagt@example.test>:\n> \n> Afstemning\n",
	    "Ja" },
	{ "iphone english", "Yes\n\nSent from my iPhone\n", "Yes" },
	{ "ipad", "Ja\nSendt fra min iPad\n", "Ja" },
	{ "outlook android", "Nej\n\nHent Outlook til Android\n", "Nej" },
	{ "outlook android en", "No\n\nGet Outlook for Android\n", "No" },
	{ "thunderbird bottom posting",
	    "Den 26-11-2026 kl. 10:00 skrev Cybersikkerhedspagten:\n"
	    "> Afstemning om Firma A/S\n> Ref: PAGT-2026-0007/v-abc\n>\n\n"
	    "Ja\n\n-- \nAnne Holm\nDI\n",
	    "Ja" },
	{ "thunderbird bottom posting english",
	    "On 26/11/2026 10:00, Pact wrote:\n> Ballot\n\nNo\n",
	    "No" },
	{ "bottom posting, loose header",
	    "Pact wrote:\n> Ballot\nYes\n", "Yes" },
	{ "interleaved",
	    "Den 26-11-2026 kl. 10:00 skrev Pagt:\n> Spørgsmål 1\nSvar 1\n"
	    "> Spørgsmål 2\nSvar 2\n-- \nAnne\n",
	    "Svar 1\n\nSvar 2" },
	{ "signature", "Ja\n-- \nAnne Holm\n", "Ja" },
	{ "signature without space", "Ja\n--\nAnne Holm\n", "Ja" },
	{ "signature first", "-- \nAnne Holm\n", "" },
	{ "dash line is text", "Ja\n---\nmere\n", "Ja\n---\nmere" },
	{ "oprindelig meddelelse",
	    "Ja\n\n-----Oprindelig meddelelse-----\nFra: Pagt\nSendt: i går\n",
	    "Ja" },
	{ "original message",
	    "Nej\n-----Original Message-----\nFrom: Pact\n", "Nej" },
	{ "forwarded",
	    "Se nedenfor\n\n---------- Forwarded message ---------\nFra: x\n",
	    "Se nedenfor" },
	{ "outlook block and nothing above",
	    "\nFra: Pagt <pagt@example.test>\nSendt: i dag\n\nAfstemning\n", "" },
	{ "quote and nothing below", "> Afstemning\n> x\n", "" },
	{ "skrev in text is text",
	    "Som jeg skrev i går:\nVi støtter\n",
	    "Som jeg skrev i går:\nVi støtter" },
	{ "den in text is text",
	    "Den 5. maj skrev vi under på pagten.\nVi er glade:\n- a\n",
	    "Den 5. maj skrev vi under på pagten.\nVi er glade:\n- a" },
	{ "empty", "", "" },
	{ "only blank", "\n \n\t\n", "" },
};

static void
test_new_text(void **state)
{
	char *t;
	size_t i;

	for (i = 0; i < nitems(ntcases); i++) {
		t = body_new_text(ntcases[i].text);
		if (strcmp(t, ntcases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", ntcases[i].name,
			    t, ntcases[i].want);
		free(t);
	}
	t = body_new_text(NULL);
	assert_string_equal(t, "");
	free(t);
}

static void
test_spec_example(void **state)
{
	const char *text =
	    "Hej sekretariat,\n"
	    "\n"
	    "Motivation: Vi ønsker at løfte SMV'ernes digitale sikkerhed, "
	    "fordi ...\n"
	    "  (a line that starts with white space continues the field above)\n"
	    "Målsætninger:\n"
	    "- Alle medlemsvirksomheder tilbydes et sikkerhedstjek inden 2027\n"
	    "- 500 SMV'er gennemfører et awareness-forløb\n"
	    "Bidrag: Rådgivning og netværk\n"
	    "\n"
	    "Venlig hilsen\n"
	    "Anne\n";
	struct fields fs;
	char *nt;

	nt = body_new_text(text);
	body_fields(nt, &fs);
	assert_string_equal(fs.f[F_MOTIVATION].value,
	    "Vi ønsker at løfte SMV'ernes digitale sikkerhed, fordi ...\n"
	    "(a line that starts with white space continues the field above)");
	assert_int_equal(fs.f[F_OBJECTIVES].items.n, 2);
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[0],
	    "Alle medlemsvirksomheder tilbydes et sikkerhedstjek inden 2027");
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[1],
	    "500 SMV'er gennemfører et awareness-forløb");
	assert_string_equal(fs.f[F_CONTRIBUTION].value,
	    "Rådgivning og netværk");
	assert_string_equal(fs.preamble, "Hej sekretariat,");
	assert_int_equal(fs.unknown.n, 0);
	assert_true(fields_has(&fs, F_MOTIVATION));
	assert_true(fields_has(&fs, F_OBJECTIVES));
	assert_true(fields_has(&fs, F_CONTRIBUTION));
	assert_false(fields_has(&fs, F_CVR));
	assert_null(fs.f[F_CVR].value);
	fields_free(&fs);
	free(nt);
}

static void
test_english_and_spellings(void **state)
{
	const char *text =
	    "MAALSAETNINGER:\n* one\n* two\n"
	    "sammenhaeng: passer til formål 1\n"
	    "Formaal: 1, 3\n"
	    "aar: 2026\n"
	    "OBJECTIVES: three\n"
	    "Organization: Firma A/S\n"
	    "Dialogue: 2026-11-01\n"
	    "CVR : 1234 5678\n"
	    "ÅR: 2027\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_int_equal(fs.f[F_OBJECTIVES].items.n, 3);
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[0], "one");
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[1], "two");
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[2], "three");
	assert_string_equal(fs.f[F_OBJECTIVES].value, "one\ntwo\nthree");
	assert_string_equal(fs.f[F_FIT].value, "passer til formål 1");
	assert_string_equal(fs.f[F_PURPOSE].value, "1, 3");
	assert_string_equal(fs.f[F_YEAR].value, "2027");
	assert_string_equal(fs.f[F_ORGANISATION].value, "Firma A/S");
	assert_string_equal(fs.f[F_DIALOGUE].value, "2026-11-01");
	assert_string_equal(fs.f[F_CVR].value, "1234 5678");
	assert_string_equal(fs.preamble, "");
	fields_free(&fs);
}

static void
test_bullets(void **state)
{
	const char *text =
	    "Initiativer:\n"
	    "1. Sikkerhedstjek\n"
	    "2) Awareness\n"
	    "• Netværk\n"
	    "  - indrykket punkt\n"
	    "    der fortsætter\n"
	    "*\tstjerne\n"
	    "-\n"
	    "uden punkt\n"
	    "Partnere: DI\n"
	    "IDA\n"
	    "Dagsorden:\n"
	    "1. Velkomst\n"
	    "2. Status\n"
	    "10. Eventuelt\n";
	struct fields fs;
	const struct strv *it;

	body_fields(text, &fs);
	it = &fs.f[F_INITIATIVES].items;
	assert_int_equal(it->n, 6);
	assert_string_equal(it->v[0], "Sikkerhedstjek");
	assert_string_equal(it->v[1], "Awareness");
	assert_string_equal(it->v[2], "Netværk");
	assert_string_equal(it->v[3], "indrykket punkt der fortsætter");
	assert_string_equal(it->v[4], "stjerne");
	assert_string_equal(it->v[5], "uden punkt");
	it = &fs.f[F_PARTNERS].items;
	assert_int_equal(it->n, 2);
	assert_string_equal(it->v[0], "DI");
	assert_string_equal(it->v[1], "IDA");
	it = &fs.f[F_AGENDA].items;
	assert_int_equal(it->n, 3);
	assert_string_equal(it->v[0], "Velkomst");
	assert_string_equal(it->v[1], "Status");
	assert_string_equal(it->v[2], "Eventuelt");
	/* "Status" inside a list is an item, not the Status field. */
	assert_false(fields_has(&fs, F_STATUS));
	fields_free(&fs);
}

static void
test_unknown(void **state)
{
	const char *text =
	    "Hej\nNB: før felterne er det indledning\n\n"
	    "Titel: Sikkerhedstjek\n"
	    "Telefon: 12 34 56 78\n"
	    "Beskrivelse: Et gratis tjek\n"
	    "Se https://example.test/tjek\n"
	    "Kontakt person: Bo\n"
	    "  mere om Bo\n"
	    "Partnere:\n"
	    "- Fase 1: kortlægning\n"
	    "\n"
	    "Ekstra felt: x\n"
	    "\n"
	    "Venlig hilsen\n"
	    "Anne\n"
	    "Tlf: 12345678\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_string_equal(fs.preamble,
	    "Hej\nNB: før felterne er det indledning");
	assert_string_equal(fs.f[F_TITLE].value, "Sikkerhedstjek");
	assert_string_equal(fs.f[F_DESCRIPTION].value,
	    "Et gratis tjek\nSe https://example.test/tjek");
	assert_int_equal(fs.f[F_PARTNERS].items.n, 1);
	assert_string_equal(fs.f[F_PARTNERS].items.v[0], "Fase 1: kortlægning");
	assert_int_equal(fs.unknown.n, 3);
	assert_string_equal(fs.unknown.v[0], "Telefon");
	assert_string_equal(fs.unknown.v[1], "Kontakt person");
	assert_string_equal(fs.unknown.v[2], "Ekstra felt");
	assert_false(fields_has(&fs, F_CONTACT));
	fields_free(&fs);
}

static void
test_blank_lines(void **state)
{
	const char *text =
	    "Titel: Tjek\n"
	    "\n"
	    "Beskrivelse:\n"
	    "Første linje\n"
	    "anden linje\n"
	    "\n"
	    "  indrykket afsnit\n"
	    "\n"
	    "Ikke længere beskrivelse\n"
	    "Link: https://example.test/x\n"
	    "Målsætninger:\n"
	    "\n"
	    "- a\n"
	    "\n"
	    "- b\n"
	    "\n"
	    "Venlig hilsen\n"
	    "Bidrag:\n"
	    "\n"
	    "Venlig hilsen\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_string_equal(fs.f[F_TITLE].value, "Tjek");
	assert_string_equal(fs.f[F_DESCRIPTION].value,
	    "Første linje\nanden linje\n\nindrykket afsnit");
	assert_string_equal(fs.f[F_LINK].value, "https://example.test/x");
	assert_int_equal(fs.f[F_OBJECTIVES].items.n, 2);
	assert_string_equal(fs.f[F_OBJECTIVES].items.v[1], "b");
	assert_non_null(fs.f[F_CONTRIBUTION].value);
	assert_string_equal(fs.f[F_CONTRIBUTION].value, "");
	assert_false(fields_has(&fs, F_CONTRIBUTION));
	assert_int_equal(fs.unknown.n, 0);
	fields_free(&fs);
}

static void
test_bold_names(void **state)
{
	const char *text =
	    "*Motivation:* Sikkerhed\n"
	    "**Målsætninger**:\n- a\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_string_equal(fs.f[F_MOTIVATION].value, "Sikkerhed");
	assert_int_equal(fs.f[F_OBJECTIVES].items.n, 1);
	fields_free(&fs);
}

static void
test_nomination(void **state)
{
	const char *text =
	    "Hej,\r\n\r\nVi indstiller hermed:\r\n\r\n"
	    "Organisation: Firma A/S\r\n"
	    "Type: virksomhed\r\n"
	    "CVR: 12 34 56 78\r\n"
	    "Kontakt: Eva Jensen <eva@firma.example.test>\r\n"
	    "Dialog: 1.11.2026\r\n"
	    "Principper: ja\r\n"
	    "Initiativer:\r\n"
	    "- Gratis sikkerhedstjek\r\n"
	    "Sammenhæng: Understøtter formål 1\r\n"
	    "   og formål 3\r\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_string_equal(fs.preamble, "Hej,\n\nVi indstiller hermed:");
	assert_string_equal(fs.f[F_ORGANISATION].value, "Firma A/S");
	assert_string_equal(fs.f[F_TYPE].value, "virksomhed");
	assert_string_equal(fs.f[F_CVR].value, "12 34 56 78");
	assert_string_equal(fs.f[F_CONTACT].value,
	    "Eva Jensen <eva@firma.example.test>");
	assert_string_equal(fs.f[F_DIALOGUE].value, "1.11.2026");
	assert_string_equal(fs.f[F_PRINCIPLES].value, "ja");
	assert_int_equal(fs.f[F_INITIATIVES].items.n, 1);
	assert_string_equal(fs.f[F_FIT].value,
	    "Understøtter formål 1\nog formål 3");
	fields_free(&fs);
}

static void
test_meeting(void **state)
{
	const char *text =
	    "TITLE: Spring meeting\n"
	    "start: 2027-03-01 10:00\n"
	    "End: 2027-03-01 13:00\n"
	    "Location: Erhvervsstyrelsen, Langelinie Allé 17\n"
	    "Agenda: Welcome\n"
	    "- Status\n";
	struct fields fs;

	body_fields(text, &fs);
	assert_string_equal(fs.f[F_TITLE].value, "Spring meeting");
	assert_string_equal(fs.f[F_START].value, "2027-03-01 10:00");
	assert_string_equal(fs.f[F_END].value, "2027-03-01 13:00");
	assert_string_equal(fs.f[F_LOCATION].value,
	    "Erhvervsstyrelsen, Langelinie Allé 17");
	assert_int_equal(fs.f[F_AGENDA].items.n, 2);
	assert_string_equal(fs.f[F_AGENDA].items.v[0], "Welcome");
	assert_string_equal(fs.f[F_AGENDA].items.v[1], "Status");
	fields_free(&fs);
}

/* A comment that names an initiative (sparring): "Initiativ" is its own
 * field, not the start of a nomination's "Initiativer", and the reverse. */
static void
test_initiative_field(void **state)
{
	const char *da = "Initiativ: PAGT-2026-0007\n\nGod idé; tal med os om "
	    "data.\n";
	const char *en = "initiative :  pagt-2026-0008 \nInitiatives:\n- One\n";
	const char *list = "Initiativer:\n- Et tjek\n";
	struct fields fs;

	body_fields(da, &fs);
	assert_string_equal(fs.f[F_INITIATIVE].value, "PAGT-2026-0007");
	assert_false(fields_has(&fs, F_INITIATIVES));
	fields_free(&fs);
	body_fields(en, &fs);
	assert_string_equal(fs.f[F_INITIATIVE].value, "pagt-2026-0008");
	assert_int_equal(fs.f[F_INITIATIVES].items.n, 1);
	fields_free(&fs);
	body_fields(list, &fs);
	assert_false(fields_has(&fs, F_INITIATIVE));
	assert_int_equal(fs.f[F_INITIATIVES].items.n, 1);
	assert_string_equal(fs.f[F_INITIATIVES].items.v[0], "Et tjek");
	fields_free(&fs);
	assert_false(field_def(F_INITIATIVE)->is_list);
	assert_string_equal(field_def(F_INITIATIVE)->da, "Initiativ");
	assert_string_equal(field_def(F_INITIATIVE)->en, "Initiative");
}

static void
test_field_def(void **state)
{
	const struct field_def *d;

	d = field_def(F_OBJECTIVES);
	assert_non_null(d);
	assert_int_equal(d->id, F_OBJECTIVES);
	assert_string_equal(d->da, "Målsætninger");
	assert_string_equal(d->en, "Objectives");
	assert_true(d->is_list);
	assert_false(field_def(F_MOTIVATION)->is_list);
	assert_string_equal(field_def(F_YEAR)->da, "År");
	assert_string_equal(field_def(F_AGENDA)->en, "Agenda");
	assert_true(field_def(F_PARTNERS)->is_list);
	assert_true(field_def(F_INITIATIVES)->is_list);
	assert_null(field_def(F_NONE));
	assert_null(field_def(F_COUNT));
	for (int i = F_NONE + 1; i < F_COUNT; i++)
		assert_int_equal(field_def((enum field_id)i)->id, i);
}

static void
test_quoted_text(void **state)
{
	char *q;

	q = body_quoted_text("Ja\n\nDen 26. nov. 2026 kl. 10.00 skrev Pagt "
	    "<pagt@example.test>:\n> Afstemning\n> > Ref: PAGT-2026-0007/v-abc\n"
	    ">Slut\n");
	assert_string_equal(q, "Den 26. nov. 2026 kl. 10.00 skrev Pagt "
	    "<pagt@example.test>:\nAfstemning\nRef: PAGT-2026-0007/v-abc\n"
	    "Slut\n");
	free(q);
	q = body_quoted_text("Ja\r\n\r\nFra: Pagt\r\nSendt: i dag\r\n\r\n"
	    "Ref: PAGT-2026-0007/v-abc\r\n");
	assert_string_equal(q, "Fra: Pagt\nSendt: i dag\n\n"
	    "Ref: PAGT-2026-0007/v-abc\n");
	free(q);
	q = body_quoted_text("Ja\n-- \nAnne\n");
	assert_string_equal(q, "");
	free(q);
	q = body_quoted_text(NULL);
	assert_string_equal(q, "");
	free(q);
}

/* Huge lines, many lines and junk end without harm. */
static void
test_hostile(void **state)
{
	size_t n = 1 << 20, i;
	char *s = xmalloc(n + 1), *t;
	struct fields fs;
	static const char *pieces[] = {
		"Motivation:", "\n", " ", "- ", ">", "Den 1 skrev", ":", "@",
		"Fra:", "Sendt:", "-- ", "1.", "\xc3", "\xc2\xa0", "Ekstra: ",
		"On 1 x", "wrote:", "\r", "Målsætninger:", "---- Original Message"
	};
	size_t p, k;

	for (i = 0; i < n; i++)
		s[i] = (char)(1 + (i * 7919) % 255);
	s[n] = '\0';
	t = body_new_text(s);
	body_fields(t, &fs);
	fields_free(&fs);
	free(t);
	memset(s, 'x', n);
	memcpy(s, "Motivation: ", 12);
	t = body_new_text(s);
	body_fields(t, &fs);
	assert_int_equal(strlen(fs.f[F_MOTIVATION].value), n - 12);
	fields_free(&fs);
	free(t);
	memset(s, '\n', n);
	t = body_new_text(s);
	assert_string_equal(t, "");
	free(t);
	for (i = 0, p = 0; i < n; i += k, p = p * 31 + 7) {
		const char *pc = pieces[p % nitems(pieces)];

		k = strlen(pc);
		if (i + k > n)
			break;
		memcpy(s + i, pc, k);
	}
	s[i] = '\0';
	t = body_new_text(s);
	body_fields(t, &fs);
	fields_free(&fs);
	free(t);
	body_fields(s, &fs);
	fields_free(&fs);
	t = body_quoted_text(s);
	free(t);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_text),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_english_and_spellings),
		cmocka_unit_test(test_bullets),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_bold_names),
		cmocka_unit_test(test_nomination),
		cmocka_unit_test(test_meeting),
		cmocka_unit_test(test_initiative_field),
		cmocka_unit_test(test_field_def),
		cmocka_unit_test(test_quoted_text),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
