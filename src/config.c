/*
 * pactd.conf and roster.conf, read with libinih. Every key of pactd.conf is
 * declared once in options[] with its type, range and default; every error
 * is collected as "file:line: reason" so that an operator sees them all.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "draft.h"
#include "header.h"
#include "util.h"

enum opt_type { O_STR, O_PATH, O_ADDR, O_FROM, O_URL, O_BOOL, O_INT, O_ENUM,
    O_LANG, O_TZ };

struct option {
	const char *section;
	const char *key;
	enum opt_type type;
	size_t off;
	const char *dflt;	/* NULL: required */
	long min, max;		/* O_INT */
	const char *const *choices; /* O_ENUM, index stored */
};

static const char *const majority_choices[] = { "simple", "absolute", NULL };
static const char *const vote_auth_choices[] = { "token", "dmarc",
    "token+dmarc", NULL };
static const char *const sender_auth_choices[] = { "from", "dmarc", NULL };
static const char *const auth_choices[] = { "password", "oauth2", NULL };
static const char *const grant_choices[] = { "client_credentials",
    "refresh_token", "command", NULL };

#define S(f) offsetof(struct config, f)
static const struct option options[] = {
	{ "pact", "name", O_STR, S(name), "Cybersikkerhedspagten", 0, 0, NULL },
	{ "pact", "address", O_ADDR, S(address), NULL, 0, 0, NULL },
	{ "pact", "subaddress_separator", O_STR, S(subaddress_separator), "+",
	    0, 0, NULL },
	{ "pact", "default_language", O_LANG, S(default_language), "da", 0, 0,
	    NULL },
	{ "pact", "timezone", O_TZ, S(timezone), "Europe/Copenhagen", 0, 0,
	    NULL },
	{ "pact", "database", O_PATH, S(database), "/var/lib/pactd/pactd.db",
	    0, 0, NULL },
	{ "pact", "roster", O_PATH, S(roster_path), "/etc/pactd/roster.conf",
	    0, 0, NULL },
	{ "pact", "templates", O_PATH, S(templates),
	    "/usr/share/pactd/templates", 0, 0, NULL },

	{ "imap", "url", O_URL, S(imap_url), NULL, 0, 0, NULL },
	{ "imap", "starttls", O_BOOL, S(imap_starttls), "no", 0, 0, NULL },
	{ "imap", "user", O_STR, S(imap_user), "", 0, 0, NULL },
	{ "imap", "password_file", O_PATH, S(imap_password_file),
	    "/etc/pactd/imap.password", 0, 0, NULL },
	{ "imap", "ca_file", O_PATH, S(imap_ca_file), "", 0, 0, NULL },
	{ "imap", "mailbox", O_STR, S(imap_mailbox), "INBOX", 0, 0, NULL },
	{ "imap", "idle", O_BOOL, S(imap_idle), "yes", 0, 0, NULL },
	{ "imap", "poll_interval", O_INT, S(poll_interval), "60", 1, 86400,
	    NULL },
	{ "imap", "auth", O_ENUM, S(imap_auth), "password", 0, 0,
	    auth_choices },

	{ "smtp", "url", O_URL, S(smtp_url), NULL, 0, 0, NULL },
	{ "smtp", "starttls", O_BOOL, S(smtp_starttls), "no", 0, 0, NULL },
	{ "smtp", "user", O_STR, S(smtp_user), "", 0, 0, NULL },
	{ "smtp", "password_file", O_PATH, S(smtp_password_file),
	    "/etc/pactd/smtp.password", 0, 0, NULL },
	{ "smtp", "ca_file", O_PATH, S(smtp_ca_file), "", 0, 0, NULL },
	{ "smtp", "from", O_FROM, S(smtp_from), NULL, 0, 0, NULL },
	{ "smtp", "auth", O_ENUM, S(smtp_auth), "password", 0, 0,
	    auth_choices },

	{ "folders", "processed", O_STR, S(folder_processed),
	    "pactd/Processed", 0, 0, NULL },
	{ "folders", "rejected", O_STR, S(folder_rejected), "pactd/Rejected",
	    0, 0, NULL },
	{ "folders", "quarantine", O_STR, S(folder_quarantine),
	    "pactd/Quarantine", 0, 0, NULL },
	{ "folders", "ignored", O_STR, S(folder_ignored), "pactd/Ignored", 0,
	    0, NULL },

	{ "rules", "majority", O_ENUM, S(majority), "simple", 0, 0,
	    majority_choices },
	{ "rules", "quorum", O_INT, S(quorum), "0", 0, 1000, NULL },
	{ "rules", "voting_days", O_INT, S(voting_days), "14", 1, 365, NULL },
	{ "rules", "reminder_days", O_INT, S(reminder_days), "3", 0, 365,
	    NULL },
	{ "rules", "consultation_days", O_INT, S(consultation_days), "30", 1,
	    365, NULL },

	{ "meetings", "cadence_months", O_INT, S(cadence_months), "6", 1, 60,
	    NULL },
	{ "meetings", "default_duration_minutes", O_INT,
	    S(default_duration_minutes), "180", 1, 1440, NULL },
	{ "meetings", "invite_advisory_board", O_BOOL,
	    S(invite_advisory_board), "no", 0, 0, NULL },

	{ "security", "sender_auth", O_ENUM, S(sender_auth), "from", 0, 0,
	    sender_auth_choices },
	{ "security", "vote_auth", O_ENUM, S(vote_auth), "token", 0, 0,
	    vote_auth_choices },
	{ "security", "trusted_authserv_id", O_STR, S(trusted_authserv_id),
	    "mx.example.test", 0, 0, NULL },
	{ "security", "max_message_bytes", O_INT, S(max_message_bytes),
	    "10485760", 1024, 1073741824, NULL },
	{ "security", "reply_rate_per_hour", O_INT, S(reply_rate_per_hour),
	    "20", 1, 100000, NULL },
	{ "security", "outbox_retention_days", O_INT,
	    S(outbox_retention_days), "30", 1, 36500, NULL },
	{ "security", "audit_key_file", O_PATH, S(audit_key_file), "", 0, 0,
	    NULL },

	{ "page", "output_dir", O_PATH, S(output_dir), "/var/lib/pactd/public",
	    0, 0, NULL },
	{ "page", "base_url", O_STR, S(base_url), "https://example.test/pagt",
	    0, 0, NULL },
	{ "page", "publish_url", O_STR, S(publish_url), "", 0, 0, NULL },
	{ "page", "publish_user", O_STR, S(publish_user), "", 0, 0, NULL },
	{ "page", "publish_password_file", O_PATH, S(publish_password_file),
	    "", 0, 0, NULL },

	{ "status", "draft_date", O_STR, S(draft_date), "01-15", 0, 0, NULL },

	{ "oauth2", "grant", O_ENUM, S(oauth2_grant), "client_credentials", 0,
	    0, grant_choices },
	{ "oauth2", "token_url", O_STR, S(oauth2_token_url), "", 0, 0, NULL },
	{ "oauth2", "client_id", O_STR, S(oauth2_client_id), "", 0, 0, NULL },
	{ "oauth2", "client_secret_file", O_PATH, S(oauth2_client_secret_file),
	    "/etc/pactd/oauth2.secret", 0, 0, NULL },
	{ "oauth2", "client_certificate_file", O_PATH,
	    S(oauth2_client_certificate_file), "", 0, 0, NULL },
	{ "oauth2", "client_key_file", O_PATH, S(oauth2_client_key_file), "",
	    0, 0, NULL },
	{ "oauth2", "scope", O_STR, S(oauth2_scope),
	    "https://outlook.office365.com/.default", 0, 0, NULL },
	{ "oauth2", "refresh_token_file", O_PATH, S(oauth2_refresh_token_file),
	    "", 0, 0, NULL },
	{ "oauth2", "token_command", O_STR, S(oauth2_token_command), "", 0, 0,
	    NULL },
};
#undef S

/* State while one file is read. */
struct parse {
	struct config *conf;
	const char *file;
	FILE *fp;
	int line;
	int section_line;	/* where the current [section] began */
	struct strv *errors;
	int seen[nitems(options)];	/* the line a key was given on */
	char *lastsection;
	char *lastkey;
	struct party *party;	/* roster: the [party X] being read */
	struct group *group;
};

static void
parse_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_addn(p->errors, xasprintf("%s:%d: %s", p->file, p->line, s));
	free(s);
}

/* fgets for inih that counts lines, so that errors carry their number. */
static char *
parse_reader(char *str, int num, void *arg)
{
	struct parse *p = arg;
	int c;
	int n = 0;
	int toolong = 0;

	c = getc(p->fp);
	if (c == EOF)
		return NULL;
	p->line++;
	while (c != EOF && c != '\n') {
		if (c == '\0')
			c = ' ';
		if (n < num - 2)
			str[n++] = (char)c;
		else
			toolong = 1;
		c = getc(p->fp);
	}
	str[n++] = '\n';
	str[n] = '\0';
	if (str[strspn(str, " \t")] == '[')
		p->section_line = p->line;
	if (toolong)
		parse_error(p, "line longer than %d characters", num - 2);
	return str;
}

int
addr_valid(const char *a)
{
	const char *at = strchr(a, '@');
	const char *p;

	if (at == NULL || at == a || strchr(at + 1, '@') != NULL)
		return 0;
	if (strlen(a) > 254 || at[1] == '\0' || strchr(at + 1, '.') == NULL)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[]\\,;:\"", *p))
			return 0;
	return at[strlen(at) - 1] != '.';
}

/* The display name before '<': unquoted when quoted, and one line, since
 * a field folded over lines (a Kontakt: continued below) joins with
 * spaces and keeps no line break or control character. */
static char *
person_name(const char *s, size_t n)
{
	char *raw = xstrndup(s, n), *t = str_trim(raw), *name, *p, *q;
	size_t tl = strlen(t);

	if (tl >= 2 && t[0] == '"' && t[tl - 1] == '"') {
		t[tl - 1] = '\0';
		for (p = q = ++t; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			*q++ = *p;
		}
		*q = '\0';
	}
	name = header_clean(t);
	free(raw);
	if (*name == '\0') {
		free(name);
		return NULL;
	}
	return name;
}

/* The first '<' outside a quoted-string: a quoted name may hold one. */
static const char *
angle_open(const char *s)
{
	int quoted = 0;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '<')
			return s;
	}
	return NULL;
}

int
person_parse(const char *s, struct person *pp)
{
	const char *lt = angle_open(s), *gt;
	char *addr, *name = NULL;

	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[strspn(gt + 1, " \t\r\n") + 1] != '\0')
			return -1;
		addr = xstrndup(lt + 1, gt - lt - 1);
		name = person_name(s, lt - s);
	} else
		addr = xstrdup(s);
	memmove(addr, str_trim(addr), strlen(str_trim(addr)) + 1);
	str_lower(addr);
	/* A contact is an address that every outgoing header can carry. */
	if (!addr_valid(addr) || !header_addr_valid(addr)) {
		free(addr);
		free(name);
		return -1;
	}
	pp->addr = addr;
	pp->name = name;
	return 0;
}

void
person_free(struct person *pp)
{
	free(pp->name);
	free(pp->addr);
}

static char **
opt_str(struct config *c, const struct option *o)
{
	return (char **)((char *)c + o->off);
}

static int *
opt_int(struct config *c, const struct option *o)
{
	return (int *)((char *)c + o->off);
}

/* "'x' is not one of a, b or c". */
static char *
enum_error(const struct option *o, const char *v)
{
	struct buf b;
	size_t n = 0;

	while (o->choices[n] != NULL)
		n++;
	buf_init(&b);
	buf_addf(&b, "'%s' is not one of ", v);
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " :
		    ", ", o->choices[i]);
	return buf_steal(&b);
}

/* Check and store one value; returns an error text or NULL. */
static char *
opt_set(struct config *c, const struct option *o, const char *v)
{
	char *end;
	long n;
	struct person pp;
	char *tz;

	switch (o->type) {
	case O_BOOL:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
		    !strcmp(v, "1") || !strcasecmp(v, "on"))
			*opt_int(c, o) = 1;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		    !strcmp(v, "0") || !strcasecmp(v, "off"))
			*opt_int(c, o) = 0;
		else
			return xasprintf("'%s' is not yes or no", v);
		return NULL;
	case O_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0)
			return xasprintf("'%s' is not a number", v);
		if (n < o->min || n > o->max)
			return xasprintf("%ld is out of range (%ld to %ld)", n,
			    o->min, o->max);
		*opt_int(c, o) = (int)n;
		return NULL;
	case O_ENUM:
		for (int i = 0; o->choices[i] != NULL; i++)
			if (!strcasecmp(v, o->choices[i])) {
				*opt_int(c, o) = i;
				return NULL;
			}
		return enum_error(o, v);
	case O_LANG:
		if (strcmp(v, "da") != 0 && strcmp(v, "en") != 0)
			return xasprintf("'%s' is not a language (da or en)", v);
		break;
	case O_ADDR:
		if (!addr_valid(v))
			return xasprintf("'%s' is not a mail address", v);
		break;
	case O_FROM:
		if (person_parse(v, &pp) != 0)
			return xasprintf("'%s' is not 'Name <address>' or an "
			    "address", v);
		person_free(&pp);
		break;
	case O_URL:
		if (strncmp(v, "imap://", 7) && strncmp(v, "imaps://", 8) &&
		    strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8))
			return xasprintf("'%s' is not an imap://, imaps://, "
			    "smtp:// or smtps:// URL", v);
		if (strcmp(o->section, "imap") == 0 && v[0] != 'i')
			return xasprintf("'%s' is not an imap:// or imaps:// "
			    "URL", v);
		if (strcmp(o->section, "smtp") == 0 && v[0] != 's')
			return xasprintf("'%s' is not an smtp:// or smtps:// "
			    "URL", v);
		break;
	case O_TZ:
		tz = xasprintf("/usr/share/zoneinfo/%s", v);
		if (strstr(v, "..") != NULL || access(tz, R_OK) != 0) {
			free(tz);
			return xasprintf("unknown time zone '%s'", v);
		}
		free(tz);
		break;
	case O_STR:
	case O_PATH:
		break;
	}
	free(*opt_str(c, o));
	*opt_str(c, o) = xstrdup(v);
	return NULL;
}

/* inih handler for pactd.conf. */
static int
conf_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct parse *p = arg;
	char *err;
	size_t i;

	for (i = 0; i < nitems(options); i++)
		if (!strcmp(options[i].section, section) &&
		    !strcmp(options[i].key, key))
			break;
	if (i == nitems(options)) {
		if (*section == '\0')
			parse_error(p, "key '%s' outside a section", key);
		else
			parse_error(p, "unknown key '%s' in [%s]", key,
			    section);
		return 1;
	}
	if (p->seen[i]) {
		parse_error(p, "[%s] %s given twice", section, key);
		return 1;
	}
	p->seen[i] = p->line;
	if ((err = opt_set(p->conf, &options[i], value)) != NULL) {
		parse_error(p, "[%s] %s: %s", section, key, err);
		free(err);
	}
	return 1;
}

static void
group_add(struct parse *p, struct group *g, const char *v)
{
	struct person pp;

	if (person_parse(v, &pp) != 0) {
		parse_error(p, "'%s' is not 'Name <address>' or an address", v);
		return;
	}
	g->members = xrealloc(g->members, (g->nmembers + 1) * sizeof pp);
	g->members[g->nmembers++] = pp;
}

/* Start a [party ID] section. */
static void
roster_party(struct parse *p, const char *section)
{
	struct roster *r = &p->conf->roster;
	const char *id = section + 6;
	struct party *pt;

	while (*id == ' ')
		id++;
	for (size_t i = 0; i < r->nparties; i++)
		if (!strcasecmp(r->parties[i].id, id)) {
			parse_error(p, "party '%s' defined twice", id);
			p->party = &r->parties[i];
			return;
		}
	r->parties = xrealloc(r->parties, (r->nparties + 1) * sizeof *pt);
	pt = &r->parties[r->nparties++];
	memset(pt, 0, sizeof *pt);
	pt->id = xstrdup(id);
	pt->line = p->section_line;
	p->party = pt;
}

static void
roster_party_key(struct parse *p, struct party *pt, const char *key,
    const char *value)
{
	struct group g = { 0 };

	if (!strcmp(key, "name")) {
		free(pt->name);
		pt->name = xstrdup(value);
	} else if (!strcmp(key, "lang")) {
		if (strcmp(value, "da") && strcmp(value, "en"))
			parse_error(p, "'%s' is not a language (da or en)",
			    value);
		else {
			free(pt->lang);
			pt->lang = xstrdup(value);
		}
	} else if (!strcmp(key, "delegate")) {
		g.members = pt->delegates;
		g.nmembers = pt->ndelegates;
		group_add(p, &g, value);
		pt->delegates = g.members;
		pt->ndelegates = g.nmembers;
	} else
		parse_error(p, "unknown key '%s' in a party (name, delegate, "
		    "lang)", key);
}

static void
roster_group_key(struct parse *p, struct group *g, const char *key,
    const char *value)
{
	if (!strcmp(key, "name")) {
		free(g->name);
		g->name = xstrdup(value);
	} else if (!strcmp(key, "lang")) {
		if (strcmp(value, "da") && strcmp(value, "en"))
			parse_error(p, "'%s' is not a language (da or en)",
			    value);
		else {
			free(g->lang);
			g->lang = xstrdup(value);
		}
	} else if (!strcmp(key, "member"))
		group_add(p, g, value);
	else
		parse_error(p, "unknown key '%s' (name, member, lang)", key);
}

/* inih handler for roster.conf. */
static int
roster_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct parse *p = arg;
	struct roster *r = &p->conf->roster;

	if (p->lastsection == NULL || strcmp(p->lastsection, section) != 0) {
		free(p->lastsection);
		p->lastsection = xstrdup(section);
		p->party = NULL;
		if (!strncmp(section, "party ", 6) && section[6] != '\0')
			roster_party(p, section);
	}
	if (p->party != NULL)
		roster_party_key(p, p->party, key, value);
	else if (!strcmp(section, "advisory"))
		roster_group_key(p, &r->advisory, key, value);
	else if (!strcmp(section, "secretariat"))
		roster_group_key(p, &r->secretariat, key, value);
	else if (*section == '\0')
		parse_error(p, "key '%s' outside a section", key);
	else
		parse_error(p, "unknown section [%s] (party NAME, advisory, "
		    "secretariat)", section);
	return 1;
}

/* Run inih over one file with line counting. */
static int
parse_file(struct parse *p, const char *file, ini_handler h)
{
	int rc;

	p->file = file;
	p->line = 0;
	if ((p->fp = fopen(file, "r")) == NULL) {
		strv_addn(p->errors, xasprintf("%s: %s", file,
		    strerror(errno)));
		return -1;
	}
	rc = ini_parse_stream(parse_reader, p, h, p);
	fclose(p->fp);
	if (rc > 0) {
		p->line = rc;
		parse_error(p, "syntax error (expected [section] or "
		    "key = value)");
	}
	return 0;
}

/* Every address on the roster once, and checks across the file. */
static void
roster_check(struct parse *p)
{
	struct roster *r = &p->conf->roster;
	struct strv seen = { 0 };

	p->line = 0;
	if (r->nparties == 0)
		strv_addn(p->errors, xasprintf("%s: no [party NAME] section",
		    p->file));
	for (size_t i = 0; i < r->nparties; i++) {
		struct party *pt = &r->parties[i];

		if (pt->name == NULL)
			pt->name = xstrdup(pt->id);
		if (pt->ndelegates == 0)
			strv_addn(p->errors, xasprintf("%s:%d: party '%s' "
			    "has no delegate", p->file, pt->line, pt->id));
		for (size_t j = 0; j < pt->ndelegates; j++) {
			if (strv_contains_case(&seen, pt->delegates[j].addr))
				strv_addn(p->errors, xasprintf("%s: %s is a "
				    "delegate twice", p->file,
				    pt->delegates[j].addr));
			strv_add(&seen, pt->delegates[j].addr);
		}
	}
	if (r->secretariat.nmembers == 0)
		strv_addn(p->errors, xasprintf("%s: [secretariat] has no "
		    "member", p->file));
	strv_free(&seen);
}

/* Fill defaults and report required keys that are missing. */
static void
conf_defaults(struct parse *p)
{
	for (size_t i = 0; i < nitems(options); i++) {
		const struct option *o = &options[i];
		char *err;

		if (p->seen[i])
			continue;
		if (o->dflt == NULL) {
			strv_addn(p->errors, xasprintf("%s: [%s] %s is "
			    "required", p->file, o->section, o->key));
			continue;
		}
		if ((err = opt_set(p->conf, o, o->dflt)) != NULL) {
			strv_addn(p->errors, xasprintf("%s: [%s] %s default: "
			    "%s", p->file, o->section, o->key, err));
			free(err);
		}
	}
}

/* "file:line: " for where [section] key was given, "file: " for a default. */
static char *
conf_where(const struct parse *p, const char *section, const char *key)
{
	for (size_t i = 0; i < nitems(options); i++)
		if (!strcmp(options[i].section, section) &&
		    !strcmp(options[i].key, key) && p->seen[i] > 0)
			return xasprintf("%s:%d: ", p->file, p->seen[i]);
	return xasprintf("%s: ", p->file);
}

/* [status] draft_date must be a day that comes every year or in leap
 * years: a mistyped one would never send the draft. */
static void
conf_check_draft(struct parse *p, const struct config *c)
{
	int m, d;
	char *where;

	if (draft_date_parse(c->draft_date, &m, &d) == 0)
		return;
	where = conf_where(p, "status", "draft_date");
	strv_addn(p->errors, xasprintf("%s[status] draft_date: \"%s\" is not "
	    "a day written MM-DD", where, c->draft_date));
	free(where);
}

/* The host of scheme://host[:port][/path], an IPv6 address unbracketed. */
static char *
url_host(const char *url)
{
	const char *h = strstr(url, "://"), *end;

	h = h != NULL ? h + 3 : url;
	if (*h == '[' && (end = strchr(h, ']')) != NULL)
		return xstrndup(h + 1, end - h - 1);
	return xstrndup(h, strcspn(h, ":/"));
}

/* A host on this machine (127.0.0.0/8, ::1, localhost): what is sent to
 * it never crosses a network. */
static int
host_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* A login without TLS (imap:// or smtp://, starttls = no) only to
 * loopback: elsewhere the password or token would cross the network in
 * clear. */
static void
conf_check_tls(struct parse *p, const char *section, const char *url,
    int starttls, const char *user)
{
	char *host, *where;

	if (*user == '\0' || starttls || strncmp(url, "imaps://", 8) == 0 ||
	    strncmp(url, "smtps://", 8) == 0)
		return;
	host = url_host(url);
	if (!host_loopback(host)) {
		where = conf_where(p, section, "url");
		strv_addn(p->errors, xasprintf("%s[%s] url: %s would send the "
		    "login of %s unencrypted to %s, which is not this machine "
		    "(loopback); use %ss:// or starttls = yes", where, section,
		    url, user, host, section));
		free(where);
	}
	free(host);
}

/* Why publish_url cannot be used, or NULL: sftp:// or https:// (WebDAV),
 * plain http:// only to loopback, and no login in the URL itself. */
static char *
conf_publish_error(const struct config *c)
{
	const char *u = c->publish_url, *h = strstr(u, "://");
	char *host, *err = NULL;

	if (strncmp(u, "sftp://", 7) != 0 && strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0)
		return xstrdup("is neither sftp://HOST/PATH/ nor "
		    "https://HOST/PATH/ (WebDAV)");
	h += 3;
	if (memchr(h, '@', strcspn(h, "/")) != NULL)
		return xstrdup("holds a login: put it in publish_user and "
		    "publish_password_file");
	if (strncmp(u, "sftp://", 7) == 0 && *c->publish_user == '\0')
		return xstrdup("needs publish_user, the SFTP login");
	host = url_host(u);
	if (*host == '\0')
		err = xstrdup("names no host");
	else if (strncmp(u, "http://", 7) == 0 && !host_loopback(host))
		err = xasprintf("would send the page%s unencrypted to %s, "
		    "which is not this machine (loopback); use https://",
		    *c->publish_user ? " and its login" : "", host);
	free(host);
	return err;
}

static void
conf_check_publish(struct parse *p, const struct config *c)
{
	char *err, *where;

	if (*c->publish_url == '\0' || (err = conf_publish_error(c)) == NULL)
		return;
	/* A URL with a login in it is not repeated: it may hold a password. */
	where = conf_where(p, "page", "publish_url");
	if (strchr(c->publish_url, '@') != NULL)
		strv_addn(p->errors, xasprintf("%s[page] publish_url %s", where,
		    err));
	else
		strv_addn(p->errors, xasprintf("%s[page] publish_url: %s %s",
		    where, c->publish_url, err));
	free(where);
	free(err);
}

/* A relative roster/database path is taken relative to the config file. */
static void
conf_relative(struct config *c, char **path)
{
	const char *slash = strrchr(c->path, '/');
	char *n;

	if (**path == '/' || **path == '\0' || slash == NULL)
		return;
	n = xasprintf("%.*s/%s", (int)(slash - c->path), c->path, *path);
	free(*path);
	*path = n;
}

struct config *
config_load(const char *path, struct strv *errors)
{
	struct config *c = xcalloc(1, sizeof *c);
	struct parse p;
	size_t before = errors->n;

	memset(&p, 0, sizeof p);
	p.conf = c;
	p.errors = errors;
	c->path = xstrdup(path);
	if (parse_file(&p, path, conf_handler) == 0)
		conf_defaults(&p);
	if (errors->n == before) {
		conf_check_tls(&p, "imap", c->imap_url, c->imap_starttls,
		    c->imap_user);
		conf_check_tls(&p, "smtp", c->smtp_url, c->smtp_starttls,
		    c->smtp_user);
		conf_check_publish(&p, c);
		conf_check_draft(&p, c);
	}
	if (errors->n == before) {
		conf_relative(c, &c->roster_path);
		conf_relative(c, &c->database);
		conf_relative(c, &c->templates);
		conf_relative(c, &c->output_dir);
		conf_relative(c, &c->imap_password_file);
		conf_relative(c, &c->smtp_password_file);
		conf_relative(c, &c->imap_ca_file);
		conf_relative(c, &c->smtp_ca_file);
		conf_relative(c, &c->audit_key_file);
		conf_relative(c, &c->publish_password_file);
		conf_relative(c, &c->oauth2_client_secret_file);
		conf_relative(c, &c->oauth2_client_certificate_file);
		conf_relative(c, &c->oauth2_client_key_file);
		conf_relative(c, &c->oauth2_refresh_token_file);
		if (parse_file(&p, c->roster_path, roster_handler) == 0)
			roster_check(&p);
	}
	free(p.lastsection);
	if (errors->n != before) {
		config_free(c);
		return NULL;
	}
	return c;
}

static void
group_free(struct group *g)
{
	for (size_t i = 0; i < g->nmembers; i++)
		person_free(&g->members[i]);
	free(g->members);
	free(g->name);
	free(g->lang);
}

void
config_free(struct config *c)
{
	struct roster *r;

	if (c == NULL)
		return;
	for (size_t i = 0; i < nitems(options); i++)
		if (options[i].type != O_INT && options[i].type != O_BOOL &&
		    options[i].type != O_ENUM)
			free(*opt_str(c, &options[i]));
	r = &c->roster;
	for (size_t i = 0; i < r->nparties; i++) {
		struct group g = { r->parties[i].name, r->parties[i].lang,
		    r->parties[i].delegates, r->parties[i].ndelegates };

		group_free(&g);
		free(r->parties[i].id);
	}
	free(r->parties);
	group_free(&r->advisory);
	group_free(&r->secretariat);
	if (c->imap_password != NULL)
		explicit_bzero(c->imap_password, strlen(c->imap_password));
	if (c->smtp_password != NULL)
		explicit_bzero(c->smtp_password, strlen(c->smtp_password));
	free(c->imap_password);
	free(c->smtp_password);
	free(c->path);
	free(c);
}

/* Whether a credential holds nothing but a line end: the units'
 * SetCredential= stand-in for a credential file that is not there. */
static int
credential_blank(const char *path)
{
	char b[3];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	n = fread(b, 1, sizeof b, fp);
	fclose(fp);
	for (size_t i = 0; i < n; i++)
		if (b[i] != '\n' && b[i] != '\r')
			return 0;
	return n < sizeof b;
}

/* The credential systemd passes as $CREDENTIALS_DIRECTORY/cred, when it
 * does; NULL otherwise. */
static char *
secret_credential(const char *cred)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path;

	if (dir == NULL || *dir == '\0' || cred == NULL)
		return NULL;
	path = xasprintf("%s/%s", dir, cred);
	if (access(path, R_OK) == 0 && !credential_blank(path))
		return path;
	free(path);
	return NULL;
}

/* Why a secret file of this mode must not be used, or NULL. */
static char *
secret_mode_error(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return xasprintf("%s: a secret file must be a regular file",
		    path);
	if ((st->st_mode & (S_IROTH | S_IWOTH)) == 0)
		return NULL;
	return xasprintf("%s: secret file is %s by others (mode %04o); "
	    "pactd will not use it: chmod 600 %s", path,
	    (st->st_mode & S_IROTH) ? "readable" : "writable",
	    (unsigned)(st->st_mode & 07777), path);
}

/* The whole of an open secret file, line ends at its end removed. */
static char *
secret_slurp(const char *path, FILE *fp, char **err)
{
	char *data = xmalloc(SECRET_MAX + 1);
	size_t len = fread(data, 1, SECRET_MAX + 1, fp);

	if (ferror(fp))
		*err = xasprintf("%s: %s", path, strerror(errno));
	else if (len > SECRET_MAX)
		*err = xasprintf("%s: longer than %d bytes", path, SECRET_MAX);
	else if (memchr(data, '\0', len) != NULL)
		*err = xasprintf("%s: holds a NUL byte", path);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	data[len] = '\0';
	if (*err != NULL) {
		explicit_bzero(data, SECRET_MAX + 1);
		free(data);
		return NULL;
	}
	return data;
}

/* Why a secret could not be opened; under systemd, that the credential
 * was not passed either. */
static char *
secret_missing(const char *cred, const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (dir != NULL && *dir != '\0' && cred != NULL)
		return xasprintf("%s: no credential, and %s: %s", cred, path,
		    strerror(errno));
	return xasprintf("%s: %s", path, strerror(errno));
}

int
secret_read(const char *cred, const char *file, char **out,
    struct strv *errors, struct strv *warnings)
{
	char *path = secret_credential(cred), *err = NULL;
	int fromcred = path != NULL;
	struct stat st;
	FILE *fp;

	*out = NULL;
	if (path == NULL && (file == NULL || *file == '\0')) {
		strv_addn(errors, xasprintf("no file is configured for the "
		    "secret %s", cred ? cred : "?"));
		return -1;
	}
	if (path == NULL)
		path = xstrdup(file);
	if ((fp = fopen(path, "re")) == NULL ||
	    fstat(fileno(fp), &st) != 0)
		err = secret_missing(fromcred ? NULL : cred, path);
	else if (!fromcred) /* systemd owns its credentials' modes */
		err = secret_mode_error(path, &st);
	if (err == NULL && !fromcred && (st.st_mode & S_IWGRP) &&
	    warnings != NULL)
		strv_addn(warnings, xasprintf("%s: secret file is writable "
		    "by its group (chmod g-w it)", path));
	if (err == NULL) {
		setvbuf(fp, NULL, _IONBF, 0);	/* no copy left in stdio */
		*out = secret_slurp(path, fp, &err);
	}
	if (fp != NULL)
		fclose(fp);
	free(path);
	if (err == NULL)
		return 0;
	if (strv_contains_case(errors, err))
		free(err);	/* one file for two secrets: said once */
	else
		strv_addn(errors, err);
	return -1;
}

int
config_load_secrets(struct config *c, struct strv *errors,
    struct strv *warnings)
{
	int rc = 0;

	if (*c->imap_user != '\0' && c->imap_auth == AUTH_PASSWORD &&
	    secret_read("imap-password", c->imap_password_file,
	    &c->imap_password, errors, warnings) != 0)
		rc = -1;
	if (*c->smtp_user != '\0' && c->smtp_auth == AUTH_PASSWORD &&
	    secret_read("smtp-password", c->smtp_password_file,
	    &c->smtp_password, errors, warnings) != 0)
		rc = -1;
	return rc;
}

int
config_audit_key(const struct config *c, unsigned char **key, size_t *len,
    char **cause)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *cred = dir ? xasprintf("%s/audit-key", dir) : NULL, *k = NULL;
	int have = *c->audit_key_file != '\0' ||
	    (cred != NULL && access(cred, F_OK) == 0);
	struct strv errors = { NULL, 0 };
	int rc = -1;

	free(cred);
	*key = NULL;
	*len = 0;
	if (!have)
		return 0;
	if (secret_read("audit-key", c->audit_key_file, &k, &errors,
	    NULL) != 0)
		*cause = xstrdup(errors.n ? errors.v[0] : "audit key unreadable");
	else if (strlen(k) < 16)
		*cause = xasprintf("%s: an audit key needs at least 16 bytes "
		    "(head -c 32 /dev/urandom | base64 > FILE)",
		    *c->audit_key_file ? c->audit_key_file : "audit-key");
	else {
		*len = strlen(k);
		*key = (unsigned char *)xstrdup(k);
		rc = 0;
	}
	if (k != NULL) {
		explicit_bzero(k, strlen(k));
		free(k);
	}
	strv_free(&errors);
	return rc;
}

void
config_dump_defaults(void)
{
	const char *sect = "";

	for (size_t i = 0; i < nitems(options); i++) {
		if (strcmp(sect, options[i].section) != 0) {
			sect = options[i].section;
			printf("%s[%s]\n", i ? "\n" : "", sect);
		}
		printf("%s = %s\n", options[i].key,
		    options[i].dflt ? options[i].dflt : "");
	}
}
