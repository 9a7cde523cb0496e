/* The advisory board as sparring partner on initiatives. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "roster.h"
#include "sparring.h"
#include "token.h"
#include "util.h"

/* The initiative as mail variables: ref, title, description, purposes,
 * partners, link and by (the organisation that launched it); -1 with
 * *cause. */
static int
sparring_vars(struct store *s, const char *ref, struct tvars *v,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT title, description, "
	    "purposes, partners, link, by_name FROM initiatives WHERE ref = ?");
	char *partners, *save;
	int r;

	tvars_set(v, "initiative_ref", ref);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0) {
		tvars_set(v, "title", (const char *)sqlite3_column_text(st, 0));
		tvars_set(v, "description", (const char *)
		    sqlite3_column_text(st, 1));
		tvars_set(v, "purposes", (const char *)
		    sqlite3_column_text(st, 2));
		partners = xstrdup(sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    "" : (const char *)sqlite3_column_text(st, 3));
		for (char *l = strtok_r(partners, "\n", &save); l != NULL;
		    l = strtok_r(NULL, "\n", &save))
			tvars_add_string(v, "partners", l);
		free(partners);
		tvars_set(v, "link", (const char *)sqlite3_column_text(st, 4));
		tvars_set(v, "by", (const char *)sqlite3_column_text(st, 5));
	}
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* One mail to a member, carrying the member's token for this initiative,
 * as a consultation mail carries one (SPEC section 4). */
static int
sparring_mail(struct pact *p, const char *ref, const struct person *m,
    const char *lang, struct tvars *v, time_t now, char **cause)
{
	struct notice n = {
		.to_addr = m->addr,
		.to_name = m->name,
		.lang = lang,
		.tmpl = "sparring.txt",
		.vars = v,
		.kind = "sparring",
		.ref = ref,
	};
	struct token t;
	int rc;

	if (token_issue(p->store, 's', ref, NULL, m->addr, &t, cause) != 0)
		return -1;
	tvars_set(v, "name", m->name);
	rc = token_notice_queue(p, &n, v, 's', t.word, "", 1, now, cause);
	token_free(&t);
	return rc;
}

int
sparring_open(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct group *g = &p->conf->roster.advisory;
	const char *lang = notice_lang(p->conf, g->lang);
	struct tvars *v;
	int rc = 0;

	if (g->nmembers == 0)
		return 0;
	v = notice_vars(p);
	rc = sparring_vars(p->store, ref, v, cause);
	for (size_t i = 0; i < g->nmembers && rc == 0; i++)
		rc = sparring_mail(p, ref, &g->members[i], lang, v, now, cause);
	tvars_free(v);
	if (rc != 0)
		return -1;
	return audit_append(p->store, "sparring opened", ref, NULL,
	    "initiative sent to the advisory board", cause);
}

int
sparring_initiative(struct store *s, const char *ref, char **title,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT title FROM initiatives "
	    "WHERE ref = ?");
	int found;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	found = store_row(st, cause);
	if (found > 0 && title != NULL)
		*title = store_col(st, 0);
	store_done(st);
	return found;
}

/* The address that sent the initiative into *addr, or NULL; -1 with
 * *cause. */
static int
sparring_sender(struct store *s, const char *ref, char **addr,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT sender FROM initiatives "
	    "WHERE ref = ? AND sender IS NOT NULL");
	int r;

	*addr = NULL;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0)
		*addr = store_col(st, 0);
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* The forward itself: the member's text to the sender, Reply-To the
 * member as the roster names them, so an answer goes straight back. */
static int
sparring_forward_mail(struct pact *p, const struct sparring *sp,
    const char *ref, const struct sender *to, time_t now, char **cause)
{
	struct tvars *v = notice_vars(p);
	/* Not auto_generated: counted as a reply to its recipient, so that
	 * reply_rate_per_hour bounds what a member who answers again and
	 * again can cause. */
	struct notice n = {
		.to_addr = to->addr,
		.to_name = to->name,
		.lang = notice_lang(p->conf, to->lang),
		.tmpl = "sparring-forward.txt",
		.vars = v,
		.kind = "forward",
		.ref = sp->initiative,
		.cause_key = sp->cause_key,
		.reply_to = sp->addr,
		.reply_to_name = sp->name,
	};
	int rc;

	if (sparring_vars(p->store, sp->initiative, v, cause) != 0) {
		tvars_free(v);
		return -1;
	}
	tvars_set(v, "ref", ref);
	tvars_set(v, "name", to->name);
	tvars_set(v, "member", sp->name != NULL ? sp->name : sp->addr);
	tvars_set(v, "board", p->conf->roster.advisory.name);
	tvars_set(v, "text", sp->text);
	rc = notice_queue(p, &n, now, cause);
	tvars_free(v);
	return rc;
}

/* Forward the answer unless the sender is gone or has had enough mail
 * from the pact this hour; the answer is kept either way. */
static int
sparring_forward(struct pact *p, const struct sparring *sp,
    const char *ref, time_t now, enum sparring_fate *fate, char **cause)
{
	int limit = p->conf->reply_rate_per_hour, rc = 0, recent = 0;
	char *addr;
	struct sender to;

	if (sparring_sender(p->store, sp->initiative, &addr, cause) != 0)
		return -1;
	if (roster_lookup(p->conf, p->store, addr, &to, cause) != 0 ||
	    (to.role != ROLE_NONE && (recent = outbox_recent_replies(p->store,
	    addr, now, limit, cause)) < 0))
		rc = -1;
	else if (to.role == ROLE_NONE) {
		*fate = SPARRING_HELD_GONE;
		log_warnx("%s: sparring %s not forwarded: the initiative's "
		    "sender is no longer on the roster", sp->initiative, ref);
	} else if (recent >= limit) {
		*fate = SPARRING_HELD_RATE;
		log_warnx("%s: sparring %s not forwarded to %s: %d mails in "
		    "the last hour", sp->initiative, ref, addr, limit);
	} else {
		*fate = SPARRING_FORWARDED;
		rc = sparring_forward_mail(p, sp, ref, &to, now, cause);
	}
	sender_free(&to);
	free(addr);
	return rc;
}

static int
sparring_insert(struct store *s, const struct sparring *sp,
    const char *ref, int forwarded, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO sparring(initiative, "
	    "ref, by_addr, by_name, text, forwarded, submitted) "
	    "VALUES(?,?,?,?,?,?,?)");

	sqlite3_bind_text(st, 1, sp->initiative, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sp->addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sp->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sp->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, forwarded);
	sqlite3_bind_int64(st, 7, now);
	return store_exec_stmt(s, st, cause);
}

int
sparring_keep(struct pact *p, const struct sparring *sp, time_t now,
    char **ref, enum sparring_fate *fate, char **cause)
{
	static const char *const fates[] = { "forwarded to the initiative's "
	    "sender", "kept; not forwarded: reply_rate_per_hour reached",
	    "kept; not forwarded: the sender is no longer on the roster" };

	if ((*ref = store_next_ref(p->store, now, cause)) == NULL ||
	    sparring_forward(p, sp, *ref, now, fate, cause) != 0 ||
	    sparring_insert(p->store, sp, *ref, *fate == SPARRING_FORWARDED,
	    now, cause) != 0)
		return -1;
	return audit_append(p->store, "sparring", sp->initiative,
	    sp->cause_key, fates[*fate], cause);
}
