/* Ballots: opening, the rule, closing, reminders, admission. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ballot.h"
#include "clock.h"
#include "log.h"
#include "member.h"
#include "notify.h"
#include "roster.h"
#include "token.h"
#include "util.h"
#include "validate.h"

static const char *const state_names[] = { "open", "approved", "rejected",
    "lapsed" };

const char *
ballot_state_name(enum ballot_state s)
{
	return state_names[s];
}

enum ballot_state
ballot_state_parse(const char *s)
{
	for (size_t i = 0; i < nitems(state_names); i++)
		if (s != NULL && strcmp(s, state_names[i]) == 0)
			return (enum ballot_state)i;
	return BALLOT_OPEN;
}

enum ballot_state
ballot_rule(int majority, int quorum, const struct tally *t,
    int deadline_passed)
{
	int n = t->parties;
	int quorum_met = t->voted > 0 && t->voted >= quorum;

	if (majority == MAJORITY_ABSOLUTE) {
		if (t->yes * 2 > n)
			return BALLOT_APPROVED;
		if ((t->no + t->abstain) * 2 >= n)
			return BALLOT_REJECTED;
	} else {
		if (t->yes * 2 > n && quorum_met)
			return BALLOT_APPROVED;
		if (t->no * 2 >= n)
			return BALLOT_REJECTED;
	}
	if (!deadline_passed && t->voted < n)
		return BALLOT_OPEN;
	if (!quorum_met)
		return BALLOT_LAPSED;
	if (majority == MAJORITY_ABSOLUTE)
		return t->yes * 2 > n ? BALLOT_APPROVED : BALLOT_REJECTED;
	return t->yes > t->no ? BALLOT_APPROVED : BALLOT_REJECTED;
}

int
ballot_tally(struct store *s, const char *ref, int nparties, struct tally *t,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT vote, count(*) FROM votes "
	    "WHERE ref = ? GROUP BY vote");
	int r;

	memset(t, 0, sizeof *t);
	t->parties = nparties;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while ((r = store_row(st, cause)) > 0) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		int n = sqlite3_column_int(st, 1);

		if (strcmp(v, "yes") == 0)
			t->yes = n;
		else if (strcmp(v, "no") == 0)
			t->no = n;
		else
			t->abstain = n;
		t->voted += n;
	}
	store_done(st);
	return r;
}

/* Each party's vote (or none) as a list for result mails; -1 with
 * *cause. */
static int
ballot_votes_vars(struct pact *p, const char *ref, const char *lang,
    struct tvars *v, char **cause)
{
	const struct config *c = p->conf;
	sqlite3_stmt *st = store_prepare(p->store, "SELECT vote FROM votes "
	    "WHERE ref = ? AND party = ?");
	int en = strcmp(lang, "en") == 0, r = 0;

	for (size_t i = 0; r >= 0 && i < c->roster.nparties; i++) {
		struct tvars *item = tvars_add_item(v, "votes");
		const char *word = en ? "did not vote" : "stemte ikke";

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->roster.parties[i].id, -1,
		    SQLITE_STATIC);
		if ((r = store_row(st, cause)) > 0) {
			const char *w = (const char *)sqlite3_column_text(st,
			    0);

			if (strcmp(w, "yes") == 0)
				word = en ? "yes" : "ja";
			else if (strcmp(w, "no") == 0)
				word = en ? "no" : "nej";
			else
				word = en ? "abstain" : "undlod";
		}
		tvars_set(item, "party", c->roster.parties[i].name);
		tvars_set(item, "vote", word);
	}
	store_done(st);
	return r < 0 ? -1 : 0;
}

/* "Name <address>", or the address when the nomination gave no name. */
static void
ballot_contact(sqlite3_stmt *st, struct tvars *v)
{
	const char *name = (const char *)sqlite3_column_text(st, 3);
	const char *addr = (const char *)sqlite3_column_text(st, 10);

	if (name != NULL && *name != '\0')
		tvars_setf(v, "contact", "%s <%s>", name, addr);
	else
		tvars_set(v, "contact", addr);
}

int
ballot_vars(struct pact *p, const char *ref, const char *lang,
    struct tvars *v, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT n.organisation, "
	    "n.type, n.cvr, n.contact_name, n.party, n.dialogue, "
	    "n.initiatives, n.fit, b.deadline, b.state, n.contact_addr FROM "
	    "nominations n "
	    "JOIN ballots b ON b.ref = n.ref WHERE n.ref = ?");
	struct tally t;
	char when[64];
	int r;

	tvars_set(v, "ref", ref);
	if (p->conf->majority == MAJORITY_ABSOLUTE)
		tvars_set(v, "absolute", "yes");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		char *inits = store_col(st, 6), *save = NULL;

		tvars_set(v, "organisation",
		    (const char *)sqlite3_column_text(st, 0));
		tvars_set(v, "type", strcmp(lang, "en") == 0 ? (strcmp(type,
		    "company") == 0 ? "company" : "association") :
		    (strcmp(type, "company") == 0 ? "virksomhed" : "forening"));
		tvars_set(v, "cvr", (const char *)sqlite3_column_text(st, 2));
		ballot_contact(st, v);
		tvars_set(v, "nominated_by", roster_party_name(p->conf,
		    (const char *)sqlite3_column_text(st, 4)));
		tvars_set(v, "dialogue",
		    (const char *)sqlite3_column_text(st, 5));
		for (char *l = strtok_r(inits, "\n", &save); l != NULL;
		    l = strtok_r(NULL, "\n", &save))
			tvars_add_string(v, "initiatives", l);
		free(inits);
		tvars_set(v, "fit", (const char *)sqlite3_column_text(st, 7));
		clock_format_local(lang, sqlite3_column_int64(st, 8), when,
		    sizeof when);
		tvars_set(v, "deadline", when);
		tvars_set(v, "state", (const char *)sqlite3_column_text(st, 9));
		tvars_set(v, ballot_state_parse((const char *)
		    sqlite3_column_text(st, 9)) == BALLOT_OPEN ? "is_open" :
		    (const char *)sqlite3_column_text(st, 9), "yes");
	}
	store_done(st);
	if (r < 0 || ballot_tally(p->store, ref,
	    (int)p->conf->roster.nparties, &t, cause) != 0)
		return -1;
	tvars_setf(v, "yes", "%d", t.yes);
	tvars_setf(v, "no", "%d", t.no);
	tvars_setf(v, "abstain", "%d", t.abstain);
	tvars_setf(v, "not_voted", "%d", t.parties - t.voted);
	return ballot_votes_vars(p, ref, lang, v, cause);
}

/* One ballot mail (or reminder) to one delegate, carrying the token. */
static int
ballot_mail(struct pact *p, const char *ref, const struct party *pt,
    size_t di, const char *word, const char *tmpl, const char *tag,
    time_t now, char **cause)
{
	const struct person *d = &pt->delegates[di];
	const char *lang = notice_lang(p->conf, pt->lang);
	struct tvars *v = notice_vars(p);
	struct notice n = {
		.to_addr = d->addr,
		.to_name = d->name,
		.lang = lang,
		.tmpl = tmpl,
		.vars = v,
		.kind = *tag ? "reminder" : "ballot",
		.ref = ref,
	};
	int rc;

	if ((rc = ballot_vars(p, ref, lang, v, cause)) == 0) {
		tvars_set(v, "party", pt->name);
		tvars_set(v, "name", d->name);
		rc = token_notice_queue(p, &n, v, 'v', word, tag, (int)di + 1,
		    now, cause);
	}
	tvars_free(v);
	return rc;
}

int
ballot_open(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct config *c = p->conf;
	sqlite3_stmt *st = store_prepare(p->store, "INSERT INTO ballots(ref, "
	    "opened, deadline) VALUES(?,?,?)");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, deadline_after(now, c->voting_days));
	if (store_exec_stmt(p->store, st, cause) != 0)
		return -1;
	for (size_t i = 0; i < c->roster.nparties; i++) {
		const struct party *pt = &c->roster.parties[i];
		struct token t;

		if (token_issue(p->store, 'v', ref, pt->id, NULL, &t,
		    cause) != 0)
			return -1;
		for (size_t d = 0; d < pt->ndelegates; d++)
			if (ballot_mail(p, ref, pt, d, t.word, "ballot.txt", "",
			    now, cause) != 0) {
				token_free(&t);
				return -1;
			}
		token_free(&t);
	}
	log_info("%s: ballot opened, %zu parties", ref, c->roster.nparties);
	return audit_append(p->store, "ballot opened", ref, NULL,
	    "ballot mails queued to every founding party", cause);
}

/* Result mails to every delegate of every founding party. */
static int
ballot_results(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct config *c = p->conf;

	for (size_t i = 0; i < c->roster.nparties; i++) {
		const struct party *pt = &c->roster.parties[i];
		const char *lang = notice_lang(c, pt->lang);

		for (size_t d = 0; d < pt->ndelegates; d++) {
			struct tvars *v = notice_vars(p);
			struct notice n = {
				.to_addr = pt->delegates[d].addr,
				.to_name = pt->delegates[d].name,
				.lang = lang,
				.tmpl = "ballot-result.txt",
				.vars = v,
				.kind = "result",
				.ref = ref,
				.cause_key = ref,
				.auto_generated = 1,
			};
			int rc;

			if (ballot_vars(p, ref, lang, v, cause) != 0) {
				tvars_free(v);
				return -1;
			}
			tvars_set(v, "name", pt->delegates[d].name);
			rc = notice_queue(p, &n, now, cause);
			tvars_free(v);
			if (rc != 0)
				return -1;
		}
	}
	return 0;
}

int
ballot_settle(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct config *c = p->conf;
	sqlite3_stmt *st = store_prepare(p->store, "SELECT state, deadline "
	    "FROM ballots WHERE ref = ?");
	enum ballot_state s = BALLOT_LAPSED;
	time_t deadline = 0;
	struct tally t;
	char *detail;
	int rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((rc = store_row(st, cause)) > 0) {
		s = ballot_state_parse((const char *)sqlite3_column_text(st,
		    0));
		deadline = sqlite3_column_int64(st, 1);
	}
	store_done(st);
	if (rc < 0)
		return -1;
	if (s != BALLOT_OPEN)
		return 0;
	if (ballot_tally(p->store, ref, (int)c->roster.nparties, &t,
	    cause) != 0)
		return -1;
	s = ballot_rule(c->majority, c->quorum, &t, now >= deadline);
	if (s == BALLOT_OPEN)
		return 0;
	st = store_prepare(p->store, "UPDATE ballots SET state = ?, closed = ? "
	    "WHERE ref = ?");
	sqlite3_bind_text(st, 1, ballot_state_name(s), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	detail = xasprintf("open -> %s: yes %d, no %d, abstain %d, not voted "
	    "%d", ballot_state_name(s), t.yes, t.no, t.abstain,
	    t.parties - t.voted);
	log_info("%s: ballot %s", ref, detail);
	rc = store_exec_stmt(p->store, st, cause) != 0 ||
	    audit_append(p->store, "ballot closed", ref, NULL, detail,
	    cause) != 0 || ballot_results(p, ref, now, cause) != 0 ||
	    (s == BALLOT_APPROVED && member_admit(p, ref, now, cause) != 0);
	free(detail);
	return rc ? -1 : 0;
}

/* One reminder to each delegate of each party that has not voted. */
static int
ballot_remind(struct pact *p, const char *ref, time_t now, char **cause)
{
	const struct config *c = p->conf;
	sqlite3_stmt *st = store_prepare(p->store, "SELECT t.token FROM tokens "
	    "t WHERE t.kind = 'v' AND t.ref = ? AND t.party = ? AND NOT EXISTS "
	    "(SELECT 1 FROM votes v WHERE v.ref = t.ref AND v.party = "
	    "t.party)");
	int rc = 0, n = 0, r;

	for (size_t i = 0; i < c->roster.nparties && rc == 0; i++) {
		const struct party *pt = &c->roster.parties[i];
		char *word;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pt->id, -1, SQLITE_STATIC);
		if ((r = store_row(st, cause)) <= 0) {
			rc = r;
			continue;
		}
		word = store_col(st, 0);
		for (size_t d = 0; d < pt->ndelegates && rc == 0; d++)
			rc = ballot_mail(p, ref, pt, d, word,
			    "ballot-reminder.txt", "r", now, cause);
		free(word);
		n++;
	}
	store_done(st);
	if (rc != 0)
		return -1;
	st = store_prepare(p->store, "UPDATE ballots SET reminded = 1 WHERE "
	    "ref = ?");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (store_exec_stmt(p->store, st, cause) != 0)
		return -1;
	log_info("%s: reminder to %d parties that have not voted", ref, n);
	return audit_append(p->store, "reminder sent", ref, NULL,
	    n ? "to the parties that have not voted" : "every party voted",
	    cause);
}

/* The refs of open ballots whose deadline or reminder is due; -1 with
 * *cause. */
static int
ballot_due(struct pact *p, time_t now, struct strv *close,
    struct strv *remind, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT ref, deadline, "
	    "reminded FROM ballots WHERE state = 'open' ORDER BY ref");
	time_t before = (time_t)p->conf->reminder_days * 86400;
	int r;

	while ((r = store_row(st, cause)) > 0) {
		time_t deadline = sqlite3_column_int64(st, 1);

		if (now >= deadline)
			strv_add(close, (const char *)sqlite3_column_text(st,
			    0));
		else if (!sqlite3_column_int(st, 2) && before > 0 &&
		    now >= deadline - before)
			strv_add(remind, (const char *)sqlite3_column_text(st,
			    0));
	}
	store_done(st);
	return r;
}

int
ballot_timers(struct pact *p, time_t now, char **cause)
{
	struct strv close = { 0 }, remind = { 0 };
	int rc = ballot_due(p, now, &close, &remind, cause);

	for (size_t i = 0; i < close.n + remind.n && rc == 0; i++) {
		int closing = i < close.n;
		const char *ref = closing ? close.v[i] : remind.v[i - close.n];

		if (store_begin(p->store, cause) != 0) {
			rc = -1;
			break;
		}
		if ((closing ? ballot_settle(p, ref, now, cause) :
		    ballot_remind(p, ref, now, cause)) != 0 ||
		    store_commit(p->store, cause) != 0) {
			store_rollback(p->store);
			rc = -1;
		}
	}
	strv_free(&close);
	strv_free(&remind);
	return rc;
}
