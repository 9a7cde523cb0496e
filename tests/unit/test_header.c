/* Unit tests: the header writer against hostile names, subjects, titles
 * and IDs. Every result is parsed back with libetpan's RFC 5322 parser
 * and, through check_headers.py, with Python's email.policy.strict: one
 * address, the same decoded name, no field that was not written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>
#include <libical/ical.h>

#include "body.h"
#include "config.h"
#include "header.h"
#include "ical.h"
#include "json.h"
#include "message.h"
#include "util.h"

#define DANISH	"Søren Ærøskøbing-Østergaard Ålund Bæk "

static const char *const hostile[] = {
	"Anne Holm",
	"Eve\r\nBcc: victim@third.example",
	"Eve\nBcc: x@y.example\nReply-To: z@w.example",
	"Eve\rTo: mallory@evil.example",
	"Eve\r\n\r\nBody text",
	"Tab\tbed\t Name",
	"Ctl\x01\x02\x1b[31m\x7f End",
	"C1\xc2\x85next\xe2\x80\xa8line\xe2\x80\xa9para",
	"Bidi \xe2\x80\xae" "evil.exe",
	"Holm, Anne \"AH\" \\ DI",
	"\"quoted\"",
	"\\",
	"\"",
	"eve@evil.example, mallory@evil.example",
	"Anne <anne@di.example.test>",
	"a;b:c@d <e>",
	"undisclosed-recipients:;",
	"group: a@b.example, c@d.example;",
	"(comment) name (another",
	"=?utf-8?q?Bcc=3A_x=40y.example?=",
	"=?UTF-8?B?QmNjOiB4QHkuZXhhbXBsZQ==?= <x@y.example>",
	"Søren Ærøskøbing",
	"Søren \"Sø\" Ærø, ApS <s@x.example>",
	DANISH DANISH DANISH DANISH DANISH,
	"Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword"
	    "andsomemoreletters",
	"A plain ascii name that is long enough to need more than one line "
	    "of its own here",
	"Bad UTF-8 \xff\xfe\xc3 end",
	"日本語の名前 🙂 emoji",
	"   ",
	"",
	NULL,
};

/* Every line ends CRLF, is at most 78 characters, and at most 76 when it
 * holds an encoded word (RFC 2047 2). */
static void
assert_lines(const char *s)
{
	const char *line = s, *end;

	while (*line != '\0') {
		end = strstr(line, "\r\n");
		assert_non_null(end);
		for (const char *p = line; p < end; p++)
			assert_true(*p != '\r' && *p != '\n' && *p != '\0');
		if (memmem(line, end - line, "=?", 2) != NULL)
			assert_true(end - line <= HEADER_EWLINE);
		else
			assert_true(end - line <= HEADER_LINE);
		line = end + 2;
	}
}

/* A phrase or unstructured text decoded to UTF-8, folds undone. */
static char *
decode(const char *s)
{
	size_t idx = 0;
	char *out = NULL, *r;

	assert_int_equal(mailmime_encoded_phrase_parse("utf-8", s, strlen(s),
	    &idx, "utf-8", &out), MAILIMF_NO_ERROR);
	r = xstrdup(out);
	free(out);
	return r;
}

/* The header block parsed whole by libetpan; every byte consumed. */
static struct mailimf_fields *
fields_of(const char *hdr)
{
	struct mailimf_fields *f = NULL;
	size_t idx = 0;

	assert_int_equal(mailimf_fields_parse(hdr, strlen(hdr), &idx, &f),
	    MAILIMF_NO_ERROR);
	assert_int_equal(idx, strlen(hdr));
	return f;
}

/* The one field of a block, of the given type. */
static struct mailimf_field *
only_field(struct mailimf_fields *f, int type)
{
	struct mailimf_field *fd;

	assert_int_equal(clist_count(f->fld_list), 1);
	fd = clist_content(clist_begin(f->fld_list));
	assert_int_equal(fd->fld_type, type);
	return fd;
}

/* The single mailbox of an address list. */
static struct mailimf_mailbox *
only_mailbox(struct mailimf_address_list *al)
{
	struct mailimf_address *a;

	assert_int_equal(clist_count(al->ad_list), 1);
	a = clist_content(clist_begin(al->ad_list));
	assert_int_equal(a->ad_type, MAILIMF_ADDRESS_MAILBOX);
	return a->ad_data.ad_mailbox;
}

/* The name as it must come back: cleaned, NULL when nothing is left. */
static void
assert_name(const char *got, const char *name)
{
	char *want = header_clean(name), *dec;

	if (*want == '\0') {
		assert_null(got);
		free(want);
		return;
	}
	assert_non_null(got);
	dec = decode(got);
	assert_string_equal(dec, want);
	free(dec);
	free(want);
}

static void
check_mailbox(const char *name, const char *addr)
{
	struct mailimf_fields *f;
	struct mailimf_mailbox *mb;
	struct buf b;
	char *cause = NULL;

	buf_init(&b);
	assert_int_equal(header_mailbox(&b, "To", name, addr, &cause), 0);
	assert_lines(b.s);
	f = fields_of(b.s);
	mb = only_mailbox(only_field(f, MAILIMF_FIELD_TO)->fld_data.fld_to->
	    to_addr_list);
	assert_string_equal(mb->mb_addr_spec, addr);
	assert_name(mb->mb_display_name, name);
	mailimf_fields_free(f);
	buf_free(&b);
}

static void
test_hostile_names(void **state)
{
	for (size_t i = 0; i < nitems(hostile); i++) {
		check_mailbox(hostile[i], "karen@acme.example.test");
		check_mailbox(hostile[i], "o'brien+tag@x-y.example.test");
	}
}

/* Unfolded, the names that tried to add fields are one harmless line. */
static void
test_clean(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "Eve\r\nBcc: v@x.example", "Eve Bcc: v@x.example" },
		{ "  a \t\n b  ", "a b" },
		{ "x\x01y\x7fz\xc2\x9f", "xyz" },
		{ "a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d", "a b c d" },
		{ "\xe2\x80\xae" "abc\xe2\x81\xa6", "abc" },
		{ "\xff" "ab\xc3", "?ab?" },
		{ "Ærø", "Ærø" },
	};

	for (size_t i = 0; i < nitems(t); i++) {
		char *c = header_clean(t[i].in);

		assert_string_equal(c, t[i].out);
		free(c);
	}
}

static void
check_subject(const char *s)
{
	struct mailimf_fields *f;
	struct mailimf_field *fd;
	struct buf b;
	char *want = header_clean(s), *got;

	buf_init(&b);
	header_text(&b, "Subject", s);
	assert_lines(b.s);
	f = fields_of(b.s);
	fd = only_field(f, MAILIMF_FIELD_SUBJECT);
	got = decode(fd->fld_data.fld_subject->sbj_value);
	assert_string_equal(got, want);
	free(got);
	free(want);
	mailimf_fields_free(f);
	buf_free(&b);
}

/* A long text of words, of a word repeated. */
static char *
repeat(const char *word, size_t len)
{
	struct buf b;

	buf_init(&b);
	while (b.len < len)
		buf_adds(&b, word);
	b.s[len] = '\0';
	return b.s;
}

static void
test_hostile_subjects(void **state)
{
	static const char *const words[] = { "Re: ERKLÆRING [PAGT-2026-0007] ",
	    "abc ", "æøå ", "x", "=?utf-8?q?Bcc=3A?= ", "\"a\\b\" \r\n" };
	char *s;

	for (size_t i = 0; i < nitems(hostile); i++)
		check_subject(hostile[i]);
	for (size_t i = 0; i < nitems(words); i++)
		for (size_t n = 1; n < 1100; n += n < 100 ? 7 : 301) {
			s = repeat(words[i], n);
			check_subject(s);
			free(s);
		}
	check_subject("Re: HELP");
}

/* Addresses that are not exactly one addr-spec are refused with a
 * cause, and nothing is written. */
static void
test_refused_addresses(void **state)
{
	static const char *const bad[] = {
		"a@b.example\r\nBcc: x@y.example", "a@b.example, c@d.example",
		"<a@b.example>", "Anne <a@b.example>", "a b@c.example",
		"ä@b.example", "a@b", "a@b..example", "a@-b.example",
		".a@b.example", "a..b@c.example", "a@b.example>", "\"a\"@b.example",
		"a@[127.0.0.1]", "a@b.example;", "", NULL,
	};
	struct buf b;
	char *cause;

	for (size_t i = 0; i < nitems(bad); i++) {
		buf_init(&b);
		cause = NULL;
		assert_int_equal(header_mailbox(&b, "To", "X", bad[i], &cause),
		    -1);
		assert_non_null(cause);
		assert_null(strpbrk(cause, "\r\n"));
		assert_int_equal(b.len, 0);
		free(cause);
		buf_free(&b);
	}
	assert_true(header_addr_valid("pagt+v-abc234@example.test"));
}

/* Message-IDs from incoming mail: only real msg-ids reach In-Reply-To
 * and References, one a token. */
static void
test_thread_ids(void **state)
{
	struct mailimf_fields *f;
	struct mailimf_field *fd;
	struct buf b;
	char *cause = NULL;
	clistiter *it;
	int n = 0;

	buf_init(&b);
	assert_int_equal(header_msgid(&b, "Message-ID", "a@b\r\nBcc: x@y",
	    &cause), -1);
	free(cause);
	assert_false(header_msgid_valid("a b@c"));
	assert_false(header_msgid_valid("a>b@c"));
	assert_false(header_msgid_valid("abc"));
	assert_true(header_msgid_valid("x.y@[1.2.3.4]"));
	header_thread(&b, "ok@client.example\r\nBcc: x@y.example", "<a@b>");
	assert_int_equal(b.len, 0);
	header_thread(&b, "ok@client.example", "<r1@x.example> <bad\r\nBcc: "
	    "y@z.example> junk <r2@x.example>Bcc:<r3@x.example>, <a b@c> "
	    "<ok@client.example>");
	assert_lines(b.s);
	assert_null(strstr(b.s, "Bcc"));
	f = fields_of(b.s);
	assert_int_equal(clist_count(f->fld_list), 2);
	fd = clist_content(clist_begin(f->fld_list));
	assert_int_equal(fd->fld_type, MAILIMF_FIELD_IN_REPLY_TO);
	fd = clist_content(clist_next(clist_begin(f->fld_list)));
	assert_int_equal(fd->fld_type, MAILIMF_FIELD_REFERENCES);
	for (it = clist_begin(fd->fld_data.fld_references->mid_list);
	    it != NULL; it = clist_next(it))
		n++;
	assert_int_equal(n, 4);	/* r1, r2, r3, the answered mail */
	mailimf_fields_free(f);
	buf_free(&b);
}

/* A long chain keeps its first mail and the latest, 20 in all. */
static void
test_thread_trimmed(void **state)
{
	struct mailimf_fields *f;
	struct mailimf_field *fd;
	struct buf b, refs;

	buf_init(&refs);
	for (int i = 0; i < 500; i++)
		buf_addf(&refs, "<m%d@x.example> ", i);
	buf_init(&b);
	header_thread(&b, "last@x.example", refs.s);
	assert_lines(b.s);
	f = fields_of(b.s);
	fd = clist_content(clist_next(clist_begin(f->fld_list)));
	assert_int_equal(clist_count(fd->fld_data.fld_references->mid_list),
	    HEADER_REFS);
	assert_non_null(strstr(b.s, "<m0@x.example>"));
	assert_null(strstr(b.s, "<m1@x.example>"));
	assert_non_null(strstr(b.s, "<m499@x.example>"));
	mailimf_fields_free(f);
	buf_free(&b);
	buf_free(&refs);
}

static struct config *
conf(void)
{
	static struct config c;

	c.address = "pagt@example.test";
	c.smtp_from = "Cybersikkerhedspagten <pagt@example.test>";
	return &c;
}

/* The field count of each kind in a whole message's header. */
static void
count_fields(const char *msg, int *to, int *reply_to, int *other)
{
	const char *eoh = strstr(msg, "\r\n\r\n");
	char *hdr = xstrndup(msg, eoh - msg + 2);
	struct mailimf_fields *f = fields_of(hdr);
	struct mailimf_field *fd;

	*to = *reply_to = *other = 0;
	for (clistiter *it = clist_begin(f->fld_list); it != NULL;
	    it = clist_next(it)) {
		fd = clist_content(it);
		if (fd->fld_type == MAILIMF_FIELD_TO)
			(*to)++;
		else if (fd->fld_type == MAILIMF_FIELD_REPLY_TO)
			(*reply_to)++;
		else if (fd->fld_type == MAILIMF_FIELD_BCC ||
		    fd->fld_type == MAILIMF_FIELD_CC ||
		    fd->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD)
			(*other)++;
	}
	mailimf_fields_free(f);
	free(hdr);
}

/* One whole mail per hostile name and subject, for check_headers.py. */
static void
add_case(struct json *j, const char *name, const char *subject,
    const char *irt, const char *refs)
{
	struct outmail m;
	char *mid, *cause = NULL, *msg, *eoh, *want;
	int to, rt, other;

	memset(&m, 0, sizeof m);
	m.to_addr = "karen@acme.example.test";
	m.to_name = name;
	m.subject = subject;
	m.body = "Hej\n";
	m.reply_to = "pagt+v-abcdefghijklmnopqrstuvwxyz@example.test";
	m.in_reply_to = irt;
	m.references = refs;
	msg = message_build(conf(), &m, 1796000000, &mid, &cause);
	assert_non_null(msg);
	eoh = strstr(msg, "\r\n\r\n");
	assert_non_null(eoh);
	eoh[2] = '\0';
	assert_lines(msg);
	eoh[2] = '\r';
	count_fields(msg, &to, &rt, &other);
	assert_int_equal(to, 1);
	assert_int_equal(rt, 1);
	assert_int_equal(other, 5);	/* Auto-Submitted ... Content-Transfer-Encoding */
	json_obj_begin(j, NULL);
	json_str(j, "raw", msg);
	want = header_clean(name);
	json_str(j, "name", want);
	free(want);
	json_str(j, "addr", m.to_addr);
	json_str(j, "reply_to", m.reply_to);
	want = header_clean(subject);
	json_str(j, "subject", want);
	free(want);
	json_bool(j, "thread", irt != NULL && header_msgid_valid(irt));
	json_obj_end(j);
	free(msg);
	free(mid);
}

/* Every whole mail through Python's strict parser as well. */
static void
test_python_strict(void **state)
{
	char path[] = "/tmp/pactd-header-XXXXXX", *doc, *cmd;
	struct json j;
	char *sub;
	int fd;

	json_init(&j, 0);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; i < nitems(hostile); i++) {
		add_case(&j, hostile[i], hostile[i], "id@client.example",
		    "<a@b.example>\r\nBcc: x@y.example");
		add_case(&j, hostile[nitems(hostile) - 1 - i], "Re: HELP",
		    "x\r\nBcc: y@z.example", NULL);
	}
	sub = repeat("Sø ", 1000);
	add_case(&j, DANISH DANISH, sub, NULL, NULL);
	free(sub);
	sub = repeat("abc ", 1000);
	add_case(&j, "x", sub, NULL, NULL);
	free(sub);
	json_arr_end(&j);
	doc = json_finish(&j);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	cmd = xasprintf("/usr/bin/python3 check_headers.py %s", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	free(cmd);
	free(doc);
}

/* An address that is not one refuses the whole mail, with a cause. */
static void
test_mail_refused(void **state)
{
	struct outmail m;
	char *mid = NULL, *cause = NULL;

	memset(&m, 0, sizeof m);
	m.to_addr = "a@b.example\nBcc: c@d.example";
	m.subject = "x";
	m.body = "x\n";
	assert_null(message_build(conf(), &m, 1796000000, &mid, &cause));
	assert_null(mid);
	assert_non_null(strstr(cause, "To"));
	free(cause);
	cause = NULL;
	m.to_addr = "a@b.example";
	m.reply_to = "p@x.example, q@y.example";
	assert_null(message_build(conf(), &m, 1796000000, &mid, &cause));
	assert_non_null(strstr(cause, "Reply-To"));
	free(cause);
}

/* The source: a Kontakt: folded over lines that look like header fields
 * is one line, its continuation joined with spaces, and the contact's
 * address is the one in the last angle brackets. */
static void
test_folded_contact(void **state)
{
	static const char text[] =
	    "Organisation: Acme\n"
	    "Kontakt: Eve Angreb\n"
	    "  Bcc: victim@third.example\n"
	    "  Reply-To: eve@evil.example\n"
	    "  <karen@acme.example.test>\n"
	    "Dialog: 2026-11-20\n";
	struct fields fs;
	struct person p;

	body_fields(text, &fs);
	assert_non_null(fs.f[F_CONTACT].value);
	assert_null(strchr(fs.f[F_CONTACT].value, '\n'));
	assert_int_equal(person_parse(fs.f[F_CONTACT].value, &p), 0);
	assert_string_equal(p.addr, "karen@acme.example.test");
	assert_string_equal(p.name, "Eve Angreb Bcc: victim@third.example "
	    "Reply-To: eve@evil.example");
	person_free(&p);
	fields_free(&fs);
	assert_int_equal(person_parse("\"Holm, \\\"AH\\\" \\\\ Anne\" "
	    "<a@b.example>", &p), 0);
	assert_string_equal(p.name, "Holm, \"AH\" \\ Anne");
	person_free(&p);
	assert_int_equal(person_parse("\"Eve <eve@evil.example>, x@y.example\" "
	    "<nina@aeroedata.example.test>", &p), 0);
	assert_string_equal(p.addr, "nina@aeroedata.example.test");
	assert_string_equal(p.name, "Eve <eve@evil.example>, x@y.example");
	person_free(&p);
	assert_int_equal(person_parse("a@b.example\n Bcc: c@d.example", &p),
	    -1);
	assert_int_equal(person_parse("A <a@b.example> <c@d.example>", &p), -1);
	assert_int_equal(person_parse("K <karen@acme..example.test>", &p), -1);
	assert_int_equal(person_parse("\"k m\"@acme.example.test", &p), -1);
}

/* The CN a name must give: cleaned, without ^ " and \. */
static char *
cn_want(const char *name)
{
	char *t = header_clean(name), *p, *q;

	for (p = q = t; *p != '\0'; p++)
		if (strchr("^\"\\", *p) == NULL)
			*q++ = *p;
	*q = '\0';
	return t;
}

/* CN= in an invitation: one line, one ATTENDEE with its RSVP, and the
 * cleaned name, whatever the name. */
static void
test_calendar_cn(void **state)
{
	struct ical_event e;
	icalcomponent *cal, *ev;
	icalproperty *p;
	char *cause = NULL, *s, *want;

	if (ical_init("Europe/Copenhagen", &cause) != 0)
		fail_msg("ical_init: %s", cause);
	for (size_t i = 0; i < nitems(hostile); i++) {
		memset(&e, 0, sizeof e);
		e.uid = "PAGT-2027-0003@example.test";
		e.organizer = "pagt@example.test";
		e.organizer_cn = hostile[nitems(hostile) - 1 - i];
		e.attendee = "karen@acme.example.test";
		e.attendee_cn = hostile[i];
		e.summary = hostile[i];
		e.start = 1810000000;
		e.end = 1810003600;
		e.dtstamp = 1800000000;
		e.tzid = "Europe/Copenhagen";
		s = ical_build(&e);
		assert_non_null(s);
		for (const char *q = s; *q != '\0'; q++)
			assert_true(*q != '\n' || (q > s && q[-1] == '\r'));
		cal = icalparser_parse_string(s);
		assert_int_equal(icalcomponent_count_errors(cal), 0);
		ev = icalcomponent_get_first_component(cal,
		    ICAL_VEVENT_COMPONENT);
		assert_int_equal(icalcomponent_count_properties(ev,
		    ICAL_ATTENDEE_PROPERTY), 1);
		p = icalcomponent_get_first_property(ev,
		    ICAL_ATTENDEE_PROPERTY);
		assert_string_equal(icalproperty_get_attendee(p),
		    "mailto:karen@acme.example.test");
		want = cn_want(hostile[i]);
		if (*want == '\0')
			assert_null(icalproperty_get_first_parameter(p,
			    ICAL_CN_PARAMETER));
		else
			assert_string_equal(icalproperty_get_parameter_as_string(
			    p, "CN"), want);
		assert_non_null(icalproperty_get_first_parameter(p,
		    ICAL_RSVP_PARAMETER));
		if (icalcomponent_get_summary(ev) != NULL)
			for (const char *q = icalcomponent_get_summary(ev);
			    *q != '\0'; q++)
				assert_true((unsigned char)*q >= 0x20 &&
				    *q != 0x7f);
		free(want);
		icalcomponent_free(cal);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_subjects),
		cmocka_unit_test(test_refused_addresses),
		cmocka_unit_test(test_thread_ids),
		cmocka_unit_test(test_thread_trimmed),
		cmocka_unit_test(test_mail_refused),
		cmocka_unit_test(test_python_strict),
		cmocka_unit_test(test_folded_contact),
		cmocka_unit_test(test_calendar_cn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
