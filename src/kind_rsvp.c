/*
 * Answers to meeting invitations: an iMIP REPLY (or COUNTER) as calendar
 * clients send it to the ORGANIZER, matched by UID and attendee, or a
 * plain reply to the invitation with JA/YES, NEJ/NO or MÅSKE/MAYBE.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "clock.h"
#include "kind.h"
#include "log.h"
#include "meeting.h"
#include "notify.h"
#include "problem.h"
#include "util.h"
#include "vote.h"

static int kind_rsvp(struct submission *, struct answer *, char **);
static int rsvp_claims(const struct submission *);

const struct kind kind_rsvp_entry = {
	.name = "rsvp",
	.token = 'm',
	.claims = rsvp_claims,
	.title = { "Et svar på en invitation", "An answer to an invitation" },
	.roles = ROLES_ANYONE,
	.handle = kind_rsvp,
};

/* The first calendar part that reads as a REPLY or COUNTER. */
static int
rsvp_find(const struct mail *m, struct ical_reply *r)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *pt = &m->parts[i];
		char *cause = NULL;

		if (strcmp(pt->content_type, "text/calendar") != 0 &&
		    strcmp(pt->content_type, "application/ics") != 0)
			continue;
		if (ical_read_reply(pt->data, pt->len, r, &cause) != 0) {
			free(cause);
			continue;
		}
		if (r->method == NULL || !strcmp(r->method, "REPLY") ||
		    !strcmp(r->method, "COUNTER"))
			return 0;
		ical_reply_free(r);
	}
	return -1;
}

/* A calendar answer to one of the pact's meetings, whatever its subject. */
static int
rsvp_claims(const struct submission *sub)
{
	struct ical_reply r;
	struct meeting mt;
	int found;

	if (rsvp_find(sub->mail, &r) != 0)
		return 0;
	found = meeting_load(sub->pact->store, NULL, r.uid, &mt) == 0;
	if (found)
		meeting_free(&mt);
	ical_reply_free(&r);
	return found;
}

/*
 * How many answers were forwarded to the secretariat in the last hour
 * for mail from this roster address, or (from NULL) for mail from outside
 * the roster, whose From anyone can write. The forwards are found by the
 * message that caused them, among the hour's mail to the secretariat's
 * first member.
 */
static int
rsvp_forwards_recent(struct pact *p, const char *from, time_t now)
{
	const struct group *g = &p->conf->roster.secretariat;
	sqlite3_stmt *st;
	int n = 0;

	if (g->nmembers == 0)
		return 0;
	st = store_prepare(p->store, "SELECT count(DISTINCT o.cause) FROM "
	    "outbox AS o JOIN processed AS m ON m.msgkey = o.cause WHERE "
	    "o.rcpt = ?1 AND o.created > ?2 AND o.kind = 'notice' AND "
	    "(?3 IS NULL AND m.outcome = 'quarantine' OR m.sender = ?3)");
	sqlite3_bind_text(st, 1, g->members[0].addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - 3600);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	store_done(st);
	return n;
}

/*
 * Tell the secretariat about an answer pactd cannot record itself: at
 * most reply_rate_per_hour an hour from one roster address (roster NULL
 * for a stranger: as many from all strangers together), so that someone
 * who knows a meeting's UID cannot flood the secretariat. 0 when
 * forwarded, 1 when the hour's forwards are used up, -1 with *cause.
 */
static int
rsvp_to_secretariat(struct pact *p, const struct meeting *mt,
    const struct ical_reply *r, const char *from, const char *roster,
    const char *why, const char *key, time_t now, char **cause)
{
	const struct group *g = &p->conf->roster.secretariat;
	const char *lang = notice_lang(p->conf, g->lang);
	struct tvars *v;
	char when[64];
	int rc;

	if (rsvp_forwards_recent(p, roster, now) >=
	    p->conf->reply_rate_per_hour) {
		log_warnx("<%s>: not forwarded to the secretariat: %d answers "
		    "from %s in the last hour", key, p->conf->reply_rate_per_hour,
		    roster ? roster : "outside the roster");
		if (audit_append(p->store, "forward suppressed", mt->ref, key,
		    "reply_rate_per_hour reached", cause) != 0)
			return -1;
		return 1;
	}
	v = notice_vars(p);
	meeting_vars(mt, lang, v);
	tvars_set(v, "why", why);
	tvars_set(v, "from", from ? from : "?");
	tvars_set(v, "attendee", r->attendee);
	tvars_set(v, "partstat", ical_partstat_name(r->partstat));
	tvars_set(v, "comment", r->comment);
	if (r->is_counter && r->counter_start != 0) {
		clock_format_local(lang, r->counter_start, when, sizeof when);
		tvars_set(v, "proposed", when);
	}
	struct notice n = {
		.tmpl = "meeting-forward.txt",
		.vars = v,
		.kind = "notice",
		.ref = mt->ref,
		.cause_key = key,	/* what rsvp_forwards_recent counts by */
		.auto_generated = 1,
	};

	rc = notice_group(p, g, &n, now, cause);
	tvars_free(v);
	return rc;
}

static const char *
rsvp_word_name(const struct submission *sub, enum ical_partstat ps)
{
	switch (ps) {
	case ICAL_PS_ACCEPTED:
		return tr(sub, "deltager", "accepted");
	case ICAL_PS_DECLINED:
		return tr(sub, "deltager ikke", "declined");
	default:
		return tr(sub, "deltager måske", "tentative");
	}
}

/* Record the attendee's answer and fill the receipt. */
static int
rsvp_record(struct submission *sub, struct answer *ans, struct meeting *mt,
    const char *addr, enum ical_partstat ps, char **cause)
{
	int rc = meeting_set_partstat(sub->pact, mt, addr, ps, sub->msgkey,
	    cause);

	if (rc < 0)
		return -1;
	ans->ref = xstrdup(mt->ref);
	meeting_vars(mt, sub->lang, ans->vars);
	if (rc > 0) {
		problem_add(sub, ans, "not-invited", "addr", addr, "ref",
		    mt->ref, NULL);
		return 0;
	}
	tvars_set(ans->vars, "answer", rsvp_word_name(sub, ps));
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "rsvp-receipt.txt";
	return 0;
}

/* Whether addr is invited to the meeting. */
static int
rsvp_invited(struct store *s, const struct meeting *mt, const char *addr)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM attendees WHERE "
	    "ref = ? AND addr = ? COLLATE NOCASE");
	int found;

	sqlite3_bind_text(st, 1, mt->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	store_done(st);
	return found;
}

/* A COUNTER, or an answer for someone else or someone not invited: the
 * secretariat decides. */
static int
rsvp_forward(struct submission *sub, struct answer *ans,
    const struct meeting *mt, const struct ical_reply *r, char **cause)
{
	const char *why = r->is_counter ? "COUNTER" :
	    strcasecmp(r->attendee, sub->from.addr) != 0 ?
	    "the answer is for another attendee" : "not invited";
	int rc;

	rc = rsvp_to_secretariat(sub->pact, mt, r, sub->from.addr,
	    sub->from.addr, why, sub->msgkey, sub->now, cause);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		kind_problem(ans, tr(sub, "der er allerede sendt %d svar fra "
		    "dig videre til sekretariatet i den seneste time; skriv "
		    "til sekretariatet selv", "%d answers from you have "
		    "already been forwarded to the secretariat in the last "
		    "hour; write to the secretariat yourself"),
		    sub->pact->conf->reply_rate_per_hour);
		return 0;
	}
	meeting_vars(mt, sub->lang, ans->vars);
	tvars_set(ans->vars, "forwarded", "yes");
	ans->verdict = VERDICT_ANSWERED;
	ans->template = "rsvp-receipt.txt";
	return 0;
}

static int
rsvp_imip(struct submission *sub, struct answer *ans, struct ical_reply *r,
    char **cause)
{
	struct meeting mt;
	int rc = 0;

	if (meeting_load(sub->pact->store, NULL, r->uid, &mt) != 0)
		return 0;
	if (r->is_counter || strcasecmp(r->attendee, sub->from.addr) != 0 ||
	    !rsvp_invited(sub->pact->store, &mt, r->attendee)) {
		ans->ref = xstrdup(mt.ref);
		rc = rsvp_forward(sub, ans, &mt, r, cause);
	} else if (mt.state == MEETING_CANCELLED) {
		ans->ref = xstrdup(mt.ref);
		problem_add(sub, ans, "meeting-cancelled", "ref", mt.ref, NULL);
	} else if (r->partstat != ICAL_PS_ACCEPTED &&
	    r->partstat != ICAL_PS_DECLINED &&
	    r->partstat != ICAL_PS_TENTATIVE) {
		ans->ref = xstrdup(mt.ref);
		problem_add(sub, ans, "rsvp-partstat", "partstat",
		    ical_partstat_name(r->partstat), NULL);
	} else
		rc = rsvp_record(sub, ans, &mt, sub->from.addr, r->partstat,
		    cause);
	meeting_free(&mt);
	return rc;
}

static int
rsvp_plain(struct submission *sub, struct answer *ans, char **cause)
{
	struct meeting mt;
	char line[512];
	enum rsvp_word w = RSVP_NONE;
	int rc;

	if (meeting_load(sub->pact->store, sub->tok.ref, NULL, &mt) != 0) {
		problem_add(sub, ans, "meeting-gone", NULL);
		return 0;
	}
	if (first_nonempty_line(sub->newtext, line, sizeof line) != NULL)
		w = rsvp_parse_line(line);
	else
		w = rsvp_parse_line(sub->subj.rest);
	if (strcasecmp(sub->tok.addr, sub->from.addr) != 0)
		problem_add(sub, ans, "invitation-of-another", NULL);
	else if (mt.state == MEETING_CANCELLED)
		problem_add(sub, ans, "meeting-cancelled", "ref", mt.ref, NULL);
	else if (w == RSVP_NONE || w == RSVP_AMBIGUOUS)
		problem_add(sub, ans, "rsvp-no-word", NULL);
	if (ans->problems.n > 0) {
		meeting_free(&mt);
		return 0;
	}
	rc = rsvp_record(sub, ans, &mt, sub->from.addr, w == RSVP_YES ?
	    ICAL_PS_ACCEPTED : w == RSVP_NO ? ICAL_PS_DECLINED :
	    ICAL_PS_TENTATIVE, cause);
	meeting_free(&mt);
	return rc;
}

static int
kind_rsvp(struct submission *sub, struct answer *ans, char **cause)
{
	struct ical_reply r;
	int rc;

	if (rsvp_find(sub->mail, &r) == 0) {
		rc = rsvp_imip(sub, ans, &r, cause);
		ical_reply_free(&r);
		if (rc != 0 || ans->template != NULL || ans->problems.n > 0)
			return rc;
	}
	if (sub->has_tok && sub->tok.kind == kind_rsvp_entry.token)
		return rsvp_plain(sub, ans, cause);
	problem_add(sub, ans, "rsvp-no-meeting", NULL);
	return 0;
}

/* A calendar answer from someone not on the roster: the secretariat
 * hears of it; nobody else is written to. */
int
rsvp_stranger(struct pact *p, const struct mail *m, const char *key,
    time_t now, char **cause)
{
	struct ical_reply r;
	struct meeting mt;
	int rc = 0;

	if (rsvp_find(m, &r) != 0)
		return 0;
	if (meeting_load(p->store, NULL, r.uid, &mt) == 0) {
		rc = rsvp_to_secretariat(p, &mt, &r, m->from_addr, NULL,
		    "unknown attendee", key, now, cause) < 0 ? -1 : 0;
		meeting_free(&mt);
	}
	ical_reply_free(&r);
	return rc;
}
