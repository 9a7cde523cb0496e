/* Meetings: creation, updates, cancellation, answers, late joiners. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "meeting.h"
#include "message.h"
#include "notify.h"
#include "results.h"
#include "roster.h"
#include "token.h"
#include "util.h"

static const char *const state_names[] = { "scheduled", "cancelled" };

const char *
meeting_state_name(enum meeting_state s)
{
	return state_names[s];
}

int
meeting_load(struct store *s, const char *ref, const char *uid,
    struct meeting *m)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT ref, uid, title, start, "
	    "end, location, agenda, state, sequence FROM meetings WHERE ref = ? "
	    "OR uid = ? COLLATE NOCASE");
	int rc = -1;

	memset(m, 0, sizeof *m);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m->ref = store_col(st, 0);
		m->uid = store_col(st, 1);
		m->title = store_col(st, 2);
		m->start = sqlite3_column_int64(st, 3);
		m->end = sqlite3_column_int64(st, 4);
		m->location = store_col(st, 5);
		m->agenda = store_col(st, 6);
		m->state = strcmp((const char *)sqlite3_column_text(st, 7),
		    "cancelled") == 0 ? MEETING_CANCELLED : MEETING_SCHEDULED;
		m->sequence = sqlite3_column_int(st, 8);
		rc = 0;
	}
	store_done(st);
	return rc;
}

void
meeting_free(struct meeting *m)
{
	free(m->ref);
	free(m->uid);
	free(m->title);
	free(m->location);
	free(m->agenda);
	memset(m, 0, sizeof *m);
}

static const char *
meeting_title(const struct meeting *m, const char *lang)
{
	if (m->title != NULL && *m->title != '\0')
		return m->title;
	return strcmp(lang, "en") == 0 ? "The pact's semi-annual meeting" :
	    "Pagtens halvårlige møde";
}

void
meeting_vars(const struct meeting *m, const char *lang, struct tvars *v)
{
	char when[64], *copy, *save = NULL;

	tvars_set(v, "ref", m->ref);
	tvars_set(v, "title", meeting_title(m, lang));
	clock_format_local(lang, m->start, when, sizeof when);
	tvars_set(v, "start", when);
	clock_format_local(lang, m->end, when, sizeof when);
	tvars_set(v, "end", when);
	tvars_set(v, "location", m->location);
	tvars_setf(v, "sequence", "%d", m->sequence);
	copy = xstrdup(m->agenda ? m->agenda : "");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n",
	    &save)) {
		tvars_add_string(v, "agenda", l);
		tvars_set(v, "has_agenda", "yes");
	}
	free(copy);
}

/* The calendar's DESCRIPTION: the agenda, in the attendee's language,
 * and the results in one short line (the mail's text lists them). */
static char *
meeting_description(const struct meeting *m, const char *lang,
    const struct results *r)
{
	struct buf b;
	char *copy, *save = NULL, *line;

	buf_init(&b);
	if (m->agenda != NULL && *m->agenda != '\0') {
		buf_adds(&b, strcmp(lang, "en") == 0 ? "Agenda:" :
		    "Dagsorden:");
		copy = xstrdup(m->agenda);
		for (char *l = strtok_r(copy, "\n", &save); l;
		    l = strtok_r(NULL, "\n", &save))
			buf_addf(&b, "\n- %s", l);
		free(copy);
	}
	if (r != NULL) {
		line = results_line(r, lang);
		buf_addf(&b, "%s%s", b.len > 0 ? "\n\n" : "", line);
		free(line);
	}
	return buf_steal(&b);
}

/* The attendee's token for this meeting, issued on first use. */
static int
meeting_token(struct pact *p, const struct meeting *m, const char *addr,
    char word[TOKEN_CHARS + 1], char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT token FROM tokens "
	    "WHERE kind = 'm' AND ref = ? AND addr = ?");
	struct token t;
	int found = 0;

	sqlite3_bind_text(st, 1, m->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(word, TOKEN_CHARS + 1, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	store_done(st);
	if (found)
		return 0;
	if (token_issue(p->store, 'm', m->ref, NULL, addr, &t, cause) != 0)
		return -1;
	memcpy(word, t.word, TOKEN_CHARS + 1);
	token_free(&t);
	return 0;
}

/* What a calendar mail does: invite, cancel the meeting, or take one
 * attendee off a meeting that goes on. */
enum meeting_how { HOW_REQUEST, HOW_CANCEL, HOW_UNINVITE };

/* One iMIP mail (REQUEST or CANCEL) to one attendee. */
static int
meeting_mail(struct pact *p, const struct meeting *m, const char *addr,
    const char *name, enum meeting_how how, const char *tmpl, time_t now,
    char **cause)
{
	int cancel = how != HOW_REQUEST;
	const struct config *c = p->conf;
	struct sender who;
	struct ical_event ev;
	struct token_mail tm;
	struct notice n;
	struct results res;
	struct tvars *v;
	char word[TOKEN_CHARS + 1], *desc, *cal;
	const char *lang;
	int rc;

	if (meeting_token(p, m, addr, word, cause) != 0)
		return -1;
	roster_lookup(c, p->store, addr, &who);
	lang = notice_lang(c, who.lang);
	/* Invitations and updates tell what the pact has done since the
	 * last meeting; a cancellation need not. */
	memset(&res, 0, sizeof res);
	if (!cancel)
		results_gather(p->store, c, m->ref, m->start, now, &res);
	desc = meeting_description(m, lang, cancel ? NULL : &res);
	memset(&ev, 0, sizeof ev);
	ev.uid = m->uid;
	ev.organizer = c->address;
	ev.organizer_cn = c->name;
	ev.attendee = addr;
	ev.attendee_cn = name;
	ev.summary = meeting_title(m, lang);
	ev.location = m->location;
	ev.description = desc;
	ev.start = m->start;
	ev.end = m->end;
	ev.dtstamp = now;
	ev.sequence = m->sequence;
	ev.tzid = c->timezone;
	ev.cancel = cancel;
	ev.uninvite = how == HOW_UNINVITE;
	if ((cal = ical_build(&ev)) == NULL) {
		*cause = xasprintf("%s: cannot build the calendar for %s",
		    m->ref, addr);
		results_free(&res);
		free(desc);
		sender_free(&who);
		return -1;
	}
	/* N in the Message-ID counts this attendee's mails for it. */
	tm = token_mail(c, 'm', word, m->ref, "",
	    token_mails_queued(p->store, 'm', word) + 1);
	v = notice_vars(p);
	meeting_vars(m, lang, v);
	if (!cancel)
		results_vars(&res, lang, v);
	tvars_set(v, "name", name);
	tvars_set(v, "token_line", tm.detail);
	if (how == HOW_UNINVITE)
		tvars_set(v, "uninvited", "yes");
	n = (struct notice){
		.to_addr = addr,
		.to_name = name,
		.lang = lang,
		.tmpl = tmpl,
		.vars = v,
		.kind = cancel ? "cancellation" : "invitation",
		.ref = m->ref,
		.cause_key = m->ref,
		.reply_to = tm.reply_to,
		.message_id = tm.message_id,
		.auto_generated = 1,
		.calendar = cal,
		.method = cancel ? "CANCEL" : "REQUEST",
	};
	rc = notice_queue(p, &n, now, cause);
	token_mail_free(&tm);
	tvars_free(v);
	free(cal);
	free(desc);
	results_free(&res);
	sender_free(&who);
	return rc;
}

/* Add one attendee, unless already there. 1 when added. */
static int
attendee_add(struct pact *p, const char *ref, const char *addr,
    const char *name, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "INSERT INTO attendees(ref, "
	    "addr, name) VALUES(?,?,?) ON CONFLICT DO NOTHING");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (store_exec_stmt(p->store, st, cause) != 0)
		return -1;
	return sqlite3_changes(p->store->db) > 0;
}

static int
attendee_group(struct pact *p, const char *ref, const struct person *v,
    size_t n, char **cause)
{
	for (size_t i = 0; i < n; i++)
		if (attendee_add(p, ref, v[i].addr, v[i].name, cause) < 0)
			return -1;
	return 0;
}

/* Every active participant (SPEC section 5). */
static int
meeting_attendees(struct pact *p, const char *ref, char **cause)
{
	const struct config *c = p->conf;
	const struct roster *r = &c->roster;
	sqlite3_stmt *st;
	int rc = 0;

	for (size_t i = 0; i < r->nparties; i++)
		if (attendee_group(p, ref, r->parties[i].delegates,
		    r->parties[i].ndelegates, cause) != 0)
			return -1;
	if (attendee_group(p, ref, r->secretariat.members,
	    r->secretariat.nmembers, cause) != 0 || (c->invite_advisory_board &&
	    attendee_group(p, ref, r->advisory.members, r->advisory.nmembers,
	    cause) != 0))
		return -1;
	st = store_prepare(p->store, "SELECT contact_addr, contact_name FROM "
	    "associates WHERE state = 'active'");
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		if (attendee_add(p, ref, (const char *)sqlite3_column_text(st,
		    0), (const char *)sqlite3_column_text(st, 1), cause) < 0)
			rc = -1;
	store_done(st);
	return rc;
}

/* Send one mail to every attendee of the meeting. */
static int
meeting_mail_all(struct pact *p, const struct meeting *m,
    enum meeting_how how, const char *tmpl, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT addr, name FROM "
	    "attendees WHERE ref = ? ORDER BY rowid");
	struct strv addrs = { 0 }, names = { 0 };
	int rc = 0;

	sqlite3_bind_text(st, 1, m->ref, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strv_add(&addrs, (const char *)sqlite3_column_text(st, 0));
		strv_add(&names, sqlite3_column_text(st, 1) ?
		    (const char *)sqlite3_column_text(st, 1) : "");
	}
	store_done(st);
	for (size_t i = 0; i < addrs.n && rc == 0; i++)
		rc = meeting_mail(p, m, addrs.v[i], *names.v[i] ? names.v[i] :
		    NULL, how, tmpl, now, cause);
	strv_free(&addrs);
	strv_free(&names);
	return rc;
}

/* Write the meeting's row. */
static int
meeting_store(struct pact *p, const struct meeting *m, int insert,
    time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, insert ?
	    "INSERT INTO meetings(title, start, end, location, agenda, state, "
	    "sequence, ref, uid, created) VALUES(?,?,?,?,?,?,?,?,?,?)" :
	    "UPDATE meetings SET title = ?, start = ?, end = ?, location = ?, "
	    "agenda = ?, state = ?, sequence = ? WHERE ref = ?");

	sqlite3_bind_text(st, 1, m->title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->start);
	sqlite3_bind_int64(st, 3, m->end);
	sqlite3_bind_text(st, 4, m->location, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->agenda, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, meeting_state_name(m->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 7, m->sequence);
	sqlite3_bind_text(st, 8, m->ref, -1, SQLITE_STATIC);
	if (insert) {
		sqlite3_bind_text(st, 9, m->uid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, now);
	}
	return store_exec_stmt(p->store, st, cause);
}

static void
meeting_trace(const struct meeting *m, const char *what)
{
	log_info("%s: meeting %s (%s, sequence %d)", m->ref, what,
	    meeting_state_name(m->state), m->sequence);
}

int
meeting_create(struct pact *p, struct meeting *m, time_t now, char **cause)
{
	char rnd[17];

	random_token(rnd, 16);
	m->uid = xasprintf("%s-%s@%s", m->ref, rnd,
	    strchr(p->conf->address, '@') + 1);
	m->state = MEETING_SCHEDULED;
	m->sequence = 0;
	if (meeting_store(p, m, 1, now, cause) != 0 ||
	    meeting_attendees(p, m->ref, cause) != 0 ||
	    meeting_mail_all(p, m, HOW_REQUEST, "meeting-invite.txt", now,
	    cause) != 0)
		return -1;
	meeting_trace(m, "scheduled");
	return audit_append(p->store, "meeting scheduled", m->ref, NULL,
	    "invitations queued to every participant", cause);
}

int
meeting_update(struct pact *p, struct meeting *m, int times_changed,
    time_t now, char **cause)
{
	m->sequence++;
	if (meeting_store(p, m, 0, now, cause) != 0)
		return -1;
	/* A new time asks every attendee to answer again. */
	if (times_changed) {
		sqlite3_stmt *st = store_prepare(p->store, "UPDATE attendees SET "
		    "partstat = 'NEEDS-ACTION' WHERE ref = ?");

		sqlite3_bind_text(st, 1, m->ref, -1, SQLITE_STATIC);
		if (store_exec_stmt(p->store, st, cause) != 0)
			return -1;
	}
	if (meeting_mail_all(p, m, HOW_REQUEST, "meeting-update.txt", now,
	    cause) != 0)
		return -1;
	meeting_trace(m, "changed");
	return audit_append(p->store, "meeting changed", m->ref, NULL,
	    "updates queued to every attendee", cause);
}

int
meeting_cancel(struct pact *p, struct meeting *m, time_t now, char **cause)
{
	m->sequence++;
	m->state = MEETING_CANCELLED;
	if (meeting_store(p, m, 0, now, cause) != 0 ||
	    meeting_mail_all(p, m, HOW_CANCEL, "meeting-cancel.txt", now,
	    cause) != 0)
		return -1;
	meeting_trace(m, "cancelled");
	return audit_append(p->store, "meeting cancelled", m->ref, NULL,
	    "cancellations queued to every attendee", cause);
}

int
meeting_set_partstat(struct pact *p, const struct meeting *m,
    const char *addr, enum ical_partstat ps, const char *msgkey,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "UPDATE attendees SET "
	    "partstat = ? WHERE ref = ? AND addr = ? COLLATE NOCASE");
	char *detail;
	int rc;

	sqlite3_bind_text(st, 1, ical_partstat_name(ps), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
	if (store_exec_stmt(p->store, st, cause) != 0)
		return -1;
	if (sqlite3_changes(p->store->db) == 0)
		return 1;
	detail = xasprintf("%s: %s", addr, ical_partstat_name(ps));
	rc = audit_append(p->store, "rsvp", m->ref, msgkey, detail, cause);
	free(detail);
	return rc;
}

/* The refs of meetings still to come. */
static void
meetings_coming(struct pact *p, time_t now, struct strv *refs)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT ref FROM meetings "
	    "WHERE state = 'scheduled' AND end > ? ORDER BY start");

	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW)
		strv_add(refs, (const char *)sqlite3_column_text(st, 0));
	store_done(st);
}

int
meeting_participant_joined(struct pact *p, const char *addr,
    const char *name, time_t now, char **cause)
{
	struct strv refs = { 0 };
	int rc = 0;

	meetings_coming(p, now, &refs);
	for (size_t i = 0; i < refs.n && rc == 0; i++) {
		struct meeting m;
		int added;

		if (meeting_load(p->store, refs.v[i], NULL, &m) != 0)
			continue;
		if ((added = attendee_add(p, m.ref, addr, name, cause)) < 0)
			rc = -1;
		else if (added)
			rc = meeting_mail(p, &m, addr, name, HOW_REQUEST,
			    "meeting-invite.txt", now, cause);
		meeting_free(&m);
	}
	strv_free(&refs);
	return rc;
}

int
meeting_participant_left(struct pact *p, const char *addr, time_t now,
    char **cause)
{
	struct strv refs = { 0 };
	int rc = 0;

	meetings_coming(p, now, &refs);
	for (size_t i = 0; i < refs.n && rc == 0; i++) {
		struct meeting m;
		sqlite3_stmt *st;

		if (meeting_load(p->store, refs.v[i], NULL, &m) != 0)
			continue;
		rc = meeting_mail(p, &m, addr, NULL, HOW_UNINVITE,
		    "meeting-cancel.txt", now, cause);
		st = store_prepare(p->store, "DELETE FROM attendees WHERE ref = ? "
		    "AND addr = ?");
		sqlite3_bind_text(st, 1, m.ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
		if (rc == 0)
			rc = store_exec_stmt(p->store, st, cause);
		else
			store_done(st);
		meeting_free(&m);
	}
	strv_free(&refs);
	return rc;
}

/* The last meeting's start, or when the pact's database began. */
static time_t
meeting_last(struct pact *p, time_t *coming)
{
	sqlite3_stmt *st = store_prepare(p->store, "SELECT max(start), "
	    "max(CASE WHEN start > ? THEN start END) FROM meetings WHERE state "
	    "= 'scheduled'");
	time_t last = 0;

	sqlite3_bind_int64(st, 1, clock_now());
	*coming = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		*coming = sqlite3_column_int64(st, 1);
	}
	store_done(st);
	if (last == 0) {
		char *created = store_meta_get(p->store, "created");

		last = created ? strtoll(created, NULL, 10) : 0;
		free(created);
	}
	return last;
}

/* Remind each secretariat member to call the next meeting. */
static int
meeting_remind(struct pact *p, time_t last, time_t now, char **cause)
{
	const struct group *g = &p->conf->roster.secretariat;
	struct tvars *v = notice_vars(p);
	struct notice n = {
		.tmpl = "meeting-cadence.txt",
		.vars = v,
		.kind = "reminder",
		.cause_key = "cadence",
		.auto_generated = 1,
	};
	char when[64];
	int rc;

	clock_format_local(notice_lang(p->conf, g->lang), last, when,
	    sizeof when);
	tvars_set(v, "last", when);
	tvars_setf(v, "months", "%d", p->conf->cadence_months);
	rc = notice_group(p, g, &n, now, cause);
	tvars_free(v);
	return rc;
}

int
meeting_timers(struct pact *p, time_t now, char **cause)
{
	time_t coming, last = meeting_last(p, &coming);
	char *done = store_meta_get(p->store, "cadence_reminded");
	char key[32];
	int rc = 0;

	snprintf(key, sizeof key, "%lld", (long long)last);
	if (last == 0 || coming != 0 ||
	    now < last + (time_t)p->conf->cadence_months * 30 * 86400 ||
	    (done != NULL && strcmp(done, key) == 0)) {
		free(done);
		return 0;
	}
	free(done);
	if (store_begin(p->store, cause) != 0)
		return -1;
	if (meeting_remind(p, last, now, cause) != 0 ||
	    store_meta_set(p->store, "cadence_reminded", key, cause) != 0 ||
	    audit_append(p->store, "meeting reminder", NULL, NULL,
	    "no meeting set within cadence_months of the last", cause) != 0 ||
	    store_commit(p->store, cause) != 0) {
		store_rollback(p->store);
		rc = -1;
	} else
		log_info("meetings: secretariat reminded to call the next "
		    "meeting");
	return rc;
}
