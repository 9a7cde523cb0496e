/* Unit tests for the template expander: what a reader of the expanded mail
 * or page sees, and the error a template author is shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "template.h"

/* Expand a template that must succeed and compare the result. */
static void
expect(const char *tmpl, const struct tvars *tv, enum template_mode mode,
    const char *want)
{
	char *out = NULL, *cause = NULL;

	if (template_expand(tmpl, tv, mode, &out, &cause) != 0)
		fail_msg("\"%s\": %s", tmpl, cause);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

/* Expand a template that must fail with a cause containing want. */
static void
expect_error(const char *tmpl, const struct tvars *tv, const char *want)
{
	char *out = (char *)"unset", *cause = NULL;

	if (template_expand(tmpl, tv, TEMPLATE_TEXT, &out, &cause) == 0)
		fail_msg("\"%s\" expanded to \"%s\"", tmpl, out);
	assert_null(out);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\": cause \"%s\" lacks \"%s\"", tmpl, cause,
		    want);
	free(cause);
}

static void
test_variables(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set(tv, "name", "Anna");
	tvars_setf(tv, "count", "%d votes", 3);
	expect("Hello {{name}}, {{ name }}! {{count}}.", tv, TEMPLATE_TEXT,
	    "Hello Anna, Anna! 3 votes.");
	expect("[{{unknown}}]", tv, TEMPLATE_TEXT, "[]");
	expect("", tv, TEMPLATE_TEXT, "");
	expect("no tags { } }} at all", tv, TEMPLATE_TEXT,
	    "no tags { } }} at all");
	tvars_set(tv, "name", "Bo");
	tvars_set(tv, "nothing", NULL);
	expect("{{name}}[{{nothing}}]", tv, TEMPLATE_TEXT, "Bo[]");
	tvars_free(tv);
	tvars_free(NULL);
}

static void
test_escaping(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set(tv, "v", "<a href=\"x\">Tom & Jerry's</a>");
	expect("{{v}}", tv, TEMPLATE_HTML,
	    "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
	expect("{{{v}}}", tv, TEMPLATE_HTML,
	    "<a href=\"x\">Tom & Jerry's</a>");
	expect("{{{ v }}}", tv, TEMPLATE_HTML,
	    "<a href=\"x\">Tom & Jerry's</a>");
	expect("{{v}}", tv, TEMPLATE_TEXT, "<a href=\"x\">Tom & Jerry's</a>");
	/* Template text itself is never escaped. */
	expect("<b>&amp;</b>", tv, TEMPLATE_HTML, "<b>&amp;</b>");
	tvars_free(tv);
}

static void
test_list_items(void **state)
{
	struct tvars *tv = tvars_new(), *it;

	tvars_set(tv, "title", "Budget");
	it = tvars_add_item(tv, "options");
	tvars_set(it, "label", "Yes");
	tvars_setf(it, "n", "%d", 4);
	it = tvars_add_item(tv, "options");
	tvars_set(it, "label", "No");
	tvars_setf(it, "n", "%d", 1);
	expect("{{title}}:{{#options}} {{label}}={{n}};{{/options}}", tv,
	    TEMPLATE_TEXT, "Budget: Yes=4; No=1;");
	/* Outside the section the item variables are not visible. */
	expect("[{{label}}]", tv, TEMPLATE_TEXT, "[]");
	tvars_free(tv);
}

static void
test_nested_lists(void **state)
{
	struct tvars *tv = tvars_new(), *b, *o;

	tvars_set(tv, "group", "Board");
	tvars_set(tv, "label", "outer");
	b = tvars_add_item(tv, "ballots");
	tvars_set(b, "title", "Budget");
	o = tvars_add_item(b, "options");
	tvars_set(o, "label", "Yes");
	o = tvars_add_item(b, "options");
	tvars_set(o, "label", "No");
	b = tvars_add_item(tv, "ballots");
	tvars_set(b, "title", "Chair");
	tvars_set_list(b, "options");
	expect("{{#ballots}}{{title}}({{#options}}{{group}}/{{title}}/"
	    "{{label}} {{/options}}{{^options}}none {{label}}{{/options}})"
	    "{{/ballots}}", tv, TEMPLATE_TEXT,
	    "Budget(Board/Budget/Yes Board/Budget/No )Chair(none outer)");
	tvars_free(tv);
}

static void
test_string_list(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_add_string(tv, "tags", "a<b");
	tvars_add_string(tv, "tags", "c");
	expect("{{#tags}}[{{.}}]{{/tags}}", tv, TEMPLATE_HTML,
	    "[a&lt;b][c]");
	expect("{{#tags}}[{{{.}}}]{{/tags}}", tv, TEMPLATE_HTML, "[a<b][c]");
	/* At the top there is no current string. */
	expect("[{{.}}]", tv, TEMPLATE_TEXT, "[]");
	tvars_free(tv);
}

static void
test_string_section(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set(tv, "note", "late");
	tvars_set(tv, "empty", "");
	expect("{{#note}}Note: {{note}}.{{/note}}", tv, TEMPLATE_TEXT,
	    "Note: late.");
	expect("[{{#empty}}x{{/empty}}]", tv, TEMPLATE_TEXT, "[]");
	expect("[{{#missing}}x{{/missing}}]", tv, TEMPLATE_TEXT, "[]");
	/* A string section pushes no scope, so {{.}} is not the string. */
	expect("[{{#note}}{{.}}{{/note}}]", tv, TEMPLATE_TEXT, "[]");
	/* Setting a string replaces a list, and the other way round. */
	tvars_add_string(tv, "note", "one");
	expect("{{#note}}<{{.}}>{{/note}}", tv, TEMPLATE_TEXT, "<one>");
	tvars_set(tv, "note", "two");
	expect("{{#note}}<{{note}}>{{/note}}", tv, TEMPLATE_TEXT, "<two>");
	tvars_free(tv);
}

static void
test_inverted(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set_list(tv, "none");
	tvars_set(tv, "empty", "");
	tvars_set(tv, "full", "x");
	tvars_add_string(tv, "list", "y");
	expect("{{^none}}A{{/none}}{{^missing}}B{{/missing}}"
	    "{{^empty}}C{{/empty}}{{^full}}D{{/full}}{{^list}}E{{/list}}",
	    tv, TEMPLATE_TEXT, "ABC");
	tvars_free(tv);
}

static void
test_standalone(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set(tv, "name", "Anna");
	tvars_add_string(tv, "items", "one");
	tvars_add_string(tv, "items", "two");
	expect("Hello {{name}},\n"
	    "{{! greeting done }}\n"
	    "  {{#items}}  \n"
	    "  - {{.}}\n"
	    "\t{{/items}}\n"
	    "{{^items}}\n"
	    "Nothing.\n"
	    "{{/items}}\n"
	    "Bye\n", tv, TEMPLATE_TEXT,
	    "Hello Anna,\n  - one\n  - two\nBye\n");
	/* CRLF lines, and a last line without a newline. */
	expect("a\r\n{{#items}}\r\n{{.}}\r\n{{/items}}\r\nb\r\n{{! end }}",
	    tv, TEMPLATE_TEXT, "a\r\none\r\ntwo\r\nb\r\n");
	/* Tags sharing a line with text or other tags are not standalone. */
	expect("x {{#items}}{{.}}{{/items}}\n", tv, TEMPLATE_TEXT,
	    "x onetwo\n");
	expect("{{#items}}{{/items}}\nz", tv, TEMPLATE_TEXT, "\nz");
	expect("{{#items}}\n{{.}}{{/items}}\n", tv, TEMPLATE_TEXT,
	    "onetwo\n");
	/* Variable tags alone on a line keep the line. */
	expect("{{name}}\n{{missing}}\nz", tv, TEMPLATE_TEXT, "Anna\n\nz");
	tvars_free(tv);
}

static void
test_comments(void **state)
{
	struct tvars *tv = tvars_new();

	expect("a{{! note }}b{{!}}c", tv, TEMPLATE_TEXT, "abc");
	expect("a{{! spans\ntwo lines }}b", tv, TEMPLATE_TEXT, "ab");
	expect("a\n{{! spans\ntwo lines }}\nb", tv, TEMPLATE_TEXT, "a\nb");
	expect("{{! {{name}} is not expanded }}x", tv, TEMPLATE_TEXT,
	    " is not expanded }}x");
	tvars_free(tv);
}

static void
test_errors(void **state)
{
	struct tvars *tv = tvars_new();

	expect_error("a\nb {{name", tv, "line 2: unclosed tag");
	expect_error("{{{name}}", tv, "line 1: unclosed tag");
	expect_error("x\n\n{{! comment", tv, "line 3: unclosed tag");
	expect_error("{{#a}}\nx\n", tv, "line 1: unclosed section {{#a}}");
	expect_error("{{#a}}{{^b}}\n{{/b}}", tv,
	    "line 1: unclosed section {{#a}}");
	expect_error("{{#a}}\n{{/b}}", tv,
	    "line 2: {{/b}} does not close {{#a}} of line 1");
	expect_error("x\n{{/a}}", tv, "line 2: {{/a}} closes no section");
	expect_error("{{}}", tv, "line 1: empty name");
	expect_error("\n{{ }}", tv, "line 2: empty name");
	expect_error("{{{}}}", tv, "line 1: empty name");
	expect_error("{{#}}{{/}}", tv, "line 1: empty name");
	expect_error("{{^ }}", tv, "line 1: empty name");
	expect_error("{{#a}}{{/}}", tv, "line 1: empty name");
	expect_error("{{first name}}", tv, "line 1: bad name");
	expect_error("{{a {{b}}", tv, "line 1: bad name");
	/* Errors inside sections that are not expanded are found too. */
	expect_error("{{#missing}}\n\n{{}}{{/missing}}", tv,
	    "line 3: empty name");
	tvars_free(tv);
}

/* Build n nested sections around x. */
static char *
nested(int n)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_addf(&b, "{{#s%d}}", i);
	buf_adds(&b, "x");
	for (i = n - 1; i >= 0; i--)
		buf_addf(&b, "{{/s%d}}", i);
	return buf_steal(&b);
}

static void
test_depth(void **state)
{
	struct tvars *tv = tvars_new();
	char *t;
	int i;

	char name[16];

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "s%d", i);
		tvars_set(tv, name, "on");
	}
	t = nested(TEMPLATE_MAXDEPTH);
	expect(t, tv, TEMPLATE_TEXT, "x");
	free(t);
	t = nested(TEMPLATE_MAXDEPTH + 1);
	expect_error(t, tv, "line 1: sections nested deeper than 32");
	free(t);
	t = nested(40);
	expect_error(t, tv, "nested deeper than 32");
	free(t);
	tvars_free(tv);
}

static void
test_output_limit(void **state)
{
	struct tvars *tv = tvars_new();
	char *big, *out, *cause;
	int i;

	big = malloc(1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'a', 1024 * 1024);
	big[1024 * 1024] = '\0';
	for (i = 0; i < 16; i++)
		tvars_add_string(tv, "parts", big);
	/* Exactly 16 MB is allowed. */
	assert_int_equal(template_expand("{{#parts}}{{.}}{{/parts}}", tv,
	    TEMPLATE_TEXT, &out, &cause), 0);
	assert_int_equal(strlen(out), TEMPLATE_MAXOUT);
	free(out);
	expect_error("x\n{{#parts}}{{.}}{{/parts}}", tv,
	    "line 2: output larger than 16 MB");
	tvars_free(tv);
	/* Escaping grows the output too. */
	tv = tvars_new();
	memset(big, '&', 1024 * 1024);
	for (i = 0; i < 4; i++)
		tvars_add_string(tv, "parts", big);
	assert_int_equal(template_expand("{{#parts}}{{.}}{{/parts}}", tv,
	    TEMPLATE_HTML, &out, &cause), -1);
	assert_non_null(strstr(cause, "output larger than 16 MB"));
	free(cause);
	tvars_free(tv);
	free(big);
}

static void
test_utf8(void **state)
{
	struct tvars *tv = tvars_new();

	tvars_set(tv, "name", "Ærø Søren 😀");
	tvars_add_string(tv, "l", "naïve ✓");
	expect("Grüß {{name}} — {{#l}}{{.}}{{/l}} ½",
	    tv, TEMPLATE_HTML, "Grüß Ærø Søren 😀 — naïve ✓ ½");
	tvars_free(tv);
}

/* Write a file under dir, creating sub first. */
static char *
put(const char *dir, const char *sub, const char *name, const char *text)
{
	char *path;
	FILE *f;

	path = xasprintf("%s/%s", dir, sub);
	if (mkdir(path, 0700) == -1)
		assert_true(access(path, F_OK) == 0);
	free(path);
	path = xasprintf("%s/%s/%s", dir, sub, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_render(void **state)
{
	char dir[] = "/tmp/test_template.XXXXXX", *out, *cause;
	char *p1, *p2, *p3, *big, *want;
	struct tvars *tv = tvars_new();

	assert_non_null(mkdtemp(dir));
	tvars_set(tv, "name", "Anna");
	p1 = put(dir, "en", "ack.txt", "Dear {{name}},\n{{#x}}\nx\n{{/x}}\n"
	    "thanks.\n");
	p2 = put(dir, "en", "bad.txt", "ok\n{{#x}}\n");
	big = malloc(TEMPLATE_MAXFILE + 2);
	memset(big, 'a', TEMPLATE_MAXFILE + 1);
	big[TEMPLATE_MAXFILE + 1] = '\0';
	p3 = put(dir, "en", "big.txt", big);
	free(big);

	assert_int_equal(template_render(dir, "en", "ack.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), 0);
	assert_string_equal(out, "Dear Anna,\nthanks.\n");
	free(out);

	assert_int_equal(template_render(dir, "da", "ack.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), -1);
	assert_null(out);
	want = xasprintf("%s/da/ack.txt: No such file or directory", dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	assert_int_equal(template_render(dir, "en", "bad.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), -1);
	want = xasprintf("%s: line 2: unclosed section {{#x}}", p2);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	assert_int_equal(template_render(dir, "en", "big.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), -1);
	assert_non_null(strstr(cause, "larger than"));
	free(cause);

	assert_int_equal(template_render(dir, "..", "ack.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), -1);
	free(cause);
	assert_int_equal(template_render(dir, "en", "../en/ack.txt", tv,
	    TEMPLATE_TEXT, &out, &cause), -1);
	free(cause);

	unlink(p1);
	unlink(p2);
	unlink(p3);
	free(p1);
	free(p2);
	free(p3);
	p1 = xasprintf("%s/en", dir);
	rmdir(p1);
	free(p1);
	assert_int_equal(rmdir(dir), 0);
	tvars_free(tv);
}

/* Characters (code points) of the longest line of s. */
static size_t
longest(const char *s)
{
	size_t best = 0, n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			n = 0;
		else if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
		if (n > best)
			best = n;
	}
	return best;
}

/* Wrap s and compare; wrapping again changes nothing. */
static void
expect_wrap(const char *s, const char *want)
{
	char *out = template_wrap(s, TEMPLATE_WIDTH), *again;

	assert_string_equal(out, want);
	again = template_wrap(out, TEMPLATE_WIDTH);
	assert_string_equal(again, out);
	free(again);
	free(out);
}

/* Expand a reply template with long Danish names, then wrap it. */
static char *
filled(const char *tmpl, const struct tvars *tv)
{
	char *out = NULL, *cause = NULL, *w;

	if (template_expand(tmpl, tv, TEMPLATE_TEXT, &out, &cause) != 0)
		fail_msg("%s", cause);
	w = template_wrap(out, TEMPLATE_WIDTH);
	free(out);
	return w;
}

static void
test_wrap_after_filling(void **state)
{
	struct tvars *tv = tvars_new();
	char *out;

	/* The template's lines fit; a filled-in name makes one long, and
	 * the paragraph is re-flowed, counting characters, not bytes. */
	tvars_set(tv, "party", "Foreningen af Små og Mellemstore Økologiske "
	    "Jordbrugsvirksomheder i Sønderjylland");
	tvars_set(tv, "ref", "PAGT-2026-0007");
	out = filled("Tak. Vi har modtaget {{party}}s erklæring, version 2, med\n"
	    "referencen {{ref}}. Den offentliggøres på pagtens side.\n\n"
	    "Venlig hilsen\nCybersikkerhedspagten\n", tv);
	assert_string_equal(out,
	    "Tak. Vi har modtaget Foreningen af Små og Mellemstore Økologiske\n"
	    "Jordbrugsvirksomheder i Sønderjyllands erklæring, version 2, med "
	    "referencen\n"
	    "PAGT-2026-0007. Den offentliggøres på pagtens side.\n\n"
	    "Venlig hilsen\nCybersikkerhedspagten\n");
	assert_true(longest(out) <= TEMPLATE_WIDTH);
	free(out);

	/* 78 characters of æøå are 156 bytes and still one line. */
	tvars_set(tv, "name", "Åse Ærø Øster-Ålbæk Søndergård Kjærsgaard-"
	    "Bøgh Frøslev Lærkegården Hjørrin");
	out = filled("Hej {{name}}\n", tv);
	assert_string_equal(out, "Hej Åse Ærø Øster-Ålbæk Søndergård "
	    "Kjærsgaard-Bøgh Frøslev Lærkegården Hjørrin\n");
	free(out);
	/* One more and the last word goes to the next line. */
	tvars_set(tv, "name", "Åse Ærø Øster-Ålbæk Søndergård Kjærsgaard-"
	    "Bøgh Frøslev Lærkegården Hjørring");
	out = filled("Hej {{name}}\n", tv);
	assert_string_equal(out, "Hej Åse Ærø Øster-Ålbæk Søndergård "
	    "Kjærsgaard-Bøgh Frøslev Lærkegården\nHjørring\n");
	free(out);
	tvars_free(tv);
}

static void
test_wrap_structure(void **state)
{
	/* Text that fits is left as the template laid it out. */
	expect_wrap("Kort linje\nendnu en\n", "Kort linje\nendnu en\n");
	expect_wrap("", "");
	expect_wrap("no newline at the end", "no newline at the end");

	/* A line going on with a lower-case word and a colon is no label. */
	expect_wrap("Tak. Foreningen af Små og Mellemstore Økologiske "
	    "Jordbrugsvirksomheders stemme er\nregistreret: JA.\n",
	    "Tak. Foreningen af Små og Mellemstore Økologiske "
	    "Jordbrugsvirksomheders stemme\ner registreret: JA.\n");

	/* A list item wraps under its text; a label starts a paragraph and
	 * a heading ends one. */
	expect_wrap("Det har vi forstået:\n"
	    "- Titel: Sikker opstart for de mindste virksomheder i hele landet "
	    "med rådgivning\n"
	    "  - Et indrykket punkt med en lang tekst der bliver ved og ved "
	    "og ved og ved og ved\n"
	    "Sted: Dansk Industri, H.C. Andersens Boulevard 18, 1553 København "
	    "V, mødelokale 4\n"
	    "Dagsorden:\n- Status\n",
	    "Det har vi forstået:\n"
	    "- Titel: Sikker opstart for de mindste virksomheder i hele landet "
	    "med\n"
	    "  rådgivning\n"
	    "  - Et indrykket punkt med en lang tekst der bliver ved og ved og "
	    "ved og ved\n"
	    "    og ved\n"
	    "Sted: Dansk Industri, H.C. Andersens Boulevard 18, 1553 København "
	    "V,\n"
	    "mødelokale 4\n"
	    "Dagsorden:\n- Status\n");
}

static void
test_wrap_never_broken(void **state)
{
	const char *url = "https://sikkerdigital.example.test/pagten/"
	    "initiativer/sikker-opstart-for-de-mindste-virksomheder.html";
	char *s, *want;

	/* A URL longer than a line stands alone and whole. */
	s = xasprintf("Læs mere om initiativet på %s eller skriv til os.\n", url);
	want = xasprintf("Læs mere om initiativet på\n%s\neller skriv til os.\n",
	    url);
	expect_wrap(s, want);
	free(s);
	free(want);

	/* Footers, quoted and indented lines, and forms stay as they are. */
	expect_wrap("Ref: PAGT-2026-0007/v-abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwxyz\n"
	    "> citeret tekst som er meget lang og bliver ved og ved og ved og ved og ved\n"
	    "    indrykket tekst som er meget lang og bliver ved og ved og ved og ved og ved\n",
	    "Ref: PAGT-2026-0007/v-abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwxyz\n"
	    "> citeret tekst som er meget lang og bliver ved og ved og ved og ved og ved\n"
	    "    indrykket tekst som er meget lang og bliver ved og ved og ved og ved og ved\n");
	expect_wrap("----------\nEmne: MØDE\n\n"
	    "Sted: (adresse eller link, som kan være meget lang og bliver ved og ved)\n"
	    "----------\n"
	    "Teksten efter formularen er en almindelig tekst, der ombrydes, når "
	    "den er for lang.\n",
	    "----------\nEmne: MØDE\n\n"
	    "Sted: (adresse eller link, som kan være meget lang og bliver ved og ved)\n"
	    "----------\n"
	    "Teksten efter formularen er en almindelig tekst, der ombrydes, når "
	    "den er for\nlang.\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_list_items),
		cmocka_unit_test(test_nested_lists),
		cmocka_unit_test(test_string_list),
		cmocka_unit_test(test_string_section),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_wrap_after_filling),
		cmocka_unit_test(test_wrap_structure),
		cmocka_unit_test(test_wrap_never_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
