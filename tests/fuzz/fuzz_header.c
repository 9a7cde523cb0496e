/*
 * libFuzzer target: the header writer (header.h) and the contact parser
 * that feeds it (person_parse). The input is split at NUL bytes into a
 * display name, a subject, a Message-ID and a References value; every
 * field written must be CRLF-terminated lines of printable ASCII, at most
 * 78 characters, 76 with an encoded word, and libetpan must read the To
 * field back as exactly the one address given.
 */
#include <libetpan/libetpan.h>

#include "config.h"
#include "fuzz.h"
#include "header.h"

#define TO	"karen@acme.example.test"

/* Whether a line is one address or Message-ID alone on a continuation
 * line, which RFC 5322 cannot fold: such a line may pass 78. */
static int
lone_token(const char *line, const char *end)
{
	return line[0] == ' ' && (line[1] == '<' || strchr(line, '@') <
	    end) && memchr(line + 1, ' ', end - line - 1) == NULL;
}

/* Whether a line holds an encoded word as a token of its own (text that
 * only looks like one inside a Message-ID is none). */
static int
has_eword(const char *line, const char *end)
{
	const char *t, *e;

	for (t = line; t < end; t = e + 1) {
		e = memchr(t, ' ', end - t);
		if (e == NULL)
			e = end;
		if (e - t >= 12 && strncmp(t, "=?UTF-8?B?", 10) == 0 &&
		    e[-2] == '?' && e[-1] == '=')
			return 1;
	}
	return 0;
}

/* The lines of a written field keep every promise of header.h. */
static void
check_lines(const char *s)
{
	const char *line = s, *end;
	size_t max;

	while (*line != '\0') {
		end = strstr(line, "\r\n");
		FUZZ_CHECK(end != NULL, "every line ends with CRLF");
		for (const char *p = line; p < end; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f,
			    "printable ASCII only");
		max = has_eword(line, end) ? HEADER_EWLINE : HEADER_LINE;
		FUZZ_CHECK((size_t)(end - line) <= max ||
		    lone_token(line, end), "lines within 78, 76 with encoded "
		    "words, or one address or ID alone");
		line = end + 2;
	}
}

/* To: read back by libetpan is one mailbox, the one written. */
static void
check_to(const char *name)
{
	struct mailimf_fields *f = NULL;
	struct mailimf_field *fd;
	struct mailimf_address *a;
	struct buf b;
	char *cause = NULL;
	size_t idx = 0;

	buf_init(&b);
	FUZZ_CHECK(header_mailbox(&b, "To", name, TO, &cause) == 0,
	    "a valid address is written");
	check_lines(b.s);
	FUZZ_CHECK(mailimf_fields_parse(b.s, b.len, &idx, &f) ==
	    MAILIMF_NO_ERROR && idx == b.len, "To parses whole");
	FUZZ_CHECK(clist_count(f->fld_list) == 1, "one field");
	fd = clist_content(clist_begin(f->fld_list));
	FUZZ_CHECK(fd->fld_type == MAILIMF_FIELD_TO, "a To field");
	FUZZ_CHECK(clist_count(fd->fld_data.fld_to->to_addr_list->ad_list) ==
	    1, "one address");
	a = clist_content(clist_begin(fd->fld_data.fld_to->to_addr_list->
	    ad_list));
	FUZZ_CHECK(a->ad_type == MAILIMF_ADDRESS_MAILBOX &&
	    strcmp(a->ad_data.ad_mailbox->mb_addr_spec, TO) == 0,
	    "the address written");
	mailimf_fields_free(f);
	buf_free(&b);
}

/* A contact as a nomination gives it: its name is one clean line. */
static void
check_person(const char *s)
{
	struct person p;

	if (person_parse(s, &p) != 0)
		return;
	for (const char *q = p.name; q != NULL && *q != '\0'; q++)
		FUZZ_CHECK((unsigned char)*q >= 0x20 && *q != 0x7f,
		    "no control character in a contact's name");
	check_to(p.name);
	person_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *part[4];
	struct buf b;
	char *cause = NULL;
	size_t i, k;

	/* s[size] is NUL: i stays within it. */
	for (i = 0, k = 0; k < 4; k++) {
		part[k] = s + i;
		i += strlen(s + i);
		if (i < size)
			i++;
	}
	check_to(part[0]);
	check_person(part[0]);
	buf_init(&b);
	header_text(&b, "Subject", part[1]);
	header_thread(&b, part[2], part[3]);
	if (header_msgid(&b, "Message-ID", part[2], &cause) != 0)
		free(cause);
	check_lines(b.s);
	buf_free(&b);
	free(s);
	return 0;
}
