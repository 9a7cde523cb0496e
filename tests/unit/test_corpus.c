/*
 * The decision logic, tested in seconds: every .eml under tests/data goes
 * through process_message against a new database holding
 * tests/unit/corpus/fixture.sql, with the configuration and roster of
 * tests/unit/corpus/, and what pactd decided — the folder, the kind, the
 * mail it queued (to whom, which template, which language) and the state
 * it changed — is compared with the line for that file in the decisions
 * file of its directory. A mail without a line fails, and so does a line
 * without a mail. Each mail is then given again, and must have no new
 * effect (SPEC section 7).
 *
 * A decisions file: "# ..." comments; "@@KEY@@ = value" or "{KEY} = value"
 * fills that placeholder in every template mail of the directory (\r and
 * \n in a value are CR and LF; a base64 or quoted-printable part is
 * decoded, filled and encoded again); "set = KEY:VALUE" is a set= for
 * every mail below it; and one line per mail:
 *
 *	FILE: folder=F kind=K mail=M state=S [reason=R] [set=KEY:VALUE]
 *	    [@@KEY@@=value]...
 *
 * F the folder; K the kind in the processed table or "-"; M the mails
 * queued as "to:lang/template" joined by ",", or "none"; S the rows of
 * state added (as test_corpus.c's snapshot writes them) joined by ";", or
 * "none"; R a part of the recorded reason; set= changes sender_auth,
 * vote_auth or trusted_authserv_id for this mail. A value with spaces is
 * written in double quotes.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "pact.h"
#include "process.h"
#include "store.h"
#include "unit.h"
#include "util.h"

#define DATA		"../data"
#define CONF		"corpus/pactd.conf"
#define FIXTURE		"corpus/fixture.sql"
#define NOW		"2026-12-01T10:00:00Z"

/* One mail of the corpus and what is expected of it. */
struct corpus_case {
	char		*path;		/* relative to DATA */
	int		 line;		/* in the decisions file; 0: none */
	char		*folder;
	char		*kind;
	char		*mail;
	char		*state;
	char		*reason;
	struct strv	 set;		/* KEY:VALUE */
	struct strv	 keys;		/* placeholders and their values */
	struct strv	 vals;
};

static struct corpus_case *cases;
static size_t ncases;
static struct strv queued;		/* "to:lang/template" */

/* notice_observer: each mail queued, as the decisions files write it. */
static void
observe(const struct notice *n)
{
	char *s = xasprintf("%s:%s/%s", n->to_addr, n->lang ? n->lang : "?",
	    n->tmpl);

	str_lower(s);
	strv_addn(&queued, s);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_steal(&b);
}

/* ---------------------------------------------------------------- files */

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Every .eml under dir (relative to DATA), into cases. */
static void
find_mails(const char *dir)
{
	char *full = *dir ? xasprintf("%s/%s", DATA, dir) : xstrdup(DATA);
	struct dirent **ents;
	int n = scandir(full, &ents, NULL, alphasort);

	if (n < 0)
		fail_msg("%s: cannot list", full);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *rel = *dir ? xasprintf("%s/%s", dir, name) :
		    xstrdup(name);
		char *p = xasprintf("%s/%s", DATA, rel);
		struct stat sb;

		if (name[0] != '.' && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			find_mails(rel);
		else if (ends_with(name, ".eml")) {
			cases = xrealloc(cases, (ncases + 1) * sizeof *cases);
			memset(&cases[ncases], 0, sizeof *cases);
			cases[ncases++].path = rel;
			rel = NULL;
		}
		free(rel);
		free(p);
		free(ents[i]);
	}
	free(ents);
	free(full);
}

static struct corpus_case *
case_find(const char *path)
{
	for (size_t i = 0; i < ncases; i++)
		if (strcmp(cases[i].path, path) == 0)
			return &cases[i];
	return NULL;
}

/* ------------------------------------------------------------ decisions */

/* The next word of *p, a "quoted" one whole; \n becomes a line end. */
static char *
next_word(char **p)
{
	char *s = *p, *w;
	struct buf b;
	int quoted = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	buf_init(&b);
	for (; *s != '\0' && (quoted || (*s != ' ' && *s != '\t')); s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (s[0] == '\\' && (s[1] == 'n' || s[1] == 'r')) {
			buf_addc(&b, s[1] == 'n' ? '\n' : '\r');
			s++;
		} else
			buf_addc(&b, *s);
	}
	*p = s;
	w = buf_steal(&b);
	return w;
}

static int
is_placeholder(const char *k)
{
	size_t n = strlen(k);

	return (n > 4 && strncmp(k, "@@", 2) == 0 && ends_with(k, "@@")) ||
	    (n > 2 && k[0] == '{' && k[n - 1] == '}');
}

static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == 'r')) {
			*d++ = s[1] == 'n' ? '\n' : '\r';
			s++;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

/* One "FILE: key=value ..." line. */
static void
decision_line(const char *dir, const char *file, char *rest, int line,
    const struct strv *dkeys, const struct strv *dvals,
    const struct strv *dset)
{
	char *rel = *dir ? xasprintf("%s/%s", dir, file) : xstrdup(file);
	struct corpus_case *c = case_find(rel);
	char *w;

	if (c == NULL)
		fail_msg("%s/%s:%d: a decision for %s, which is not there",
		    DATA, *dir ? dir : ".", line, file);
	if (c->line != 0)
		fail_msg("%s: two decisions (lines %d and %d)", rel, c->line,
		    line);
	c->line = line;
	for (size_t i = 0; i < dset->n; i++)
		strv_add(&c->set, dset->v[i]);
	for (size_t i = 0; i < dkeys->n; i++) {
		strv_add(&c->keys, dkeys->v[i]);
		strv_add(&c->vals, dvals->v[i]);
	}
	while ((w = next_word(&rest)) != NULL) {
		char *eq = strchr(w, '=');
		char **slot = NULL;

		if (eq == NULL)
			fail_msg("%s:%d: \"%s\" is not key=value", rel, line, w);
		*eq++ = '\0';
		if (strcmp(w, "folder") == 0)
			slot = &c->folder;
		else if (strcmp(w, "kind") == 0)
			slot = &c->kind;
		else if (strcmp(w, "mail") == 0)
			slot = &c->mail;
		else if (strcmp(w, "state") == 0)
			slot = &c->state;
		else if (strcmp(w, "reason") == 0)
			slot = &c->reason;
		else if (strcmp(w, "set") == 0)
			strv_add(&c->set, eq);
		else if (is_placeholder(w)) {
			strv_add(&c->keys, w);
			strv_add(&c->vals, eq);
		} else
			fail_msg("%s:%d: unknown key %s", rel, line, w);
		if (slot != NULL)
			*slot = xstrdup(eq);
		free(w);
	}
	if (!c->folder || !c->kind || !c->mail || !c->state)
		fail_msg("%s:%d: folder, kind, mail and state are all needed",
		    rel, line);
	free(rel);
}

/* Read dir's decisions file; a directory with mail must have one. */
static void
read_decisions(const char *dir)
{
	char *path = xasprintf("%s/%s%sdecisions", DATA, dir, *dir ? "/" : "");
	struct strv keys = { 0 }, vals = { 0 }, set = { 0 };
	size_t len;
	char *text = slurp(path, &len), *line, *next;
	int n = 0;

	if (text == NULL)
		fail_msg("%s: missing: every .eml needs a decision", path);
	for (line = text; line != NULL; line = next) {
		char *colon, *eq;

		n++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((line[0] == '@' || line[0] == '{') && ends_with(line, " =")) {
			/* An empty value, its blank trimmed away. */
			line[strlen(line) - 2] = '\0';
			strv_add(&keys, str_trim(line));
			strv_add(&vals, "");
			continue;
		}
		eq = strstr(line, " = ");
		colon = strstr(line, ": ");
		if (strncmp(line, "set = ", 6) == 0)
			strv_add(&set, str_trim(line + 6));
		else if (eq != NULL && (colon == NULL || eq < colon) &&
		    (line[0] == '@' || line[0] == '{')) {
			*eq = '\0';
			strv_add(&keys, str_trim(line));
			unescape(eq + 3);
			strv_add(&vals, str_trim(eq + 3));
		} else if (colon != NULL) {
			*colon = '\0';
			decision_line(dir, line, colon + 2, n, &keys, &vals,
			    &set);
		} else
			fail_msg("%s:%d: not a decision", path, n);
	}
	strv_free(&keys);
	strv_free(&vals);
	strv_free(&set);
	free(text);
	free(path);
}

/* ------------------------------------------------------------- filling */

/* s with every placeholder replaced; *changed when one was. */
static char *
fill_text(const char *s, size_t len, const struct corpus_case *c,
    size_t *outlen, int *changed)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b);
	while (i < len) {
		size_t k;

		/* The last value given wins: a mail's own over its directory's. */
		for (k = c->keys.n; k > 0; k--) {
			size_t kl = strlen(c->keys.v[k - 1]);

			if (kl <= len - i && !memcmp(s + i, c->keys.v[k - 1], kl))
				break;
		}
		if (k-- == 0) {
			buf_addc(&b, s[i++]);
			continue;
		}
		buf_adds(&b, c->vals.v[k]);
		i += strlen(c->keys.v[k]);
		*changed = 1;
	}
	*outlen = b.len;
	return buf_steal(&b);
}

/* A placeholder left unfilled: a value the decisions file lacks. */
static void
check_filled(const struct corpus_case *c, const char *s, size_t len)
{
	for (size_t i = 0; i + 4 < len; i++) {
		size_t j = i + 2;

		if (s[i] != '@' || s[i + 1] != '@')
			continue;
		while (j < len && ((s[j] >= 'A' && s[j] <= 'Z') || s[j] == '_'))
			j++;
		if (j > i + 2 && j + 1 < len && s[j] == '@' && s[j + 1] == '@')
			fail_msg("%s: no value for %.*s", c->path,
			    (int)(j + 2 - i), s + i);
	}
}

/* A header field's value in head (unfolded), or NULL. */
static char *
header_value(const char *head, size_t len, const char *field)
{
	size_t fl = strlen(field);
	struct buf b;

	for (size_t i = 0; i < len; i++) {
		if ((i > 0 && head[i - 1] != '\n') || len - i <= fl ||
		    strncasecmp(head + i, field, fl) != 0 || head[i + fl] != ':')
			continue;
		buf_init(&b);
		for (i += fl + 1; i < len; i++) {
			if (head[i] == '\r' || (head[i] == '\n' && i + 1 < len &&
			    (head[i + 1] == ' ' || head[i + 1] == '\t')))
				continue;
			if (head[i] == '\n')
				break;
			buf_addc(&b, head[i]);
		}
		return buf_steal(&b);
	}
	return NULL;
}

/* The boundary parameter of a Content-Type value, or NULL. */
static char *
boundary_of(const char *ct)
{
	const char *p;
	size_t n;

	for (p = ct; *p != '\0'; p++)
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	if (*p == '\0')
		return NULL;
	p += 9;
	if (*p == '"')
		return xstrndup(p + 1, strcspn(p + 1, "\""));
	n = strcspn(p, "; \t");
	return xstrndup(p, n);
}

/* Where the header ends (its blank line) and the body starts. */
static size_t
split_head(const char *s, size_t len, size_t *body)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '\n' && s[i + 1] == '\n') {
			*body = i + 2;
			return i + 1;
		}
		if (i + 3 < len && memcmp(s + i, "\r\n\r\n", 4) == 0) {
			*body = i + 4;
			return i + 2;
		}
	}
	*body = len;
	return len;
}

static void fill_entity(struct buf *, const char *, size_t,
    const struct corpus_case *);

/* A leaf: decoded, filled and encoded again the way it was, so that a
 * placeholder in a base64 or quoted-printable part is filled too. */
static void
fill_leaf(struct buf *out, const char *head, size_t hlen, const char *body,
    size_t blen, const struct corpus_case *c)
{
	char *cte = header_value(head, hlen, "Content-Transfer-Encoding");
	int mech = 0, changed = 0, col = 0;
	char *dec, *filled;
	size_t idx = 0, declen, flen;
	MMAPString *enc;

	if (cte != NULL && strcasestr(cte, "base64"))
		mech = MAILMIME_MECHANISM_BASE64;
	else if (cte != NULL && strcasestr(cte, "quoted-printable"))
		mech = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	free(cte);
	if (mech == 0) {
		filled = fill_text(body, blen, c, &flen, &changed);
		check_filled(c, filled, flen);
		buf_add(out, filled, flen);
		free(filled);
		return;
	}
	if (mailmime_part_parse(body, blen, &idx, mech, &dec, &declen) !=
	    MAILIMF_NO_ERROR)
		fail_msg("%s: a part that does not decode", c->path);
	filled = fill_text(dec, declen, c, &flen, &changed);
	mailmime_decoded_part_free(dec);
	check_filled(c, filled, flen);
	if (!changed) {
		buf_add(out, body, blen);
		free(filled);
		return;
	}
	enc = mmap_string_new("");
	if (mech == MAILMIME_MECHANISM_BASE64)
		mailmime_base64_write_mem(enc, &col, filled, flen);
	else
		mailmime_quoted_printable_write_mem(enc, &col, 1, filled, flen);
	buf_add(out, enc->str, enc->len);
	buf_adds(out, "\r\n");
	mmap_string_free(enc);
	free(filled);
}

/* The parts of a multipart body between its delimiter lines. */
static void
fill_multipart(struct buf *out, const char *body, size_t blen,
    const char *boundary, const struct corpus_case *c)
{
	char *delim = xasprintf("--%s", boundary);
	size_t dl = strlen(delim), start = 0, i;
	int inpart = 0;

	for (i = 0; i <= blen; i++) {
		size_t eol;

		if (i < blen && !(i == 0 || body[i - 1] == '\n'))
			continue;
		if (i < blen && (blen - i < dl || memcmp(body + i, delim, dl)))
			continue;
		/* The part ends before the line end that leads to the line. */
		eol = i;
		if (inpart && eol > start && body[eol - 1] == '\n')
			eol--;
		if (inpart && eol > start && body[eol - 1] == '\r')
			eol--;
		if (inpart)
			fill_entity(out, body + start, eol - start, c);
		else
			buf_add(out, body + start, eol - start);
		if (i == blen)
			break;
		buf_add(out, body + eol, i - eol);
		/* The delimiter line itself, as is. */
		start = i;
		while (i < blen && body[i] != '\n')
			i++;
		if (i < blen)
			i++;
		buf_add(out, body + start, i - start);
		inpart = !(i - start >= dl + 2 && body[start + dl] == '-' &&
		    body[start + dl + 1] == '-');
		start = i;
		i--;
	}
	free(delim);
}

/* A header and body: the header filled as text, the body by its kind. */
static void
fill_entity(struct buf *out, const char *s, size_t len,
    const struct corpus_case *c)
{
	size_t bstart, hlen = split_head(s, len, &bstart), flen;
	char *ct = header_value(s, hlen, "Content-Type");
	char *boundary = ct ? boundary_of(ct) : NULL;
	char *head;
	int changed = 0;

	head = fill_text(s, bstart, c, &flen, &changed);
	check_filled(c, head, flen);
	buf_add(out, head, flen);
	free(head);
	if (boundary != NULL && ct != NULL && strncasecmp(str_trim(ct),
	    "multipart/", 10) == 0)
		fill_multipart(out, s + bstart, len - bstart, boundary, c);
	else
		fill_leaf(out, s, hlen, s + bstart, len - bstart, c);
	free(boundary);
	free(ct);
}

/* ------------------------------------------------------------- running */

/* The state a mail may change, one line a row, for a before/after diff. */
static void
snapshot(struct store *s, struct strv *out)
{
	static const char *const sql[] = {
		"SELECT 'ballot ' || ref || ' ' || state FROM ballots",
		"SELECT 'vote ' || ref || ' ' || party || ' ' || vote FROM votes",
		"SELECT 'partstat ' || ref || ' ' || addr || ' ' || partstat "
		    "FROM attendees",
		"SELECT 'outbox ' || id || ' ' || state || coalesce(' ' || "
		    "status, '') FROM outbox WHERE kind = 'ballot'",
		"SELECT 'declaration ' || party || ' ' || version FROM "
		    "declarations",
		"SELECT 'nomination ' || ref || ' ' || organisation FROM "
		    "nominations",
		"SELECT 'initiative ' || ref || ' ' || title FROM initiatives",
		"SELECT 'status ' || ref || ' ' || year FROM statuses",
		"SELECT 'comment ' || ref || ' ' || status_ref FROM comments",
		"SELECT 'meeting ' || ref || ' ' || state || ' ' || sequence "
		    "FROM meetings",
		"SELECT 'associate ' || ref || ' ' || organisation || ' ' || "
		    "state FROM associates",
	};

	for (size_t i = 0; i < nitems(sql); i++) {
		sqlite3_stmt *st = store_prepare(s, sql[i]);

		while (sqlite3_step(st) == SQLITE_ROW)
			strv_add(out, (const char *)sqlite3_column_text(st, 0));
		store_done(st);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The strings of v sorted and joined by sep, or "none". */
static char *
joined(struct strv *v, const char *sep)
{
	struct buf b;

	if (v->n == 0)
		return xstrdup("none");
	qsort(v->v, v->n, sizeof *v->v, cmp_str);
	buf_init(&b);
	for (size_t i = 0; i < v->n; i++) {
		if (i > 0)
			buf_adds(&b, sep);
		buf_adds(&b, v->v[i]);
	}
	return buf_steal(&b);
}

/* The expected list, its items in the order joined() gives. */
static char *
normal_list(const char *s, char sep, const char *join)
{
	struct strv v = { 0 };
	char *copy = xstrdup(s), *p = copy, *item, *r;
	char seps[2] = { sep, '\0' };

	if (strcmp(s, "none") == 0) {
		free(copy);
		return xstrdup("none");
	}
	while ((item = strsep(&p, seps)) != NULL)
		strv_add(&v, str_trim(item));
	r = joined(&v, join);
	strv_free(&v);
	free(copy);
	return r;
}

/* The configuration a mail's set= asks for, over pactd.conf's. */
static void
apply_set(struct config *conf, const struct corpus_case *c)
{
	for (size_t i = 0; i < c->set.n; i++) {
		const char *kv = c->set.v[i], *v = strchr(kv, ':');

		if (v == NULL)
			fail_msg("%s: set=%s is not KEY:VALUE", c->path, kv);
		v++;
		if (strncmp(kv, "sender_auth:", 12) == 0)
			conf->sender_auth = strcmp(v, "dmarc") == 0 ?
			    SENDER_AUTH_DMARC : SENDER_AUTH_FROM;
		else if (strncmp(kv, "vote_auth:", 10) == 0)
			conf->vote_auth = strcmp(v, "dmarc") == 0 ?
			    VOTE_AUTH_DMARC : strcmp(v, "token+dmarc") == 0 ?
			    VOTE_AUTH_TOKEN_DMARC : VOTE_AUTH_TOKEN;
		else if (strncmp(kv, "trusted_authserv_id:", 20) == 0) {
			free(conf->trusted_authserv_id);
			conf->trusted_authserv_id = xstrdup(v);
		} else
			fail_msg("%s: set=%s: unknown key", c->path, kv);
	}
}

/* A new database with the fixture in it. */
static struct store *
fixture_store(char *path, size_t len)
{
	struct store *s;
	char *cause = NULL, *sql;
	size_t n;
	int fd;

	snprintf(path, len, "/tmp/pactd-test-corpus-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		fail_msg("mkstemp: %s", strerror(errno));
	close(fd);
	unlink(path);
	if ((s = store_open(path, 0, &cause)) == NULL)
		fail_msg("store_open: %s", cause);
	/* Durability is not what is tested here; seconds are. */
	if (store_exec(s, "PRAGMA synchronous = OFF", &cause) != 0)
		fail_msg("%s", cause);
	if ((sql = slurp(FIXTURE, &n)) == NULL)
		fail_msg("%s: cannot read", FIXTURE);
	if (store_exec(s, sql, &cause) != 0)
		fail_msg("%s: %s", FIXTURE, cause);
	free(sql);
	return s;
}

/* One pass of the mail through process_message, as inbox.c runs it. */
static const char *
run_once(struct pact *p, const struct corpus_case *c, const char *raw,
    size_t len)
{
	const char *folder = NULL;
	char *cause = NULL;

	if (store_begin(p->store, &cause) != 0 ||
	    process_message(p, raw, len, 0, &folder, &cause) != 0 ||
	    store_commit(p->store, &cause) != 0)
		fail_msg("%s: %s", c->path, cause ? cause : "failed");
	return folder;
}

/* The reason recorded for the last mail processed. */
static char *
last_reason(struct store *s, char **kind)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT kind, reason FROM "
	    "processed ORDER BY id DESC LIMIT 1");
	char *reason = NULL;

	*kind = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*kind = store_col(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			reason = store_col(st, 1);
	}
	store_done(st);
	return reason;
}

/* What the second pass must not have done. */
static void
check_again(struct pact *p, const struct corpus_case *c, const char *raw,
    size_t len, const char *folder, const struct strv *after)
{
	struct strv again = { 0 };
	const char *f2;
	size_t nq = queued.n;

	f2 = run_once(p, c, raw, len);
	if (strcmp(f2, folder) != 0)
		fail_msg("%s: seen again, moved to %s, first to %s", c->path,
		    f2, folder);
	if (queued.n != nq)
		fail_msg("%s: seen again, it queued mail again (%s)", c->path,
		    queued.v[queued.n - 1]);
	snapshot(p->store, &again);
	if (again.n != after->n)
		fail_msg("%s: seen again, it changed the state", c->path);
	for (size_t i = 0; i < again.n; i++)
		if (strcmp(again.v[i], after->v[i]) != 0)
			fail_msg("%s: seen again: %s", c->path, again.v[i]);
	strv_free(&again);
}

/* The mail of c, its placeholders filled. */
static char *
filled(const struct corpus_case *c, size_t *len)
{
	char *file = xasprintf("%s/%s", DATA, c->path), *text;
	struct buf raw;

	if ((text = slurp(file, len)) == NULL)
		fail_msg("%s: cannot read", file);
	buf_init(&raw);
	fill_entity(&raw, text, *len, c);
	*len = raw.len;
	free(text);
	free(file);
	return buf_steal(&raw);
}

/* One difference from the expected decision, told; 1 when there is. */
static int
differs(const struct corpus_case *c, const char *what, const char *got,
    const char *want, int part)
{
	if (part ? strstr(got, want) != NULL : strcmp(got, want) == 0)
		return 0;
	print_error("%s: %s \"%s\"\n  want %s\"%s\"\n", c->path, what, got,
	    part ? "a part " : "", want);
	return 1;
}

/* How many parts of the decision differ from the decisions line. */
static int
check_decision(struct store *s, const struct corpus_case *c,
    const char *folder, const struct strv *before, const struct strv *after)
{
	struct strv added = { 0 };
	char *kind, *reason = last_reason(s, &kind), *got_mail, *got_state;
	char *want_mail, *want_state;
	int bad;

	for (size_t i = 0; i < after->n; i++)
		if (!strv_contains_case(before, after->v[i]))
			strv_add(&added, after->v[i]);
	got_mail = joined(&queued, ",");
	got_state = joined(&added, "; ");
	want_mail = normal_list(c->mail, ',', ",");
	want_state = normal_list(c->state, ';', "; ");
	bad = differs(c, "folder", folder, c->folder, 0) +
	    differs(c, "kind", kind ? kind : "-", c->kind, 0) +
	    differs(c, "mail", got_mail, want_mail, 0) +
	    differs(c, "state", got_state, want_state, 0);
	if (c->reason != NULL)
		bad += differs(c, "reason", reason ? reason : "", c->reason, 1);
	strv_free(&added);
	free(got_mail);
	free(got_state);
	free(want_mail);
	free(want_state);
	free(kind);
	free(reason);
	return bad;
}

static void
test_mail(void **state)
{
	struct corpus_case *c = *state;
	struct strv errors = { 0 }, before = { 0 }, after = { 0 };
	struct pact p;
	char dbpath[4096], *raw;
	const char *folder;
	size_t len;

	if (c->line == 0)
		fail_msg("%s: no line for it in the decisions file beside it",
		    c->path);
	memset(&p, 0, sizeof p);
	if ((p.conf = config_load(CONF, &errors)) == NULL)
		fail_msg("%s: %s", CONF, errors.n ? errors.v[0] : "?");
	apply_set(p.conf, c);
	raw = filled(c, &len);
	p.store = fixture_store(dbpath, sizeof dbpath);
	snapshot(p.store, &before);
	strv_free(&queued);
	folder = run_once(&p, c, raw, len);
	snapshot(p.store, &after);
	if (check_decision(p.store, c, folder, &before, &after) != 0)
		fail_msg("%s: not the decision of line %d", c->path, c->line);
	check_again(&p, c, raw, len, folder, &after);
	strv_free(&queued);
	strv_free(&before);
	strv_free(&after);
	unit_store_close(p.store, dbpath);
	config_free(p.conf);
	free(raw);
}

/* ---------------------------------------------- the two security fixes */

/* A corpus mail filled in with these placeholders changed as well. */
static char *
variant(const char *path, size_t *len, ...)
{
	struct corpus_case *c = case_find(path), v;
	const char *k;
	char *raw;
	va_list ap;

	assert_non_null(c);
	memset(&v, 0, sizeof v);
	v.path = c->path;
	for (size_t i = 0; i < c->keys.n; i++) {
		strv_add(&v.keys, c->keys.v[i]);
		strv_add(&v.vals, c->vals.v[i]);
	}
	va_start(ap, len);
	while ((k = va_arg(ap, const char *)) != NULL) {
		strv_add(&v.keys, k);
		strv_add(&v.vals, va_arg(ap, const char *));
	}
	va_end(ap);
	raw = filled(&v, len);
	strv_free(&v.keys);
	strv_free(&v.vals);
	return raw;
}

/* The raw mail with its From line replaced. */
static char *
with_from(const char *raw, size_t *len, const char *from)
{
	const char *p = strncmp(raw, "From: ", 6) == 0 ? raw :
	    strstr(raw, "\nFrom: "), *eol;
	char *out;

	assert_non_null(p);
	if (*p == '\n')
		p++;
	eol = strchr(p, '\r');
	assert_non_null(eol);
	out = xasprintf("%.*sFrom: %s%s", (int)(p - raw), raw, from, eol);
	*len = strlen(out);
	return out;
}

static struct pact security_pact;
static char security_db[4096];

static void
security_open(int rate)
{
	struct strv errors = { 0 };

	memset(&security_pact, 0, sizeof security_pact);
	if ((security_pact.conf = config_load(CONF, &errors)) == NULL)
		fail_msg("%s: %s", CONF, errors.n ? errors.v[0] : "?");
	security_pact.conf->reply_rate_per_hour = rate;
	security_pact.store = fixture_store(security_db, sizeof security_db);
	strv_free(&queued);
}

static void
security_close(void)
{
	unit_store_close(security_pact.store, security_db);
	config_free(security_pact.conf);
	strv_free(&queued);
}

static const struct corpus_case security_case = { .path = "security" };

/*
 * A mail that takes a genuine mail's Message-ID first does not pre-empt
 * it: a stranger's copy of Anne's HELP is quarantined, Anne's own is
 * answered, and Anne's seen again has no new effect.
 */
static void
test_message_id_preempted(void **state)
{
	char *genuine, *forged;
	size_t glen, flen;

	(void)state;
	security_open(20);
	genuine = variant("outlook_da_help.eml", &glen, NULL);
	flen = glen;
	forged = with_from(genuine, &flen,
	    "Mallory <mallory@attacker.example.net>");
	assert_string_equal(run_once(&security_pact, &security_case, forged,
	    flen), "pactd/Quarantine");
	assert_int_equal(queued.n, 0);
	assert_string_equal(run_once(&security_pact, &security_case, genuine,
	    glen), "pactd/Processed");
	assert_int_equal(queued.n, 1);
	assert_string_equal(queued.v[0], "anne@di.example.test:da/help.txt");
	assert_string_equal(run_once(&security_pact, &security_case, genuine,
	    glen), "pactd/Processed");
	assert_int_equal(queued.n, 1);
	/* The same body from the stranger again: still only quarantined. */
	assert_string_equal(run_once(&security_pact, &security_case, forged,
	    flen), "pactd/Quarantine");
	assert_int_equal(queued.n, 1);
	free(genuine);
	free(forged);
	security_close();
}

/* A row written before digests were kept (msgkey the bare Message-ID,
 * no digest) is this message when its sender is, else another's. */
static void
test_message_id_before_digests(void **state)
{
	char *raw, *cause = NULL;
	size_t len;
	const char *const mid = "001701db5f13$c2a1d6e0$47e584a0$@di.example.test";
	const char *const senders[] = { "anne@di.example.test",
	    "mallory@attacker.example.net" };
	const char *const folders[] = { "pactd/Rejected", "pactd/Processed" };

	(void)state;
	for (size_t i = 0; i < nitems(senders); i++) {
		char *sql = xasprintf("INSERT INTO processed(msgkey, message_id, "
		    "sender, outcome, at) VALUES('%s', '%s', '%s', 'rejected', "
		    "1796000000)", mid, mid, senders[i]);

		security_open(20);
		if (store_exec(security_pact.store, sql, &cause) != 0)
			fail_msg("%s", cause);
		raw = variant("outlook_da_help.eml", &len, NULL);
		assert_non_null(strstr(raw, mid));
		assert_string_equal(run_once(&security_pact, &security_case,
		    raw, len), folders[i]);
		assert_int_equal(queued.n, i);
		free(raw);
		free(sql);
		security_close();
	}
}

/*
 * Calendar answers pactd forwards to the secretariat: at most
 * reply_rate_per_hour an hour from one roster address, and as many from
 * all strangers together, however many From addresses they use.
 */
static void
test_forwards_limited(void **state)
{
	const char *const fwd = "sekretariat@erst.example.test:da/"
	    "meeting-forward.txt";
	char mid[64], from[128], attendee[128], *raw, *r2;
	size_t len;

	(void)state;
	security_open(2);
	for (int i = 0; i < 4; i++) {
		size_t nq = queued.n;

		snprintf(mid, sizeof mid, "counter-%d@attacker.example.net", i);
		snprintf(from, sizeof from, "m%d@attacker.example.net", i);
		snprintf(attendee, sizeof attendee, "m%d@attacker.example.net",
		    i);
		raw = variant("rsvp/outlook_counter.eml", &len, "@@MSGID@@",
		    mid, "@@ATTENDEE@@", attendee, NULL);
		r2 = with_from(raw, &len, from);
		assert_string_equal(run_once(&security_pact, &security_case,
		    r2, len), "pactd/Quarantine");
		/* One secretariat member: one forward each, two in all. */
		assert_int_equal(queued.n, nq + (i < 2));
		if (i < 2)
			assert_string_equal(queued.v[queued.n - 1], fwd);
		free(raw);
		free(r2);
	}
	/* Jens, on the roster, has his own two. */
	for (int i = 0; i < 3; i++) {
		strv_free(&queued);
		snprintf(mid, sizeof mid, "counter-%d@danskerhverv.example.test",
		    i);
		raw = variant("rsvp/outlook_counter.eml", &len, "@@MSGID@@",
		    mid, NULL);
		assert_string_equal(run_once(&security_pact, &security_case,
		    raw, len), i < 2 ? "pactd/Processed" : "pactd/Rejected");
		/* The third: neither forwarded nor answered, his two
		 * replies of the hour being used up as well. */
		assert_int_equal(queued.n, i < 2 ? 2 : 0);
		assert_int_equal(strv_contains_case(&queued, fwd), i < 2);
		free(raw);
	}
	security_close();
}

/* Every directory that holds mail, once each. */
static void
read_all_decisions(void)
{
	struct strv dirs = { 0 };

	for (size_t i = 0; i < ncases; i++) {
		const char *slash = strrchr(cases[i].path, '/');
		char *dir = slash ? xstrndup(cases[i].path,
		    (size_t)(slash - cases[i].path)) : xstrdup("");

		if (!strv_contains_case(&dirs, dir)) {
			strv_add(&dirs, dir);
			read_decisions(dir);
		}
		free(dir);
	}
	strv_free(&dirs);
}

int
main(void)
{
	struct CMUnitTest *tests;
	char *cause = NULL;
	int rc;

	setenv("PACTD_NOW", NOW, 1);
	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	log_init("test_corpus", 0);
	if (clock_init(&cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	notice_observer = observe;
	find_mails("");
	if (ncases == 0) {
		fprintf(stderr, "%s: no mail found\n", DATA);
		return 1;
	}
	read_all_decisions();
	tests = xcalloc(ncases, sizeof *tests);
	for (size_t i = 0; i < ncases; i++) {
		tests[i].name = cases[i].path;
		tests[i].test_func = test_mail;
		tests[i].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("corpus", tests, ncases, NULL, NULL);
	free(tests);
	{
		const struct CMUnitTest security[] = {
			cmocka_unit_test(test_message_id_preempted),
			cmocka_unit_test(test_message_id_before_digests),
			cmocka_unit_test(test_forwards_limited),
		};

		rc |= cmocka_run_group_tests(security, NULL, NULL);
	}
	return rc;
}
