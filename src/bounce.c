/*
 * Delivery reports. A report names the failed mail in one of two ways: the
 * address it came back to (the envelope sender pagt+b-ID-TAG@, which only
 * the servers on the way saw), or the original Message-ID in the copy of
 * its headers. Why it failed comes from the message/delivery-status part
 * (RFC 3464) when there is one, else from the text that Exchange, Gmail,
 * Postfix and OpenSMTPD write for people.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "header.h"
#include "util.h"

#define BOUNCE_MAX_ID		64	/* "ID-TAG" */
#define BOUNCE_MAX_SCAN		65536	/* of the text: reports say it first */
#define BOUNCE_MAX_ADDR		256	/* each side of an address's @ */

/* Words of reports that say a mail was not delivered and will not be. */
static const char *const failed_words[] = {
	"delivery has failed to these recipients",
	"your message wasn't delivered",
	"your message couldn't be delivered",
	"address not found",
	"could not be delivered to one or more recipients",
	"an error has occurred while attempting to deliver",
	"message could not be delivered",
	"delivery to the following recipient failed permanently",
	"delivery to the following recipients failed",
	"undelivered mail returned to sender",
	"delivery status notification (failure)",
	"undeliverable:",
	"returned mail:",
	"mail delivery failed",
	"delivery status notification: failed",
	"delivery status notification: error",
};

/* Words of reports that only say a mail is late. */
static const char *const delayed_words[] = {
	"delivery status notification (delay)",
	"delivery status notification: delayed",
	"has not yet been delivered",
	"delivery delayed",
	"only a temporary failure report",
	"is delayed for more than",
	"will retry",
	"delivery to the following recipient has been delayed",
};

/* Parts that carry the original message or its headers. */
static const char *const original_types[] = { "message/rfc822",
    "text/rfc822-headers", "message/global-headers", "message/global" };

static int
has_word(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcasestr(s, words[i]) != NULL)
			return 1;
	return 0;
}

/* A value on one line, white space runs made one space, cut when long
 * but never inside a UTF-8 character. */
static char *
one_line(const char *s, size_t len)
{
	struct buf b;
	char *clean;
	int space = 0;

	buf_init(&b);
	for (size_t i = 0; i < len && s[i] != '\0'; i++) {
		if (isspace((unsigned char)s[i])) {
			space = b.len > 0;
			continue;
		}
		if (b.len + space >= BOUNCE_MAX_TEXT &&
		    ((unsigned char)s[i] & 0xc0) != 0x80)
			break;
		if (space)
			buf_addc(&b, ' ');
		space = 0;
		buf_addc(&b, s[i]);
	}
	/* Control and bidirectional characters go: the text reaches the
	 * secretariat's notice and the log. */
	clean = header_clean(b.s != NULL ? b.s : "");
	buf_free(&b);
	return clean;
}

/* An address from "rfc822; <a@b>" or "a@b", lower case, or NULL. */
static char *
addr_value(const char *v)
{
	const char *semi = strchr(v, ';');
	char *a, *t;

	a = xstrdup(semi != NULL ? semi + 1 : v);
	t = str_trim(a);
	if (*t == '<')
		t++;
	t[strcspn(t, "> \t")] = '\0';
	if (strchr(t, '@') == NULL) {
		free(a);
		return NULL;
	}
	t = xstrdup(t);
	free(a);
	str_lower(t);
	return t;
}

/* The first enhanced status code ("5.1.10") in s, or NULL; where it
 * starts in *at. */
static char *
status_in(const char *s, const char **at)
{
	for (const char *p = s; p != NULL && *p != '\0'; p++) {
		size_t n;

		if ((*p != '4' && *p != '5') || p[1] != '.' ||
		    (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		n = 2 + strspn(p + 2, "0123456789");
		if (n == 2 || n > 5 || p[n] != '.')
			continue;
		n += 1 + strspn(p + n + 1, "0123456789");
		if (!isdigit((unsigned char)p[n - 1]) ||
		    isalnum((unsigned char)p[n]) || p[n] == '.')
			continue;
		if (at != NULL)
			*at = p;
		return xstrndup(p, n);
	}
	return NULL;
}

/*
 * One field of a delivery-status block: fields unfolded, the blank line
 * ending a block. Returns the next position, or NULL at the end.
 */
static const char *
ds_field(const char *p, struct buf *field, int *blank)
{
	const char *nl;

	buf_free(field);
	*blank = 0;
	if (p == NULL || *p == '\0')
		return NULL;
	nl = strchr(p, '\n');
	buf_add(field, p, nl ? (size_t)(nl - p) : strlen(p));
	while (nl != NULL && (nl[1] == ' ' || nl[1] == '\t')) {
		const char *next = strchr(nl + 1, '\n');

		buf_add(field, nl + 1, next ? (size_t)(next - nl - 1) :
		    strlen(nl + 1));
		nl = next;
	}
	if (field->len == 0 || (field->len == 1 && field->s[0] == '\r'))
		*blank = 1;
	return nl ? nl + 1 : p + strlen(p);
}

/* One recipient's block of a delivery-status part. */
struct ds_rcpt {
	char *rcpt, *action, *status, *diagnostic;
};

static void
ds_rcpt_free(struct ds_rcpt *r)
{
	free(r->rcpt);
	free(r->action);
	free(r->status);
	free(r->diagnostic);
	memset(r, 0, sizeof *r);
}

/* Keep a field of a recipient block. */
static void
ds_rcpt_field(struct ds_rcpt *r, const char *f)
{
	const char *colon = strchr(f, ':');
	char **slot = NULL;
	char *v, *t;

	if (colon == NULL)
		return;
	if (str_startcase(f, "Final-Recipient:"))
		slot = &r->rcpt;
	else if (str_startcase(f, "Original-Recipient:") && r->rcpt == NULL)
		slot = &r->rcpt;
	else if (str_startcase(f, "Action:"))
		slot = &r->action;
	else if (str_startcase(f, "Status:"))
		slot = &r->status;
	else if (str_startcase(f, "Diagnostic-Code:"))
		slot = &r->diagnostic;
	if (slot == NULL)
		return;
	/* The part's bytes are as the server wrote them: made UTF-8. */
	t = charset_to_utf8("utf-8", colon + 1, strlen(colon + 1));
	v = one_line(t, strlen(t));
	free(t);
	if (slot == &r->rcpt) {
		char *a = addr_value(v);

		free(v);
		if (a == NULL)
			return;
		v = a;
	}
	free(*slot);
	*slot = v;
}

/* Take a recipient block into b: the first failed one wins; delayed,
 * delivered, relayed and expanded say nothing against the mail. */
static void
ds_take(struct bounce *b, struct ds_rcpt *r)
{
	if (r->action == NULL) {
		ds_rcpt_free(r);
		return;
	}
	if (!b->failed && str_startcase(r->action, "failed")) {
		b->failed = 1;
		free(b->rcpt);
		b->rcpt = r->rcpt;
		b->status = r->status;
		b->diagnostic = r->diagnostic;
		free(r->action);
		memset(r, 0, sizeof *r);
		return;
	}
	ds_rcpt_free(r);
}

/* Read a message/delivery-status part; whether it had recipient blocks. */
static int
ds_read(struct bounce *b, const char *data)
{
	struct ds_rcpt r;
	struct buf field;
	const char *p = data;
	int blank, any = 0;

	memset(&r, 0, sizeof r);
	buf_init(&field);
	while ((p = ds_field(p, &field, &blank)) != NULL) {
		if (blank) {
			any |= r.action != NULL;
			ds_take(b, &r);
		} else
			ds_rcpt_field(&r, field.s);
	}
	any |= r.action != NULL;
	ds_take(b, &r);
	buf_free(&field);
	return any;
}

/* Whether id ("<x@example.test>" or "x@example.test") is at domain. */
static char *
mid_at(const char *v, const char *domain)
{
	char *t = one_line(v, strlen(v)), *s = t, *at;
	size_t n;

	if (*s == '<')
		s++;
	n = strcspn(s, "> ");
	s[n] = '\0';
	at = strrchr(s, '@');
	if (at == NULL || strcasecmp(at + 1, domain) != 0) {
		free(t);
		return NULL;
	}
	s = xstrdup(s);
	free(t);
	return s;
}

/* The first "Message-ID:" line in text (headers, or headers quoted in
 * text, with '>' or blanks before them) naming a mail of domain. */
static char *
mid_in(const char *text, const char *domain)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *l = p + strspn(p, " \t>"), *nl = strchr(p, '\n');
		char *line, *mid = NULL;

		if (str_startcase(l, "Message-ID:")) {
			line = xstrndup(l + 11, nl ? (size_t)(nl - l - 11) :
			    strlen(l + 11));
			mid = mid_at(line, domain);
			free(line);
		}
		if (mid != NULL)
			return mid;
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The original Message-ID: from the returned headers, else the text. */
static char *
bounce_orig_mid(const struct mail *m, const char *text, const char *domain)
{
	char *mid;

	for (size_t i = 0; i < m->nparts; i++)
		for (size_t j = 0; j < nitems(original_types); j++)
			if (strcmp(m->parts[i].content_type,
			    original_types[j]) == 0 &&
			    (mid = mid_in(m->parts[i].data, domain)) != NULL)
				return mid;
	return mid_in(text, domain);
}

/* "ID-TAG" of an address local+b-ID-TAG@domain in s, or NULL. */
static char *
envid_in(const char *s, const char *prefix, const char *domain)
{
	size_t pl = strlen(prefix), dl = strlen(domain);

	for (const char *p = strcasestr(s, prefix); p != NULL;
	    p = strcasestr(p + 1, prefix)) {
		const char *id = p + pl;
		size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

		if (p > s && (isalnum((unsigned char)p[-1]) ||
		    strchr("._-+", p[-1]) != NULL))
			continue;
		if (n == 0 || n > BOUNCE_MAX_ID || id[n] != '@' ||
		    strncasecmp(id + n + 1, domain, dl) != 0 ||
		    isalnum((unsigned char)id[n + 1 + dl]) ||
		    id[n + 1 + dl] == '.')
			continue;
		return xstrndup(id, n);
	}
	return NULL;
}

/* The headers that say where a mail was delivered. */
static const char *const to_headers[] = { "Delivered-To:", "X-Original-To:",
    "Envelope-To:", "X-Envelope-To:", "X-Original-Recipient:", "To:" };

/* The pagt+b-ID@ address the report came back to. */
static char *
bounce_envid_of(const struct config *c, const struct mail *m)
{
	const char *at = strchr(c->address, '@');
	char *prefix, *id = NULL;

	if (at == NULL)
		return NULL;
	prefix = xasprintf("%.*s%sb-", (int)(at - c->address), c->address,
	    c->subaddress_separator);
	for (size_t i = 0; i < nitems(to_headers) && id == NULL; i++)
		for (size_t j = 0; j < m->headers_raw.n && id == NULL; j++)
			if (str_startcase(m->headers_raw.v[j], to_headers[i]))
				id = envid_in(m->headers_raw.v[j] +
				    strlen(to_headers[i]), prefix, at + 1);
	for (size_t i = 0; i < m->recipients.n && id == NULL; i++)
		id = envid_in(m->recipients.v[i], prefix, at + 1);
	free(prefix);
	return id;
}

/* The first address in s that is not the pact's own, lower case. Each
 * side of an @ is looked at up to BOUNCE_MAX_ADDR only, so that a text of
 * @s costs no more than its length times that. */
static char *
foreign_addr(const char *s, const char *domain)
{
	static const char stop[] = " \t\r\n<>\"'():;,[]=";

	for (const char *p = strchr(s, '@'); p != NULL; p = strchr(p + 1, '@')) {
		const char *b = p, *e = p + 1;
		char *a;

		while (b > s && p - b < BOUNCE_MAX_ADDR &&
		    strchr(stop, b[-1]) == NULL)
			b--;
		while (*e != '\0' && e - p < BOUNCE_MAX_ADDR &&
		    strchr(stop, *e) == NULL)
			e++;
		while (e > p + 1 && e[-1] == '.')
			e--;
		if (b == p || e == p + 1 || str_startcase(b, "mailer-daemon@") ||
		    str_startcase(b, "postmaster@"))
			continue;
		a = xstrndup(b, e - b);
		str_lower(a);
		/* A side cut at its limit may end inside a character. */
		if (utf8_valid(a, strlen(a)) &&
		    strcasecmp(strchr(a, '@') + 1, domain) != 0 &&
		    strchr(strchr(a, '@') + 1, '.') != NULL)
			return a;
		free(a);
	}
	return NULL;
}

/* The line of text that holds at, on its own. */
static char *
line_of(const char *text, const char *at)
{
	const char *b = at, *e = strchr(at, '\n');

	while (b > text && b[-1] != '\n')
		b--;
	return one_line(b, e ? (size_t)(e - b) : strlen(b));
}

/* The reason given for rcpt in the text ("rcpt: reason", as OpenSMTPD
 * and Postfix write it, with its indented continuation lines), without
 * quotes; or NULL. */
static char *
reason_for(const char *text, const char *rcpt)
{
	size_t n = strlen(rcpt);

	for (const char *p = strcasestr(text, rcpt); p != NULL;
	    p = strcasestr(p + 1, rcpt)) {
		const char *r = p + n + (p[n] == '>'), *e;
		char *v;

		if (*r != ':')
			continue;
		for (e = strchr(++r, '\n'); e != NULL && (e[1] == ' ' ||
		    e[1] == '\t') && e[1 + strspn(e + 1, " \t")] != '\n';
		    e = strchr(e + 1, '\n'))
			;
		v = one_line(r, e ? (size_t)(e - r) : strlen(r));
		n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			memmove(v, v + 1, n - 2);
			v[n - 2] = '\0';
		}
		if (*v != '\0')
			return v;
		free(v);
	}
	return NULL;
}

/* What the text for people says, for reports without a delivery-status
 * part, or to fill in what that part left out. */
static void
bounce_from_text(struct bounce *b, const char *text, const char *domain)
{
	const char *at = NULL;
	char *st;

	if (b->rcpt == NULL)
		b->rcpt = foreign_addr(text, domain);
	if (b->diagnostic == NULL && b->rcpt != NULL)
		b->diagnostic = reason_for(text, b->rcpt);
	if ((st = status_in(b->diagnostic, NULL)) == NULL &&
	    (st = status_in(text, &at)) != NULL && b->diagnostic == NULL)
		b->diagnostic = line_of(text, at);
	if (b->status == NULL)
		b->status = st;
	else
		free(st);
}

/* Whether the words say failed, for a report without a delivery-status
 * part; delay first, since a delay notice also says "could not be
 * delivered". */
static int
words_failed(const char *subject, const char *text)
{
	if (has_word(subject, delayed_words, nitems(delayed_words)) ||
	    has_word(text, delayed_words, nitems(delayed_words)))
		return 0;
	return has_word(subject, failed_words, nitems(failed_words)) ||
	    has_word(text, failed_words, nitems(failed_words));
}

/* The text up to BOUNCE_MAX_SCAN, cut at a character boundary so that
 * what is read from it stays UTF-8. */
static char *
text_prefix(const char *t)
{
	size_t n;

	if (t == NULL)
		return xstrdup("");
	n = strnlen(t, BOUNCE_MAX_SCAN);
	while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
		n--;
	return xstrndup(t, n);
}

int
bounce_read(const struct config *c, const struct mail *m, struct bounce *b)
{
	const char *at = strchr(c->address, '@'), *domain = at ? at + 1 : "";
	char *text = text_prefix(m->text);
	int ds = 0;

	memset(b, 0, sizeof *b);
	for (size_t i = 0; i < m->nparts; i++)
		if (strcmp(m->parts[i].content_type,
		    "message/delivery-status") == 0 ||
		    strcmp(m->parts[i].content_type,
		    "message/global-delivery-status") == 0)
			ds |= ds_read(b, m->parts[i].data);
	if (!ds)
		b->failed = words_failed(m->subject, text);
	b->report = ds || m->is_report || b->failed ||
	    has_word(m->subject, delayed_words, nitems(delayed_words));
	if (b->report) {
		b->envid = bounce_envid_of(c, m);
		b->orig_mid = bounce_orig_mid(m, text, domain);
	}
	if (b->failed)
		bounce_from_text(b, text, domain);
	if (b->failed && b->status == NULL)
		b->status = xstrdup("5.0.0");
	free(text);
	return b->failed && (b->envid != NULL || b->orig_mid != NULL);
}

void
bounce_free(struct bounce *b)
{
	free(b->rcpt);
	free(b->status);
	free(b->diagnostic);
	free(b->envid);
	free(b->orig_mid);
	memset(b, 0, sizeof *b);
}

char *
bounce_smtp_status(const char *reply)
{
	char *st = status_in(reply, NULL);

	if (st != NULL)
		return st;
	return xasprintf("%c.0.0", reply != NULL && *reply == '4' ? '4' : '5');
}

char *
bounce_envid(long long id, const char *tag)
{
	return xasprintf("b-%lld-%s", id, tag);
}

int
bounce_envid_split(const char *envid, long long *id, char *tag,
    size_t tagsize)
{
	char *end;
	int n;

	*id = strtoll(envid, &end, 10);
	if (end == envid || *end != '-' || *id <= 0 || end[1] == '\0')
		return -1;
	n = snprintf(tag, tagsize, "%s", end + 1);
	if (n < 0 || (size_t)n >= tagsize)
		return -1;
	str_lower(tag);
	return 0;
}
