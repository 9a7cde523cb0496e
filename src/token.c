/* Reply tokens: issued with the mail they go out in, written into it in
 * one format, found again in the places mail clients keep them. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "message.h"
#include "notify.h"
#include "token.h"
#include "util.h"

int
token_issue(struct store *s, char kind, const char *ref, const char *party,
    const char *addr, struct token *t, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO tokens(token, kind, "
	    "ref, party, addr) VALUES(?,?,?,?,?)");
	char k[2] = { kind, '\0' };

	memset(t, 0, sizeof *t);
	t->kind = kind;
	random_token(t->word, TOKEN_CHARS);
	t->ref = xstrdup(ref);
	t->party = party ? xstrdup(party) : NULL;
	t->addr = addr ? xstrdup(addr) : NULL;
	sqlite3_bind_text(st, 1, t->word, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, party, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, addr, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st, cause);
}

void
token_free(struct token *t)
{
	free(t->ref);
	free(t->party);
	free(t->addr);
	memset(t, 0, sizeof *t);
}

struct token_mail
token_mail(const struct config *c, char kind, const char *word,
    const char *ref, const char *tag, int n)
{
	const char *domain = strchr(c->address, '@') + 1;
	struct token_mail tm;

	tm.detail = xasprintf("%c-%s", kind, word);
	tm.reply_to = notice_subaddress(c, tm.detail);
	tm.message_id = xasprintf("%s.%s.%s%d@%s", tm.detail, ref, tag, n,
	    domain);
	return tm;
}

void
token_mail_free(struct token_mail *tm)
{
	free(tm->detail);
	free(tm->reply_to);
	free(tm->message_id);
	memset(tm, 0, sizeof *tm);
}

int
token_notice_queue(struct pact *p, struct notice *n, struct tvars *v,
    char kind, const char *word, const char *tag, int nth, time_t now,
    char **cause)
{
	struct token_mail tm = token_mail(p->conf, kind, word, n->ref, tag,
	    nth);
	int rc;

	tvars_set(v, "token_line", tm.detail);
	n->reply_to = tm.reply_to;
	n->message_id = tm.message_id;
	n->cause_key = n->ref;
	n->auto_generated = 1;
	rc = notice_queue(p, n, now, cause);
	n->reply_to = n->message_id = NULL;
	token_mail_free(&tm);
	return rc;
}

int
token_mails_queued(struct store *s, char kind, const char *word,
    char **cause)
{
	char *like = xasprintf("%c-%s.%%", kind, word);
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM outbox "
	    "WHERE message_id LIKE ?");
	int n = 0, r;

	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0)
		n = sqlite3_column_int(st, 0);
	store_done(st);
	free(like);
	return r < 0 ? -1 : n;
}

static int
is_b32(int c)
{
	c = tolower(c);
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* Look a candidate word up; 1 and *t filled when it is a token, 0 when
 * not, -1 with *cause. */
static int
token_lookup(struct store *s, char kind, const char *word, struct token *t,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT ref, party, addr FROM "
	    "tokens WHERE token = ? AND kind = ?");
	char k[2] = { kind, '\0' };
	int found;

	sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	if ((found = store_row(st, cause)) > 0) {
		memset(t, 0, sizeof *t);
		t->kind = kind;
		memcpy(t->word, word, TOKEN_CHARS + 1);
		t->ref = store_col(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			t->party = store_col(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			t->addr = store_col(st, 2);
	}
	store_done(st);
	return found;
}

static int
is_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The first "K-WORD" in text that names a token: 1, 0, or -1. Any
 * letter K is looked up, so that a new reply kind's letter needs nothing
 * here: the tokens table knows which were issued. */
static int
token_scan(struct store *s, const char *text, struct token *t,
    char **cause)
{
	int r;

	if (text == NULL)
		return 0;
	for (const char *p = text; *p != '\0'; p++) {
		char word[TOKEN_CHARS + 1];
		int i;

		if (!is_letter((unsigned char)*p) || p[1] != '-' ||
		    (p > text && isalnum((unsigned char)p[-1])))
			continue;
		for (i = 0; i < TOKEN_CHARS && is_b32((unsigned char)p[2 + i]);
		    i++)
			word[i] = (char)tolower((unsigned char)p[2 + i]);
		if (i != TOKEN_CHARS || isalnum((unsigned char)p[2 + i]))
			continue;
		word[i] = '\0';
		if ((r = token_lookup(s, (char)tolower((unsigned char)*p), word,
		    t, cause)) != 0)
			return r;
	}
	return 0;
}

/* A recipient "pagt+v-TOKEN@domain" of the pact's own address. */
static int
token_in_recipients(const struct config *c, struct store *s,
    const struct mail *m, struct token *t, char **cause)
{
	const char *at = strchr(c->address, '@');
	size_t local = at - c->address, sep = strlen(c->subaddress_separator);

	for (size_t i = 0; i < m->recipients.n; i++) {
		const char *r = m->recipients.v[i], *rat = strchr(r, '@');

		if (rat == NULL || strcasecmp(rat, at) != 0 ||
		    strncasecmp(r, c->address, local) != 0 ||
		    strncmp(r + local, c->subaddress_separator, sep) != 0)
			continue;
		char *detail = xstrndup(r + local + sep, rat - r - local - sep);
		int found = token_scan(s, detail, t, cause);

		free(detail);
		if (found != 0)
			return found;
	}
	return 0;
}

int
token_find(const struct config *c, struct store *s, const struct mail *m,
    struct token *t, char **cause)
{
	int r;

	if ((r = token_in_recipients(c, s, m, t, cause)) == 0 &&
	    (r = token_scan(s, m->in_reply_to, t, cause)) == 0 &&
	    (r = token_scan(s, m->references, t, cause)) == 0)
		r = token_scan(s, m->text, t, cause);
	return r;
}
