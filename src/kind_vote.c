/*
 * A vote: a reply to a ballot mail (SPEC section 4). It counts when its
 * sender is a delegate of the party the token was issued to and
 * [security] vote_auth holds; one vote per party, a later one replaces it
 * while the ballot is open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ballot.h"
#include "kind.h"
#include "log.h"
#include "problem.h"
#include "screen.h"
#include "util.h"
#include "vote.h"

static int kind_vote(struct submission *, struct answer *, char **);
static int vote_claims(const struct submission *);

const struct kind kind_vote_entry = {
	.name = "vote",
	.token = 'v',
	.claims = vote_claims,
	.title = { "En stemme", "A vote" },
	.roles = ROLE_BIT(ROLE_DELEGATE),
	.handle = kind_vote,
};

/* A reply without token that names a ballot only by its subject tag. */
static int
vote_claims(const struct submission *sub)
{
	const char *tag = subject_ref_tag(&sub->subj);
	sqlite3_stmt *st;
	int found;

	if (tag == NULL || sub->subj.kind != NULL)
		return 0;
	st = store_prepare(sub->pact->store, "SELECT 1 FROM ballots WHERE "
	    "ref = ?");
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	store_done(st);
	return found;
}

/* The ballot this reply names: by token, or (dmarc) by its subject tag. */
static const char *
vote_ballot(struct submission *sub)
{
	if (sub->has_tok && sub->tok.kind == kind_vote_entry.token)
		return sub->tok.ref;
	return subject_ref_tag(&sub->subj);
}

/* Whether the sender may cast this vote; a problem when not. */
static int
vote_authorised(struct submission *sub, struct answer *ans, const char *ref)
{
	const struct config *c = sub->pact->conf;
	char *dmarc_why = screen_dmarc_why(sub->mail, c->trusted_authserv_id);
	const char *key = NULL;
	char *why = NULL;

	if (c->vote_auth != VOTE_AUTH_DMARC && !sub->has_tok)
		key = "vote-no-token";
	else if (sub->has_tok &&
	    strcmp(sub->tok.party, sub->from.party->id) != 0)
		key = "vote-other-party";
	else if (c->vote_auth != VOTE_AUTH_TOKEN && dmarc_why != NULL)
		key = "vote-dmarc";
	if (key != NULL) {
		/* the DMARC detail only where vote_auth asks for DMARC */
		const char *dw = c->vote_auth != VOTE_AUTH_TOKEN ? dmarc_why :
		    NULL;

		why = problem_text(sub, key, NULL);
		kind_problem(ans, "%s", why);
		log_warnx("%s: vote from %s refused: %s%s%s", ref,
		    sub->from.addr, why, dw ? "; " : "", dw ? dw : "");
		free(why);
	}
	free(dmarc_why);
	return key == NULL;
}

/* The vote word: the new text's first line, else the subject. */
static enum vote_word
vote_word(struct submission *sub)
{
	char line[512];

	if (first_nonempty_line(sub->newtext, line, sizeof line) != NULL)
		return vote_parse_line(line);
	return vote_parse_line(sub->subj.rest);
}

/* Record the party's vote; *replaced says whether it had one. */
static int
vote_record(struct submission *sub, const char *ref, enum vote_word w,
    int *replaced, char **cause)
{
	struct store *s = sub->pact->store;
	sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM votes WHERE ref = ? "
	    "AND party = ?");
	char *detail;
	int rc;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sub->from.party->id, -1, SQLITE_STATIC);
	*replaced = sqlite3_step(st) == SQLITE_ROW;
	store_done(st);
	st = store_prepare(s, "INSERT INTO votes(ref, party, vote, voter, at, "
	    "msgkey) VALUES(?,?,?,?,?,?) ON CONFLICT(ref, party) DO UPDATE SET "
	    "vote = excluded.vote, voter = excluded.voter, at = excluded.at, "
	    "msgkey = excluded.msgkey");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sub->from.party->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, vote_word_name(w), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sub->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, sub->now);
	sqlite3_bind_text(st, 6, sub->msgkey, -1, SQLITE_STATIC);
	if (store_exec_stmt(s, st, cause) != 0)
		return -1;
	detail = xasprintf("%s: %s%s", sub->from.party->id, vote_word_name(w),
	    *replaced ? " (replaces the earlier vote)" : "");
	rc = audit_append(s, "vote counted", ref, sub->msgkey, detail, cause);
	free(detail);
	return rc;
}

/* The ballot's state, or -1 when there is no such ballot. */
static int
vote_ballot_state(struct submission *sub, const char *ref)
{
	sqlite3_stmt *st = store_prepare(sub->pact->store, "SELECT state FROM "
	    "ballots WHERE ref = ?");
	int s = -1;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		s = ballot_state_parse((const char *)sqlite3_column_text(st,
		    0));
	store_done(st);
	return s;
}

static int
kind_vote(struct submission *sub, struct answer *ans, char **cause)
{
	const char *ref = vote_ballot(sub);
	enum vote_word w;
	int state, replaced;

	if (ref == NULL || (state = vote_ballot_state(sub, ref)) < 0) {
		problem_add(sub, ans, "no-ballot", "ref", ref, NULL);
		return 0;
	}
	ans->ref = xstrdup(ref);
	if (!vote_authorised(sub, ans, ref))
		return 0;
	if (state != BALLOT_OPEN) {
		problem_add(sub, ans, "ballot-closed", "ref", ref, NULL);
		ballot_vars(sub->pact, ref, sub->lang, ans->vars);
		ans->template = "vote-closed.txt";
		return 0;
	}
	w = vote_word(sub);
	if (w == VOTE_NONE || w == VOTE_AMBIGUOUS) {
		problem_add(sub, ans, w == VOTE_NONE ? "vote-none" :
		    "vote-ambiguous", NULL);
		return 0;
	}
	if (vote_record(sub, ref, w, &replaced, cause) != 0 ||
	    ballot_settle(sub->pact, ref, sub->now, cause) != 0)
		return -1;
	ballot_vars(sub->pact, ref, sub->lang, ans->vars);
	tvars_set(ans->vars, "party", sub->from.party->name);
	tvars_set(ans->vars, "vote", vote_word_say(w, sub->lang));
	if (replaced)
		tvars_set(ans->vars, "replaced", "yes");
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "vote-receipt.txt";
	return 0;
}
