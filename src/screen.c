/* Screening incoming mail before anything is done with it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	if (machine_sender(m->from_addr) || machine_sender(m->return_path))
		return "sent by a mailer daemon";
	if (m->is_report)
		return "delivery status report";
	if (subject_is_autoreply(m->subject))
		return "automatic reply subject";
	return NULL;
}

/* A From field that names one mailbox, told apart from one that names
 * several ("a@x, b@y"): a comma outside quotes with an @ on both sides. */
const char *
screen_ambiguous_sender(const struct mail *m)
{
	int from = 0;

	for (size_t i = 0; i < m->headers_raw.n; i++)
		if (strncasecmp(m->headers_raw.v[i], "From:", 5) == 0)
			from++;
	if (from > 1)
		return "more than one From field";
	if (from == 1 && m->from_addr == NULL)
		return "no readable From address";
	for (size_t i = 0; i < m->headers_raw.n; i++) {
		const char *h = m->headers_raw.v[i], *comma;
		int quoted = 0;

		if (strncasecmp(h, "From:", 5) != 0)
			continue;
		for (comma = h; *comma != '\0'; comma++) {
			if (*comma == '"')
				quoted = !quoted;
			else if (*comma == ',' && !quoted)
				break;
		}
		if (*comma == ',' && memchr(h, '@', comma - h) != NULL &&
		    strchr(comma, '@') != NULL)
			return "From names several mailboxes";
	}
	return NULL;
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

/* Relaxed alignment: the signing domain is the From domain or a parent. */
static int
aligned(const char *d, const char *from)
{
	const char *fd = from ? strchr(from, '@') : NULL;
	size_t dl, fl;

	if (d == NULL || fd == NULL)
		return 0;
	fd++;
	dl = strlen(d);
	fl = strlen(fd);
	if (strcasecmp(d, fd) == 0)
		return 1;
	return fl > dl && fd[fl - dl - 1] == '.' &&
	    strcasecmp(fd + fl - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* Whether one A-R value says pass: its dmarc result when it gives one,
 * else a DKIM pass aligned with From. */
static int
ar_pass(const struct ar *ar, const char *from)
{
	int dmarc_seen = 0, dmarc_pass = 0, dkim_pass = 0;
	const char *r;

	for (size_t i = 1; i < ar->n; i++) {
		const struct strv *cl = &ar->clause[i];

		if ((r = ar_result(cl, "dmarc")) != NULL) {
			dmarc_seen = 1;
			dmarc_pass = strcasecmp(r, "pass") == 0;
		} else if ((r = ar_result(cl, "dkim")) != NULL &&
		    strcasecmp(r, "pass") == 0 &&
		    aligned(ar_property(cl, "header.d"), from))
			dkim_pass = 1;
	}
	return dmarc_seen ? dmarc_pass : dkim_pass;
}

int
screen_dmarc_pass(const struct mail *m, const char *authserv_id)
{
	for (size_t i = 0; i < m->auth_results.n; i++) {
		struct ar ar;
		int mine, pass = 0;

		ar_parse(m->auth_results.v[i], &ar);
		mine = ar.clause[0].n > 0 &&
		    strcasecmp(ar.clause[0].v[0], authserv_id) == 0;
		if (mine)	/* only the topmost of our own server counts */
			pass = ar_pass(&ar, m->from_addr);
		ar_free(&ar);
		if (mine)
			return pass;
	}
	return 0;
}
