/* html_to_text: what a reader of the HTML mail would see, line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime.h"
#include "util.h"

static void
html_eqn(const char *html, size_t len, const char *want)
{
	char *got = html_to_text(html, len);

	assert_string_equal(got, want);
	free(got);
}

static void
html_eq(const char *html, const char *want)
{
	html_eqn(html, strlen(html), want);
}

static void
test_blocks(void **state)
{
	html_eq("<div>one</div><div>two</div>", "one\ntwo\n");
	html_eq("a<br>b<br/>c<BR >d", "a\nb\nc\nd\n");
	html_eq("<p>one</p><p>two</p>", "one\n\ntwo\n");
	html_eq("<h1>Title</h1>text", "Title\n\ntext\n");
	html_eq("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
	    "</table>", "a b\nc\n");
}

static void
test_gmail_blank_lines(void **state)
{
	/* Gmail writes a blank line as <div><br></div> */
	html_eq("<div dir=\"ltr\"><div>Hej,</div><div><br></div>"
	    "<div>Motivation: fordi</div></div>", "Hej,\n\nMotivation: fordi\n");
	/* at most one blank line in a row */
	html_eq("a<br><br><br><br>b<p></p><p></p><p>c</p>", "a\n\nb\n\nc\n");
}

static void
test_lists(void **state)
{
	html_eq("Målsætninger:<ul><li>Første</li><li>Anden<li>Tredje</ul>",
	    "Målsætninger:\n- Første\n- Anden\n- Tredje\n");
	html_eq("<ol><li>one</li></ol>", "- one\n");
}

/* A list item's paragraphs and line breaks stay in the item: a blank line
 * would end the list field, an unindented line would be an item of its
 * own (issue 15: an HTML-only nomination's initiatives). */
static void
test_list_item_blocks(void **state)
{
	/* Gmail: items in <div>; editors that put <p> in each item */
	html_eq("<div>Initiativer:</div><ul><li style=\"margin-left:15px\">"
	    "Et</li><li><div>To</div></li><li><p>Tre</p></li></ul>"
	    "<div>Sammenhæng: x</div>",
	    "Initiativer:\n- Et\n- To\n- Tre\nSammenhæng: x\n");
	/* a line break or a second paragraph continues the item, indented */
	html_eq("<ol><li>Tre<br>fortsat</li><li><p>Fire</p><p>mere</p></li>"
	    "</ol>", "- Tre\n  fortsat\n- Fire\n  mere\n");
	/* a nested list is items of their own */
	html_eq("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>",
	    "- a\n- b\n- c\n");
	/* Outlook: MsoListParagraph items inside <ul>, and after the list a
	 * paragraph of its own again */
	html_eq("<p class=MsoNormal>Initiativer:<o:p></o:p></p><ul type=disc>"
	    "<li class=MsoListParagraph style=\"mso-list:l0 level1 lfo1\">Et"
	    "<o:p></o:p></li><li class=MsoListParagraph>To<o:p></o:p></li>"
	    "</ul><p>efter</p>", "Initiativer:\n- Et\n- To\n\nefter\n");
}

static void
test_entities(void **state)
{
	html_eq("&aelig;&oslash;&aring; &AElig;&Oslash;&Aring;",
	    "æøå ÆØÅ\n");
	html_eq("&lt;a&gt; &amp; &quot;q&quot; &#230;&#xF8;&#XE5;",
	    "<a> & \"q\" æøå\n");
	html_eq("a&nbsp;&nbsp;b", "a  b\n");
	html_eq("&#150; &#128;", "– €\n");	/* Windows-1252 numbers */
	html_eq("&unknown; & &#; &#0; &amp", "&unknown; & &#; \xef\xbf\xbd &\n");
	html_eq("&#99999999999999999999;", "\xef\xbf\xbd\n");
}

static void
test_whitespace(void **state)
{
	html_eq("  a \n\t b   c  ", "a b c\n");
	html_eq("<p>\n  Hello\n  world\n</p>", "Hello world\n");
	html_eq("<pre>a  b\n  c</pre>", "a  b\n  c\n");
	html_eq("<b>bold</b><i>it</i> x", "boldit x\n");
}

static void
test_dropped(void **state)
{
	html_eq("<html><head><title>T</title><style>p { color: red }</style>"
	    "</head><body>text<script>if (a < b) alert(1)</script> "
	    "more<!-- comment <p> --></body></html>", "text more\n");
	html_eq("<style>never closed", "");
	html_eq("<head><title>x</title>body without end of head",
	    "body without end of head\n");
}

static void
test_blockquote(void **state)
{
	html_eq("Svar<blockquote>quoted<br>line<blockquote>deeper"
	    "</blockquote>back</blockquote>after",
	    "Svar\n> quoted\n> line\n> > deeper\n> back\nafter\n");
	html_eq("<blockquote type=\"cite\"><p>one</p><p>two</p></blockquote>",
	    "> one\n>\n> two\n");
}

static void
test_gmail_quote(void **state)
{
	html_eq("<div dir=\"ltr\">Ja tak</div><br><div class=\"gmail_quote\">"
	    "<div dir=\"ltr\" class=\"gmail_attr\">Den man. 2. feb. 2026 skrev "
	    "Pagt &lt;pagt@example.test&gt;:<br></div><blockquote "
	    "class=\"gmail_quote\" style=\"margin:0px\">Stemmeseddel<br>"
	    "</blockquote></div>",
	    "Ja tak\n\n> Den man. 2. feb. 2026 skrev Pagt "
	    "<pagt@example.test>:\n> Stemmeseddel\n");
}

static void
test_links(void **state)
{
	html_eq("See <a href=\"https://x.dk/a?b=1&amp;c=2\">here</a>.",
	    "See here <https://x.dk/a?b=1&c=2>.\n");
	html_eq("<a href=\"http://www.x.dk/\">www.x.dk</a>", "www.x.dk\n");
	html_eq("<a href=\"https://x.dk\">https://x.dk</a>", "https://x.dk\n");
	html_eq("Kontakt: <a href=\"mailto:anne@x.dk\">Anne</a>",
	    "Kontakt: Anne <anne@x.dk>\n");
	html_eq("<a href=\"mailto:anne@x.dk\">anne@x.dk</a>", "anne@x.dk\n");
	html_eq("<a href=\"javascript:x()\">js</a>", "js\n");
	html_eq("<a href=\"https://x.dk\"><img src=\"logo.png\"></a>ok",
	    "ok\n");
}

static void
test_outlook(void **state)
{
	/* Outlook's paragraphs have no margin; its blank line is &nbsp; */
	html_eq("<p class=MsoNormal>Hej<o:p></o:p></p>"
	    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	    "<p class=MsoNormal>Motivation: x<o:p></o:p></p>"
	    "<p class=MsoNormal>M&aring;ls&aelig;tninger:<o:p></o:p></p>"
	    "<p class=MsoListParagraph style='text-indent:-18.0pt'>"
	    "<![if !supportLists]><span style='font-family:Symbol'>"
	    "<span style='mso-list:Ignore'>&middot;<span style='font:7.0pt'>"
	    "&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>Et<o:p></o:p>"
	    "</p><p class=MsoListParagraph><span style='mso-list:Ignore'>"
	    "&middot;</span>To</p>",
	    "Hej\n\nMotivation: x\nMålsætninger:\n- Et\n- To\n");
}

static void
test_broken(void **state)
{
	html_eq("a < b and 3<4", "a < b and 3<4\n");
	html_eq("c<d never closed", "c\n");
	html_eq("text<p class=\"unterminated", "text\n");
	html_eq("x<!-- never closed", "x\n");
	html_eq("</div></p></blockquote>x</li>", "x\n");
	html_eq("<a href='q\"x'>t</a>", "t\n");
	html_eq("<div title=\"a>b\">in</div>", "in\n");
	html_eq("", "");
	html_eqn("a\0b", 3, "ab\n");
}

static void
test_floods(void **state)
{
	struct buf b;
	char *got;
	clock_t t0 = clock();

	buf_init(&b);
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "<blockquote><div><title>");
	buf_adds(&b, "deep");
	got = html_to_text(b.s, b.len);
	assert_non_null(strstr(got, "deep"));
	free(got);
	buf_free(&b);
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "</blockquote>&#x1F600;&nbsp;<br>");
	got = html_to_text(b.s, b.len);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
	buf_free(&b);
	assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_gmail_blank_lines),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_list_item_blocks),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_blockquote),
		cmocka_unit_test(test_gmail_quote),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_outlook),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_floods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
