/*
 * A From field read as RFC 5322 writes it, and no more leniently: pactd
 * decides who speaks for a party on this one address, so a value that
 * another reader (the MX's DMARC check, a mail client) could take for a
 * different address is refused rather than guessed at.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "mime.h"
#include "util.h"

/* A reader over one header value; why holds the first error. */
struct rd {
	const char *s;
	size_t i;
	const char *why;
};

static int
fail(struct rd *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return -1;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* atext (RFC 5322 section 3.2.3), with UTF-8 bytes (RFC 6532). */
static int
is_atext(int c)
{
	c = (unsigned char)c;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Printable text, as quoted strings and comments may hold it. */
static int
is_text(int c)
{
	c = (unsigned char)c;
	return c >= 0x21 && c != 0x7f;
}

/* Skip white space and comments, nested ones too: -1 on a broken
 * comment, else whether anything was skipped. */
static int
skip_cfws(struct rd *r)
{
	size_t start = r->i;
	int depth = 0, c;

	for (;; r->i++) {
		c = (unsigned char)r->s[r->i];
		if (c == '\0')
			return depth > 0 ? fail(r, "an unterminated comment") :
			    r->i > start;
		if (depth == 0 && !is_wsp(c) && c != '(')
			return r->i > start;
		if (c == '\\' && depth > 0) {
			if (r->s[++r->i] == '\0')
				return fail(r, "an unterminated comment");
		} else if (c == '(') {
			if (++depth > ADDRESS_MAX_COMMENTS)
				return fail(r, "comments nested too deeply");
		} else if (c == ')')
			depth--;
		else if (!is_wsp(c) && !is_text(c))
			return fail(r, "a control character");
	}
}

/* A quoted string's content, escapes undone, into out. */
static int
read_quoted(struct rd *r, struct buf *out)
{
	int c;

	for (r->i++;; r->i++) {
		c = (unsigned char)r->s[r->i];
		if (c == '"') {
			r->i++;
			return 0;
		}
		if (c == '\\')
			c = (unsigned char)r->s[++r->i];
		if (c == '\0')
			return fail(r, "an unterminated quoted string");
		if (!is_wsp(c) && !is_text(c))
			return fail(r, "a control character");
		if (c == '\t')
			c = ' ';	/* no control character leaves here */
		if (c != '\r' && c != '\n')
			buf_addc(out, c);
	}
}

/* atext *("." atext) into out: 1 when read, 0 when none stands here. */
static int
read_dot_atom(struct rd *r, struct buf *out)
{
	size_t start = r->i, n;

	for (;;) {
		for (n = 0; is_atext(r->s[r->i]); n++)
			buf_addc(out, r->s[r->i++]);
		if (n == 0)
			return r->i == start ? 0 :
			    fail(r, "an address with an empty part between dots");
		if (r->s[r->i] != '.')
			return 1;
		buf_addc(out, r->s[r->i++]);
	}
}

/* Whether s could stand unquoted as a local part. */
static int
dot_atom_text(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_atext(*s) && (*s != '.' || s[1] == '.' || s[1] == '\0'))
			return 0;
	return 1;
}

static void
ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The addr-spec in its one written form: a quoted local part that needs
 * no quotes loses them, ASCII letters go to lower case. */
static int
addr_build(struct rd *r, const struct buf *local, int quoted,
    const struct buf *domain, char **addr)
{
	struct buf b;

	if (local->len == 0)
		return fail(r, "an address with an empty local part");
	if (local->len > ADDRESS_MAX_LOCAL || domain->len > ADDRESS_MAX_DOMAIN)
		return fail(r, "an address longer than RFC 5321 allows");
	buf_init(&b);
	if (!quoted || dot_atom_text(local->s))
		buf_adds(&b, local->s);
	else {
		buf_addc(&b, '"');
		for (const char *p = local->s; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(&b, '\\');
			buf_addc(&b, *p);
		}
		buf_addc(&b, '"');
	}
	buf_addf(&b, "@%s", domain->s);
	if (!utf8_valid(b.s, b.len)) {
		buf_free(&b);
		return fail(r, "an address that is not valid UTF-8");
	}
	ascii_lower(b.s);
	*addr = buf_steal(&b);
	return 0;
}

/* local-part "@" domain, with CFWS around each; no address literals. */
static int
read_addr_spec(struct rd *r, char **addr)
{
	struct buf local, domain;
	int rc = -1, quoted = 0;

	buf_init(&local);
	buf_init(&domain);
	if (skip_cfws(r) < 0)
		goto out;
	if (r->s[r->i] == '"') {
		quoted = 1;
		if (read_quoted(r, &local) != 0)
			goto out;
	} else if (read_dot_atom(r, &local) <= 0) {
		fail(r, "no address");
		goto out;
	}
	if (skip_cfws(r) < 0)
		goto out;
	if (r->s[r->i] != '@') {
		fail(r, "no '@' in the address");
		goto out;
	}
	r->i++;
	if (skip_cfws(r) < 0)
		goto out;
	if (r->s[r->i] == '[')
		fail(r, "an address literal ([...]) as domain");
	else if (read_dot_atom(r, &domain) <= 0)
		fail(r, "an address without a domain");
	else if (skip_cfws(r) >= 0)
		rc = addr_build(r, &local, quoted, &domain, addr);
out:
	buf_free(&local);
	buf_free(&domain);
	return rc;
}

/* A display name: words (atoms, quoted strings) and, as obs-phrase has
 * it, dots after the first ("Anne H. Holm"); *words counts the words. */
static int
read_phrase(struct rd *r, struct buf *name, int *words)
{
	int space;

	for (*words = 0;; (*words)++) {
		if ((space = skip_cfws(r)) < 0)
			return -1;
		if (r->s[r->i] == '.' && *words > 0) {
			buf_addc(name, r->s[r->i++]);
			(*words)--;
			continue;
		}
		if (r->s[r->i] != '"' && !is_atext(r->s[r->i]))
			return 0;
		if (space && name->len > 0)
			buf_addc(name, ' ');
		if (r->s[r->i] == '"') {
			if (read_quoted(r, name) != 0)
				return -1;
		} else
			while (is_atext(r->s[r->i]))
				buf_addc(name, r->s[r->i++]);
	}
}

/* The display name decoded (RFC 2047), or NULL when empty. */
static char *
name_decode(const char *raw)
{
	char *t = mime_decode_header(raw), *name = str_trim(t);

	name = *name != '\0' ? xstrdup(name) : NULL;
	free(t);
	return name;
}

/* "<" addr-spec ">" after the display name; no source routes. */
static int
read_angle_addr(struct rd *r, struct address *a)
{
	r->i++;
	if (skip_cfws(r) < 0)
		return -1;
	if (r->s[r->i] == '@' || r->s[r->i] == ',')
		return fail(r, "a source route (<@host:address>)");
	if (read_addr_spec(r, &a->addr) != 0)
		return -1;
	if (r->s[r->i] != '>')
		return fail(r, "an unterminated <address>");
	r->i++;
	return skip_cfws(r) < 0 ? -1 : 0;
}

/* name-addr, else addr-spec. */
static int
read_mailbox(struct rd *r, struct address *a)
{
	struct buf name;
	size_t start = r->i;
	int words, rc = -1;

	buf_init(&name);
	if (read_phrase(r, &name, &words) != 0)
		goto out;
	if (r->s[r->i] == '<') {
		if ((rc = read_angle_addr(r, a)) == 0)
			a->name = name_decode(name.s);
	} else if (words > 0 && r->s[r->i] == ':')
		fail(r, "a group (name: addresses;)");
	else if (words > 0 && r->s[r->i] == '\0' &&
	    strchr(r->s + start, '@') == NULL)
		fail(r, "a name without an address");
	else {
		r->i = start;
		rc = read_addr_spec(r, &a->addr);
	}
out:
	buf_free(&name);
	return rc;
}

int
address_parse(const char *value, struct address *a, const char **why)
{
	struct rd r = { value != NULL ? value : "", 0, NULL };
	int c;

	memset(a, 0, sizeof *a);
	if (read_mailbox(&r, a) == 0) {
		c = r.s[r.i];
		if (c == '\0')
			return 0;
		fail(&r, c == ',' ? "more than one address" :
		    c == ':' ? "a second address or group after ':'" :
		    c == '<' ? "a second <address>" :
		    "text after the address");
	}
	address_free(a);
	*why = r.why != NULL ? r.why : "no address";
	return -1;
}

void
address_free(struct address *a)
{
	free(a->addr);
	free(a->name);
	a->addr = a->name = NULL;
}

const char *
address_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}
