/* Screening incoming mail before anything is done with it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "screen.h"
#include "subject.h"
#include "util.h"

/* Local parts that only machines send from. */
static const char *const machine_senders[] = { "mailer-daemon", "postmaster",
    "mail-daemon", "mailerdaemon" };

static int
machine_sender(const char *addr)
{
	const char *at;

	if (addr == NULL)
		return 0;
	at = strchr(addr, '@');
	for (size_t i = 0; i < nitems(machine_senders); i++) {
		size_t n = strlen(machine_senders[i]);

		if (at != NULL && (size_t)(at - addr) == n &&
		    strncasecmp(addr, machine_senders[i], n) == 0)
			return 1;
	}
	return 0;
}

/* A From field that could not be read strictly may still name a mailer
 * daemon: old mailers write "From: MAILER-DAEMON" without a domain. */
static int
machine_from_raw(const struct mail *m)
{
	const char *v, *lt;
	char *t;
	int yes = 0;

	for (size_t i = 0; i < m->headers_raw.n && !yes; i++) {
		if (strncasecmp(m->headers_raw.v[i], "From:", 5) != 0)
			continue;
		v = m->headers_raw.v[i] + 5;
		if ((lt = strchr(v, '<')) != NULL)
			v = lt + 1;
		v += strspn(v, " \t");
		t = xasprintf("%.*s@", (int)strcspn(v, "@> \t"), v);
		yes = machine_sender(t);
		free(t);
	}
	return yes;
}

const char *
screen_automatic(const struct mail *m)
{
	if (m->auto_submitted != NULL) {
		char *v = xstrdup(m->auto_submitted);
		int no = strcasecmp(str_trim(v), "no") == 0;

		free(v);
		if (!no)
			return "Auto-Submitted header";
	}
	if (m->precedence != NULL && (strcasestr(m->precedence, "bulk") ||
	    strcasestr(m->precedence, "junk") ||
	    strcasestr(m->precedence, "list")))
		return "Precedence header";
	if (m->has_list_id)
		return "List-Id header (mailing list)";
	if (m->return_path != NULL && *m->return_path == '\0')
		return "empty return path (bounce)";
	if (machine_sender(m->from_addr) || machine_sender(m->return_path) ||
	    (m->from_addr == NULL && machine_from_raw(m)))
		return "sent by a mailer daemon";
	if (m->is_report)
		return "delivery status report";
	if (subject_is_autoreply(m->subject))
		return "automatic reply subject";
	return NULL;
}

/* The From field was read strictly when the mail was parsed; here is only
 * its verdict. */
const char *
screen_ambiguous_sender(const struct mail *m)
{
	return m->from_problem;
}

/* Fields a message has at most once (RFC 5322 3.6), and that decide what
 * pactd reads. A second copy added above a DKIM-signed mail changes what
 * pactd reads while the signature, which covers the last copy, still
 * passes: such mail is refused, as a second From is. */
static const char *const singletons[] = { "From", "Sender", "Reply-To",
    "To", "Cc", "Bcc", "Date", "Message-ID", "In-Reply-To", "References",
    "Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version" };

/* The length of a raw header's name, without white space before ':'. */
static size_t
raw_name_len(const char *h)
{
	size_t n = strcspn(h, ":");

	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return n;
}

const char *
screen_duplicate_field(const struct mail *m)
{
	static char why[80];

	for (size_t k = 0; k < nitems(singletons); k++) {
		size_t want = strlen(singletons[k]);
		int seen = 0;

		for (size_t i = 0; i < m->headers_raw.n; i++) {
			const char *h = m->headers_raw.v[i];

			if (raw_name_len(h) == want &&
			    strncasecmp(h, singletons[k], want) == 0)
				seen++;
		}
		if (seen > 1) {
			snprintf(why, sizeof why, "more than one %s field",
			    singletons[k]);
			return why;
		}
	}
	return NULL;
}

int
screen_addressed_to(const struct mail *m, const char *address,
    const char *sep)
{
	const char *at = strchr(address, '@');
	size_t local = at != NULL ? (size_t)(at - address) : 0;
	size_t sl = strlen(sep);

	if (at == NULL)
		return 0;
	for (size_t i = 0; i < m->recipients.n; i++) {
		const char *r = m->recipients.v[i], *rat = strchr(r, '@');

		if (rat == NULL || strcasecmp(rat, at) != 0 ||
		    strncasecmp(r, address, local) != 0)
			continue;
		if (r + local == rat || (sl > 0 &&
		    strncmp(r + local, sep, sl) == 0))
			return 1;
	}
	return 0;
}

#define AR_CLAUSES	64

/*
 * An Authentication-Results value (RFC 8601) as clauses split at ';', each
 * a list of tokens split at white space. Comments go, and a quoted string
 * is one token starting with '"', so that nothing inside either can pass
 * for a method or a result.
 */
struct ar {
	struct strv clause[AR_CLAUSES];
	size_t n;
};

static void
ar_token_end(struct ar *ar, struct buf *tok)
{
	if (tok->len > 0 && ar->n < AR_CLAUSES)
		strv_add(&ar->clause[ar->n], tok->s);
	buf_free(tok);
}

static void
ar_parse(const char *v, struct ar *ar)
{
	struct buf tok;
	int depth = 0, quoted = 0;

	memset(ar, 0, sizeof *ar);
	buf_init(&tok);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0' && (quoted || depth > 0)) {
			if (quoted)
				buf_addc(&tok, p[1]);
			p++;
		} else if (quoted) {
			if (*p == '"')
				quoted = 0;
			else
				buf_addc(&tok, *p);
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth > 0)
			continue;
		else if (*p == '"') {
			ar_token_end(ar, &tok);
			buf_addc(&tok, '"');
			quoted = 1;
		} else if (*p == ';') {
			ar_token_end(ar, &tok);
			if (ar->n < AR_CLAUSES)
				ar->n++;
		} else if (isspace((unsigned char)*p))
			ar_token_end(ar, &tok);
		else
			buf_addc(&tok, *p);
	}
	ar_token_end(ar, &tok);
	if (ar->n < AR_CLAUSES)
		ar->n++;
}

static void
ar_free(struct ar *ar)
{
	for (size_t i = 0; i < AR_CLAUSES; i++)
		strv_free(&ar->clause[i]);
}

/* The result of a clause whose method is method ("dmarc=pass"), or NULL. */
static const char *
ar_result(const struct strv *cl, const char *method)
{
	size_t n = strlen(method);
	const char *t, *eq;

	if (cl->n == 0 || (t = cl->v[0])[0] == '"' ||
	    (eq = strchr(t, '=')) == NULL || strncasecmp(t, method, n) != 0 ||
	    (t[n] != '=' && t[n] != '/'))
		return NULL;
	return eq + 1;
}

/* A property of a clause ("header.d"), or NULL. */
static const char *
ar_property(const struct strv *cl, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 1; i < cl->n; i++)
		if (strncasecmp(cl->v[i], name, n) == 0 && cl->v[i][n] == '=')
			return cl->v[i] + n + 1;
	return NULL;
}

/* Whether two domains are the same, ASCII case ignored. */
static int
same_domain(const char *a, const char *b)
{
	return a != NULL && b != NULL && *a != '\0' && strcasecmp(a, b) == 0;
}

/* Relaxed alignment: the signing domain is the From domain or a parent
 * of it, never a bare top-level domain. */
static int
aligned(const char *d, const char *fd)
{
	size_t dl, fl;

	if (d == NULL || *d == '\0')
		return 0;
	if (same_domain(d, fd))
		return 1;
	dl = strlen(d);
	fl = strlen(fd);
	return fl > dl && fd[fl - dl - 1] == '.' &&
	    strcasecmp(fd + fl - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* A value from the header, safe for a log line and bounded. */
static char *
shown(const char *v)
{
	char *s = xstrndup(v, strnlen(v, 64));

	for (char *p = s; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			*p = '?';
	return s;
}

/* header.from names a domain; some servers write a whole address. */
static const char *
ar_header_from(const struct strv *cl)
{
	const char *v = ar_property(cl, "header.from"), *at;

	if (v != NULL && (at = strrchr(v, '@')) != NULL)
		return at + 1;
	return v;
}

/* What an A-R value said that was no pass, for the reason. */
struct ar_seen {
	const char *dmarc;	/* the last dmarc result, "none" without */
	const char *other_from;	/* a dmarc=pass for this header.from */
	const char *other_d;	/* a dkim=pass for this header.d ("" none) */
	int bare;		/* a dmarc=pass without header.from */
	int spf;		/* an spf=pass */
};

/* Whether one A-R value passes for the From domain fd: dmarc=pass for fd
 * itself, or dkim=pass aligned with it. SPF never vouches for From. */
static int
ar_passes(const struct ar *ar, size_t first, const char *fd,
    struct ar_seen *seen)
{
	const char *r, *v;

	memset(seen, 0, sizeof *seen);
	seen->dmarc = "none";
	for (size_t i = first; i < ar->n; i++) {
		const struct strv *cl = &ar->clause[i];

		if ((r = ar_result(cl, "dmarc")) != NULL) {
			seen->dmarc = r;
			if (strcasecmp(r, "pass") != 0)
				continue;
			if ((v = ar_header_from(cl)) == NULL)
				seen->bare = 1;
			else if (same_domain(v, fd))
				return 1;
			else
				seen->other_from = v;
		} else if ((r = ar_result(cl, "dkim")) != NULL &&
		    strcasecmp(r, "pass") == 0) {
			if (aligned(v = ar_property(cl, "header.d"), fd))
				return 1;
			seen->other_d = v != NULL ? v : "";
		} else if ((r = ar_result(cl, "spf")) != NULL &&
		    strcasecmp(r, "pass") == 0)
			seen->spf = 1;
	}
	return 0;
}

/* Why it was no pass, with the header's values made safe to show. */
static char *
ar_reason(const struct ar_seen *seen, const char *fd)
{
	struct buf b;
	char *x;

	buf_init(&b);
	x = shown(seen->dmarc);
	buf_addf(&b, "dmarc=%s", x);
	free(x);
	if (seen->other_from != NULL) {
		x = shown(seen->other_from);
		buf_addf(&b, " for header.from=%s, not %s", x, fd);
		free(x);
	} else if (seen->bare)
		buf_adds(&b, " without header.from");
	if (seen->other_d != NULL && *seen->other_d != '\0') {
		x = shown(seen->other_d);
		buf_addf(&b, "; dkim=pass for header.d=%s, not %s or a parent "
		    "of it", x, fd);
		free(x);
	} else if (seen->other_d != NULL)
		buf_adds(&b, "; dkim=pass without header.d");
	else if (seen->spf)
		buf_adds(&b, "; SPF alone does not vouch for From");
	else
		buf_adds(&b, "; no aligned dkim=pass");
	return buf_steal(&b);
}

/* The authserv-id of an A-R value and where its results start; a value
 * that opens with a result (as Microsoft 365 writes it) has the empty id. */
static const char *
ar_authserv_id(const struct ar *ar, size_t *first)
{
	const struct strv *c0 = &ar->clause[0];

	*first = 1;
	if (c0->n > 0 && c0->v[0][0] != '"' && strchr(c0->v[0], '=') == NULL)
		return c0->v[0];
	*first = 0;
	return "";
}

char *
screen_dmarc_why(const struct mail *m, const char *authserv_id)
{
	const char *fd = address_domain(m->from_addr), *id;
	struct ar_seen seen;
	char *why = NULL;
	size_t first;
	struct ar ar;

	if (fd == NULL)
		return xstrdup("no From address");
	for (size_t i = 0; i < m->auth_results.n; i++) {
		ar_parse(m->auth_results.v[i], &ar);
		id = ar_authserv_id(&ar, &first);
		if (strcasecmp(id, authserv_id) == 0) {
			/* only the topmost of our own server counts */
			if (!ar_passes(&ar, first, fd, &seen))
				why = ar_reason(&seen, fd);
			ar_free(&ar);
			return why;
		}
		ar_free(&ar);
	}
	return xasprintf("no Authentication-Results of %s",
	    *authserv_id != '\0' ? authserv_id : "a server without authserv-id");
}

int
screen_dmarc_pass(const struct mail *m, const char *authserv_id)
{
	char *why = screen_dmarc_why(m, authserv_id);
	int pass = why == NULL;

	free(why);
	return pass;
}
