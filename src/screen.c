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

/* The authserv-id of an Authentication-Results value, lower case. */
static char *
ar_authserv(const char *v)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strcspn(v, "; \t\r\n");
	return xstrndup(v, n);
}

/* The value of "key=" in a result clause, or NULL. */
static char *
ar_prop(const char *clause, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = clause; *p != '\0'; p++) {
		if ((p == clause || isspace((unsigned char)p[-1])) &&
		    strncasecmp(p, key, kl) == 0 && p[kl] == '=') {
			p += kl + 1;
			return xstrndup(p, strcspn(p, " \t\r\n;()"));
		}
	}
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
ar_pass(const char *v, const char *from)
{
	char *copy = xstrdup(v), *save = NULL, *clause;
	int dmarc_seen = 0, dmarc_pass = 0, dkim_pass = 0, first = 1;

	for (clause = strtok_r(copy, ";", &save); clause != NULL;
	    clause = strtok_r(NULL, ";", &save), first = 0) {
		char *dmarc, *dkim, *d;

		if (first)
			continue;	/* the authserv-id */
		if ((dmarc = ar_prop(clause, "dmarc")) != NULL) {
			dmarc_seen = 1;
			dmarc_pass = strcasecmp(dmarc, "pass") == 0;
			free(dmarc);
		} else if ((dkim = ar_prop(clause, "dkim")) != NULL) {
			d = ar_prop(clause, "header.d");
			if (strcasecmp(dkim, "pass") == 0 && aligned(d, from))
				dkim_pass = 1;
			free(d);
			free(dkim);
		}
	}
	free(copy);
	return dmarc_seen ? dmarc_pass : dkim_pass;
}

int
screen_dmarc_pass(const struct mail *m, const char *authserv_id)
{
	for (size_t i = 0; i < m->auth_results.n; i++) {
		char *id = ar_authserv(m->auth_results.v[i]);
		int mine = strcasecmp(id, authserv_id) == 0;

		free(id);
		if (mine)	/* only the topmost of our own server counts */
			return ar_pass(m->auth_results.v[i], m->from_addr);
	}
	return 0;
}
