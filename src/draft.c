/*
 * The drafted annual status: what the pact did in a calendar year, read
 * from the store, written out by templates/LANG/status-draft-text.txt as
 * the status itself and by status-draft.txt as the mail around it. The
 * status text is indented under "Status:", so that the mail's body is a
 * ready ÅRSSTATUS: every indented line continues the field (SPEC section
 * 3), and no line of the record can be read as a field of its own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "body.h"
#include "clock.h"
#include "draft.h"
#include "limit.h"
#include "log.h"
#include "message.h"
#include "notify.h"
#include "outbox.h"
#include "template.h"
#include "util.h"
#include "validate.h"

struct draft {
	const struct config *conf;
	struct store *store;
	int year;
	const char *lang;
	time_t from, to, now;	/* the year, local time; [from, to) */
	struct tvars *v;
	struct json *j;		/* or NULL */
	int unread;		/* a read failed: no draft this time */
};

int
draft_date_parse(const char *s, int *month, int *day)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int m, d;

	if (s == NULL || strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != '-' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return -1;
	*month = m;
	*day = d;
	return 0;
}

int
draft_covered_year(int y, int month)
{
	return month <= 6 ? y - 1 : y;
}

unsigned
draft_purposes(const char *s)
{
	unsigned bits = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (*s >= '1' && *s <= '3')
			bits |= 1u << (*s - '1');
	return bits;
}

char *
draft_indent(const char *text, int n)
{
	struct buf b;
	const char *nl;

	buf_init(&b);
	while (*text != '\0') {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		if (nl > text)
			buf_addf(&b, "%*s%.*s", n, "", (int)(nl - text), text);
		if (*nl == '\0')
			break;
		buf_addc(&b, '\n');
		text = nl + 1;
	}
	return buf_steal(&b);
}

/* Column text, NULL for SQL NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The next row of a statement; a failed read ends it and is noted, so
 * that a draft with parts of the year missing is never sent. */
static int
draft_row(struct draft *d, sqlite3_stmt *st)
{
	int r = store_row(st, NULL);

	if (r < 0)
		d->unread = 1;
	return r > 0;
}

/* A day as people of lang write it, whatever the process's locale. */
static void
draft_day(const char *lang, time_t t, char *buf, size_t len)
{
	static const char *const months[] = { "January", "February",
	    "March", "April", "May", "June", "July", "August", "September",
	    "October", "November", "December" };
	struct tm tm;

	localtime_r(&t, &tm);
	if (strcmp(lang, "en") == 0)
		snprintf(buf, len, "%d %s %d", tm.tm_mday, months[tm.tm_mon],
		    tm.tm_year + 1900);
	else
		snprintf(buf, len, "%d.%d.%d", tm.tm_mday, tm.tm_mon + 1,
		    tm.tm_year + 1900);
}

/* Set name in item to a day, and the same day in UTC in the JSON. */
static void
draft_when(struct draft *d, struct tvars *item, const char *name, time_t t)
{
	char buf[64];

	draft_day(d->lang, t, buf, sizeof buf);
	tvars_set(item, name, buf);
	if (d->j != NULL) {
		clock_format_utc(t, buf, sizeof buf);
		json_str(d->j, name, buf);
	}
}

/* A string both in the text and in the JSON. */
static void
draft_str(struct draft *d, struct tvars *item, const char *name,
    const char *value)
{
	tvars_set(item, name, value != NULL ? value : "");
	if (d->j != NULL)
		json_str(d->j, name, value);
}

/* A list stored one item a line, into the text and the JSON. */
static void
draft_lines(struct draft *d, struct tvars *item, const char *name,
    const char *lines)
{
	char *copy = xstrdup(lines != NULL ? lines : ""), *s = copy, *nl, *one;

	tvars_set_list(item, name);
	if (d->j != NULL)
		json_arr_begin(d->j, name);
	for (; s != NULL && *s != '\0'; s = nl) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		if (*(one = str_trim(s)) == '\0')
			continue;
		tvars_add_string(item, name, one);
		if (d->j != NULL)
			json_str(d->j, NULL, one);
	}
	if (d->j != NULL)
		json_arr_end(d->j);
	free(copy);
}

static void
draft_obj_begin(struct draft *d, const char *key)
{
	if (d->j != NULL)
		json_obj_begin(d->j, key);
}

static void
draft_obj_end(struct draft *d)
{
	if (d->j != NULL)
		json_obj_end(d->j);
}

static void
draft_arr_begin(struct draft *d, const char *key)
{
	if (d->j != NULL)
		json_arr_begin(d->j, key);
}

static void
draft_arr_end(struct draft *d)
{
	if (d->j != NULL)
		json_arr_end(d->j);
}

static void
draft_int(struct draft *d, struct tvars *item, const char *name, long long n)
{
	tvars_setf(item, name, "%lld", n);
	if (d->j != NULL)
		json_int(d->j, name, n);
}

/* A founding party's name from the roster, or its id. */
static const char *
draft_party(const struct draft *d, const char *id)
{
	const struct roster *r = &d->conf->roster;

	for (size_t i = 0; id != NULL && i < r->nparties; i++)
		if (strcmp(r->parties[i].id, id) == 0)
			return r->parties[i].name ? r->parties[i].name : id;
	return id != NULL ? id : "";
}

/* Whether addr is one of a group's members. */
static int
draft_in_group(const struct group *g, const char *addr)
{
	for (size_t i = 0; i < g->nmembers; i++)
		if (strcasecmp(g->members[i].addr, addr) == 0)
			return 1;
	return 0;
}

/* The organisation an attendee speaks for: a party, the secretariat, the
 * advisory board, or an associate; owned, NULL when none is known (the
 * draft names organisations, never addresses). */
static char *
draft_org(struct draft *d, const char *addr)
{
	const struct roster *r = &d->conf->roster;
	sqlite3_stmt *st;
	char *org = NULL;

	for (size_t i = 0; i < r->nparties; i++)
		for (size_t k = 0; k < r->parties[i].ndelegates; k++)
			if (strcasecmp(r->parties[i].delegates[k].addr,
			    addr) == 0)
				return xstrdup(draft_party(d,
				    r->parties[i].id));
	if (draft_in_group(&r->secretariat, addr))
		return xstrdup(r->secretariat.name ? r->secretariat.name :
		    "secretariat");
	if (draft_in_group(&r->advisory, addr))
		return xstrdup(r->advisory.name ? r->advisory.name :
		    "advisory board");
	st = store_prepare(d->store, "SELECT organisation FROM associates "
	    "WHERE contact_addr = ? ORDER BY approved DESC LIMIT 1");
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (draft_row(d, st))
		org = store_col(st, 0);
	store_done(st);
	return org;
}

/* Each party's newest declaration of the year, in the roster's order:
 * new when the party had none before the year, else changed. */
static void
draft_declarations(struct draft *d)
{
	const struct roster *r = &d->conf->roster;
	sqlite3_stmt *st = store_prepare(d->store, "SELECT version, "
	    "objectives, submitted, EXISTS(SELECT 1 FROM declarations e WHERE "
	    "e.party = ?1 AND e.submitted < ?2) FROM declarations WHERE party "
	    "= ?1 AND submitted >= ?2 AND submitted < ?3 ORDER BY version DESC "
	    "LIMIT 1");

	draft_arr_begin(d, "declarations");
	for (size_t i = 0; i < r->nparties; i++) {
		struct tvars *it;

		sqlite3_bind_text(st, 1, r->parties[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, d->from);
		sqlite3_bind_int64(st, 3, d->to);
		if (draft_row(d, st)) {
			int changed = sqlite3_column_int(st, 3);

			it = tvars_add_item(d->v, "declarations");
			draft_obj_begin(d, NULL);
			draft_str(d, it, "party", draft_party(d,
			    r->parties[i].id));
			draft_str(d, it, "state", changed ? "changed" : "new");
			tvars_set(it, changed ? "changed" : "new", "1");
			draft_int(d, it, "version", sqlite3_column_int(st, 0));
			draft_when(d, it, "submitted",
			    sqlite3_column_int64(st, 2));
			draft_lines(d, it, "objectives", col(st, 1));
			draft_obj_end(d);
		}
		sqlite3_reset(st);
	}
	store_done(st);
	draft_arr_end(d);
}

/* Associates approved in the year, with the initiatives they promised. */
static void
draft_admitted(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT a.ref, "
	    "a.organisation, a.type, a.nominated_by, a.approved, "
	    "n.initiatives FROM associates a LEFT JOIN nominations n ON n.ref "
	    "= a.ref WHERE a.approved >= ? AND a.approved < ? ORDER BY "
	    "a.approved, a.ref");

	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	draft_arr_begin(d, "associates_admitted");
	while (draft_row(d, st)) {
		struct tvars *it = tvars_add_item(d->v, "admitted");

		draft_obj_begin(d, NULL);
		draft_str(d, it, "ref", col(st, 0));
		draft_str(d, it, "organisation", col(st, 1));
		draft_str(d, it, "type", col(st, 2));
		tvars_set(it, col(st, 2) != NULL &&
		    strcmp(col(st, 2), "association") == 0 ? "association" :
		    "company", "1");
		draft_str(d, it, "nominated_by", draft_party(d, col(st, 3)));
		draft_when(d, it, "approved", sqlite3_column_int64(st, 4));
		draft_lines(d, it, "initiatives", col(st, 5));
		draft_obj_end(d);
	}
	store_done(st);
	draft_arr_end(d);
}

/* Associates that left in the year. */
static void
draft_withdrawn(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT ref, organisation, "
	    "withdrawn FROM associates WHERE state = 'withdrawn' AND withdrawn "
	    ">= ? AND withdrawn < ? ORDER BY withdrawn, ref");

	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	draft_arr_begin(d, "associates_withdrawn");
	while (draft_row(d, st)) {
		struct tvars *it = tvars_add_item(d->v, "withdrawn");

		draft_obj_begin(d, NULL);
		draft_str(d, it, "ref", col(st, 0));
		draft_str(d, it, "organisation", col(st, 1));
		draft_when(d, it, "withdrawn", sqlite3_column_int64(st, 2));
		draft_obj_end(d);
	}
	store_done(st);
	draft_arr_end(d);
}

/* The partners on one line, for the text: "A, B, C". */
static void
draft_partner_line(struct tvars *it, const char *partners)
{
	struct buf b;
	const char *s = partners != NULL ? partners : "", *nl;
	char *line;

	buf_init(&b);
	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		if (nl > s)
			buf_addf(&b, "%s%.*s", b.len > 0 ? ", " : "",
			    (int)(nl - s), s);
		s = *nl != '\0' ? nl + 1 : nl;
	}
	line = buf_steal(&b);
	tvars_set(it, "partner_line", line);
	free(line);
}

/* The initiatives of the year under one purpose: one that names several
 * purposes stands under each. */
static void
draft_purpose(struct draft *d, int purpose)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT ref, title, "
	    "purposes, partners, by_name, submitted FROM initiatives WHERE "
	    "submitted >= ? AND submitted < ? ORDER BY submitted, ref");
	char list[16];

	snprintf(list, sizeof list, "purpose%d", purpose);
	tvars_set_list(d->v, list);
	draft_obj_begin(d, NULL);
	if (d->j != NULL)
		json_int(d->j, "purpose", purpose);
	draft_arr_begin(d, "initiatives");
	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	while (draft_row(d, st)) {
		struct tvars *it;

		if (!(draft_purposes(col(st, 2)) & (1u << (purpose - 1))))
			continue;
		it = tvars_add_item(d->v, list);
		draft_obj_begin(d, NULL);
		draft_str(d, it, "ref", col(st, 0));
		draft_str(d, it, "title", col(st, 1));
		draft_str(d, it, "by", col(st, 4));
		draft_when(d, it, "submitted", sqlite3_column_int64(st, 5));
		draft_lines(d, it, "partners", col(st, 3));
		draft_obj_end(d);
		draft_partner_line(it, col(st, 3));
	}
	store_done(st);
	draft_arr_end(d);
	draft_obj_end(d);
}

/* The initiatives of the year by the charter's three purposes. */
static void
draft_initiatives(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT count(*) FROM "
	    "initiatives WHERE submitted >= ? AND submitted < ?");

	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	if (draft_row(d, st) && sqlite3_column_int(st, 0) > 0)
		tvars_setf(d->v, "n_initiatives", "%d",
		    sqlite3_column_int(st, 0));
	store_done(st);
	draft_arr_begin(d, "initiatives_by_purpose");
	for (int purpose = 1; purpose <= 3; purpose++)
		draft_purpose(d, purpose);
	draft_arr_end(d);
}

/* The ballots opened in the year, with their outcome and tally. */
static void
draft_ballots(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT b.ref, "
	    "n.organisation, n.party, b.state, b.opened, b.closed, "
	    "(SELECT count(*) FROM votes v WHERE v.ref = b.ref AND v.vote = "
	    "'yes'), (SELECT count(*) FROM votes v WHERE v.ref = b.ref AND "
	    "v.vote = 'no'), (SELECT count(*) FROM votes v WHERE v.ref = b.ref "
	    "AND v.vote = 'abstain') FROM ballots b JOIN nominations n ON "
	    "n.ref = b.ref WHERE b.opened >= ? AND b.opened < ? ORDER BY "
	    "b.opened, b.ref");

	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	draft_arr_begin(d, "ballots");
	while (draft_row(d, st)) {
		struct tvars *it = tvars_add_item(d->v, "ballots");
		const char *state = col(st, 3) ? col(st, 3) : "open";

		draft_obj_begin(d, NULL);
		draft_str(d, it, "ref", col(st, 0));
		draft_str(d, it, "organisation", col(st, 1));
		draft_str(d, it, "nominated_by", draft_party(d, col(st, 2)));
		draft_str(d, it, "state", state);
		tvars_set(it, state, "1");
		draft_when(d, it, "opened", sqlite3_column_int64(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			draft_when(d, it, "closed",
			    sqlite3_column_int64(st, 5));
		draft_int(d, it, "yes", sqlite3_column_int(st, 6));
		draft_int(d, it, "no", sqlite3_column_int(st, 7));
		draft_int(d, it, "abstain", sqlite3_column_int(st, 8));
		draft_obj_end(d);
	}
	store_done(st);
	draft_arr_end(d);
}

/* The RSVP words as JSON keys and template lists. */
static const struct {
	const char *partstat;
	const char *name;
} draft_answers[] = {
	{ "ACCEPTED", "accepted" },
	{ "DECLINED", "declined" },
	{ "TENTATIVE", "tentative" },
};

/* One meeting's answers: the organisations that accepted, declined or
 * said maybe (each once), and how many invitations had no answer. */
static void
draft_attendance(struct draft *d, struct tvars *it, const char *ref)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT addr FROM "
	    "attendees WHERE ref = ? AND partstat = ? ORDER BY addr");
	int invited = 0, none = 0;

	draft_obj_begin(d, "attendance");
	for (size_t a = 0; a < nitems(draft_answers); a++) {
		struct strv seen = { 0 };
		struct buf line;
		char *joined;

		buf_init(&line);
		draft_arr_begin(d, draft_answers[a].name);
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, draft_answers[a].partstat, -1,
		    SQLITE_STATIC);
		while (draft_row(d, st)) {
			char *org = draft_org(d, col(st, 0));

			if (org == NULL || strv_contains_case(&seen, org)) {
				free(org);
				continue;
			}
			buf_addf(&line, "%s%s", line.len > 0 ? ", " : "", org);
			if (d->j != NULL)
				json_str(d->j, NULL, org);
			strv_addn(&seen, org);
		}
		sqlite3_reset(st);
		draft_arr_end(d);
		joined = buf_steal(&line);
		tvars_set(it, draft_answers[a].name, joined);
		free(joined);
		strv_free(&seen);
	}
	store_done(st);
	st = store_prepare(d->store, "SELECT count(*), sum(partstat NOT IN "
	    "('ACCEPTED', 'DECLINED', 'TENTATIVE')) FROM attendees WHERE "
	    "ref = ?");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (draft_row(d, st)) {
		invited = sqlite3_column_int(st, 0);
		none = sqlite3_column_int(st, 1);
	}
	store_done(st);
	draft_int(d, it, "invited", invited);
	draft_int(d, it, "no_answer", none);
	draft_obj_end(d);
}

/* The meetings held in the year (not cancelled, begun by now). */
static void
draft_meetings(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT ref, title, start, "
	    "location FROM meetings WHERE state = 'scheduled' AND start >= ? "
	    "AND start < ? AND start <= ? ORDER BY start, ref");
	struct strv refs = { 0 };
	struct strv titles = { 0 }, places = { 0 };
	struct strv starts = { 0 };

	sqlite3_bind_int64(st, 1, d->from);
	sqlite3_bind_int64(st, 2, d->to);
	sqlite3_bind_int64(st, 3, d->now);
	/* Read first: the attendance needs statements of its own. */
	while (draft_row(d, st)) {
		strv_add(&refs, col(st, 0));
		strv_add(&titles, col(st, 1) ? col(st, 1) : "");
		strv_add(&places, col(st, 3) ? col(st, 3) : "");
		strv_addn(&starts, xasprintf("%lld",
		    (long long)sqlite3_column_int64(st, 2)));
	}
	store_done(st);
	draft_arr_begin(d, "meetings");
	for (size_t i = 0; i < refs.n; i++) {
		struct tvars *it = tvars_add_item(d->v, "meetings");
		time_t start = strtoll(starts.v[i], NULL, 10);
		char buf[64];

		draft_obj_begin(d, NULL);
		draft_str(d, it, "ref", refs.v[i]);
		draft_str(d, it, "title", titles.v[i]);
		draft_str(d, it, "location", places.v[i]);
		clock_format_local(d->lang, start, buf, sizeof buf);
		tvars_set(it, "when", buf);
		if (d->j != NULL) {
			clock_format_utc(start, buf, sizeof buf);
			json_str(d->j, "start", buf);
		}
		draft_attendance(d, it, refs.v[i]);
		draft_obj_end(d);
	}
	draft_arr_end(d);
	strv_free(&refs);
	strv_free(&titles);
	strv_free(&places);
	strv_free(&starts);
}

/* The advisory board's comments on a status. */
static void
draft_comments(struct draft *d, struct tvars *it, const char *ref)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT by_name, text FROM "
	    "comments WHERE status_ref = ? ORDER BY submitted, id");
	const char *board = d->conf->roster.advisory.name ?
	    d->conf->roster.advisory.name : "advisory board";
	int n = 0;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	draft_arr_begin(d, "comments");
	while (draft_row(d, st)) {
		struct tvars *c = tvars_add_item(it, "comments");
		char *one = xstrdup(col(st, 1) ? col(st, 1) : "");

		draft_obj_begin(d, NULL);
		draft_str(d, c, "by", col(st, 0) ? col(st, 0) : board);
		draft_str(d, c, "text", col(st, 1));
		draft_obj_end(d);
		/* One paragraph in the text: a comment's own line breaks
		 * (or a '>' line) would not wrap inside a list item. */
		for (char *p = one; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		tvars_set(c, "text", one);
		free(one);
		n++;
	}
	store_done(st);
	draft_arr_end(d);
	if (n > 0)
		tvars_setf(it, "n_comments", "%d", n);
}

/* Last year's status and its consultation, or null. */
static void
draft_consultation(struct draft *d)
{
	sqlite3_stmt *st = store_prepare(d->store, "SELECT ref, year, "
	    "submitted, deadline, published, pdf FROM statuses WHERE year = ?");
	struct tvars *it;
	char *ref;

	sqlite3_bind_int(st, 1, d->year - 1);
	if (!draft_row(d, st)) {
		store_done(st);
		if (d->j != NULL)
			json_null(d->j, "consultation");
		return;
	}
	it = tvars_add_item(d->v, "consultation");
	draft_obj_begin(d, "consultation");
	ref = store_col(st, 0);
	draft_str(d, it, "ref", ref);
	draft_int(d, it, "year", sqlite3_column_int(st, 1));
	draft_when(d, it, "submitted", sqlite3_column_int64(st, 2));
	draft_when(d, it, "deadline", sqlite3_column_int64(st, 3));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		draft_when(d, it, "published", sqlite3_column_int64(st, 4));
	else if (d->j != NULL)
		json_null(d->j, "published");
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		tvars_set(it, "pdf", "1");
	store_done(st);
	draft_comments(d, it, ref);
	draft_obj_end(d);
	free(ref);
}

/* The whole record, into d->v and d->j. */
static void
draft_record(struct draft *d)
{
	tvars_setf(d->v, "year", "%d", d->year);
	tvars_setf(d->v, "last_year", "%d", d->year - 1);
	if (d->j != NULL) {
		json_int(d->j, "year", d->year);
		json_str(d->j, "language", d->lang);
	}
	draft_declarations(d);
	draft_admitted(d);
	draft_withdrawn(d);
	draft_initiatives(d);
	draft_ballots(d);
	draft_meetings(d);
	draft_consultation(d);
}

/* How long the status field is as pactd will read it back: more than
 * SPEC section 3 allows a text field, and the draft says so. */
static size_t
draft_status_chars(const char *indented)
{
	char *mail = xasprintf("Status:\n%s\n", indented);
	struct fields fs;
	size_t n;

	body_fields(mail, &fs);
	n = fs.f[F_STATUS].value ? limit_chars(fs.f[F_STATUS].value) : 0;
	fields_free(&fs);
	free(mail);
	return n;
}

/* The status text: rendered, wrapped, then indented under "Status:". */
static int
draft_status_text(struct draft *d, char **cause)
{
	char *out, *wrapped, *indented;
	size_t n;

	if (template_render(d->conf->templates, d->lang,
	    "status-draft-text.txt", d->v, TEMPLATE_TEXT, &out, cause) != 0)
		return -1;
	wrapped = template_wrap(out, DRAFT_WIDTH);
	indented = draft_indent(wrapped, DRAFT_INDENT);
	tvars_set(d->v, "status", indented);
	n = draft_status_chars(indented);
	if (d->j != NULL)
		json_int(d->j, "characters", (long long)n);
	if (n > LIMIT_TEXT_CHARS) {
		tvars_setf(d->v, "too_long", "%zu", n);
		tvars_setf(d->v, "limit", "%d", LIMIT_TEXT_CHARS);
	}
	free(indented);
	free(wrapped);
	free(out);
	return 0;
}

/* The mail around it: "Subject: ..." first, as every mail template. */
static int
draft_mail(struct draft *d, char **subject, char **body, char **cause)
{
	return notice_render_text(d->conf, d->lang, "status-draft.txt", d->v,
	    subject, body, cause);
}

int
draft_build(const struct config *c, struct store *s, int year,
    const char *lang, time_t now, struct json *j, char **subject,
    char **body, char **cause)
{
	struct draft d;
	int rc = -1;

	memset(&d, 0, sizeof d);
	d.conf = c;
	d.store = s;
	d.year = year;
	d.lang = lang;
	d.now = now;
	d.from = date_local(year, 1, 1, 0);
	d.to = date_local(year + 1, 1, 1, 0);
	d.j = j;
	d.v = tvars_new();
	tvars_set(d.v, "pact_name", c->name);
	tvars_set(d.v, "pact_address", c->address);
	tvars_set(d.v, "base_url", c->base_url);
	tvars_setf(d.v, "consultation_days", "%d", c->consultation_days);
	draft_record(&d);
	if (d.unread)
		*cause = xasprintf("%s: a read failed; no draft this time",
		    s->path);
	else if (draft_status_text(&d, cause) == 0 &&
	    draft_mail(&d, subject, body, cause) == 0)
		rc = 0;
	if (rc == 0 && j != NULL) {
		json_str(j, "subject", *subject);
		json_str(j, "text", *body);
	}
	tvars_free(d.v);
	return rc;
}

/* Whether the pact's record began after the year: nothing to draft. 1,
 * 0, or -1 with *cause. */
static int
draft_before_pact(struct store *s, int year, char **cause)
{
	char *created;
	time_t t;

	if (store_meta_get(s, "created", &created, cause) < 0)
		return -1;
	t = created ? strtoll(created, NULL, 10) : 0;
	free(created);
	return t >= date_local(year + 1, 1, 1, 0);
}

/* Queue the draft to each secretariat member. */
static int
draft_send(struct pact *p, int year, time_t now, char **cause)
{
	const struct group *g = &p->conf->roster.secretariat;
	const char *lang = notice_lang(p->conf, g->lang);
	char *subject = NULL, *body = NULL;
	struct outmail om;
	int rc = 0;

	if (draft_build(p->conf, p->store, year, lang, now, NULL, &subject,
	    &body, cause) != 0)
		return -1;
	memset(&om, 0, sizeof om);
	om.subject = subject;
	om.body = body;
	om.auto_generated = 1;
	for (size_t i = 0; i < g->nmembers && rc == 0; i++) {
		om.to_addr = g->members[i].addr;
		om.to_name = g->members[i].name;
		rc = outbox_queue(p->store, p->conf, &om, "status-draft",
		    NULL, "status-draft", now, cause);
	}
	free(subject);
	free(body);
	return rc;
}

int
draft_timers(struct pact *p, time_t now, char **cause)
{
	char *done, key[16];
	struct tm tm;
	int month, day, year, before;

	if (store_meta_get(p->store, "status_drafted", &done, cause) < 0)
		return -1;
	localtime_r(&now, &tm);
	if (draft_date_parse(p->conf->draft_date, &month, &day) != 0 ||
	    now < date_local(tm.tm_year + 1900, month, day, 0)) {
		free(done);
		return 0;
	}
	year = draft_covered_year(tm.tm_year + 1900, month);
	snprintf(key, sizeof key, "%d", year);
	if (done != NULL && atoi(done) >= year) {
		free(done);
		return 0;
	}
	free(done);
	if ((before = draft_before_pact(p->store, year, cause)) != 0)
		return before < 0 ? -1 : 0;
	if (store_begin(p->store, cause) != 0)
		return -1;
	if (draft_send(p, year, now, cause) != 0 ||
	    store_meta_set(p->store, "status_drafted", key, cause) != 0 ||
	    audit_append(p->store, "status drafted", NULL, NULL,
	    "draft annual status sent to the secretariat", cause) != 0 ||
	    store_commit(p->store, cause) != 0) {
		store_rollback(p->store);
		return -1;
	}
	log_info("status: the draft annual status for %d went to the "
	    "secretariat", year);
	return 0;
}
