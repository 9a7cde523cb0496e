/* feed.atom: the pact's public events as an Atom feed (RFC 4287), built
 * from the audit log's events and the public tables, never its details. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "feed.h"
#include "limit.h"
#include "store.h"
#include "util.h"

#define FEED_ENTRIES	100
#define FEED_SUMMARY	280	/* characters of an entry's summary */

struct feed {
	const struct config *conf;
	struct store	*store;
	const char	*lang;
	struct strv	 ids;		/* index.html's ids, sorted */
};

static void sum_declaration(struct feed *, sqlite3_stmt *, struct buf *);
static void sum_member(struct feed *, sqlite3_stmt *, struct buf *);
static void sum_text(struct feed *, sqlite3_stmt *, struct buf *);
static void sum_status(struct feed *, sqlite3_stmt *, struct buf *);
static void sum_comments(struct feed *, sqlite3_stmt *, struct buf *);
static void sum_meeting(struct feed *, sqlite3_stmt *, struct buf *);

/* The subjects of titles and the rows of summaries several events share. */
#define MEMBER_NAME	"SELECT organisation FROM associates WHERE ref = ?"
#define MEMBER_SUM	"SELECT type, cvr, nominated_by, state FROM " \
			"associates WHERE ref = ?"
#define STATUS_YEAR	"SELECT year FROM statuses WHERE ref = ?"
#define MEETING_TITLE	"SELECT coalesce(nullif(title, ''), ref) FROM " \
			"meetings WHERE ref = ?"
#define MEETING_SUM	"SELECT start, location FROM meetings WHERE ref = ?"

/* The public events, with Danish and English titles (%s: the subject),
 * where on the page each is (an id by ref, else its section) and what
 * its summary says (from the row sum_sql gives by ref). */
static const struct feed_event {
	const char *event;
	const char *da;
	const char *en;
	const char *sql;	/* the subject of the title, by ref */
	const char *anchor;	/* the page's id for it, by ref; NULL: ref */
	const char *section;	/* the section's id */
	const char *sum_sql;	/* the summary's row, by ref */
	void (*summary)(struct feed *, sqlite3_stmt *, struct buf *);
} feed_events[] = {
	{ "declaration", "Erklæring fra %s", "Declaration of %s",
	    "SELECT party, ' (version ' || version || ')' FROM declarations "
	    "WHERE ref = ?", "SELECT 'party-' || party FROM declarations "
	    "WHERE ref = ?", "parter", "SELECT d.motivation, d.version, "
	    "(SELECT max(version) FROM declarations WHERE party = d.party) "
	    "FROM declarations d WHERE d.ref = ?", sum_declaration },
	{ "member admitted", "Nyt associeret medlem: %s", "New associate "
	    "member: %s", MEMBER_NAME, NULL, "medlemmer", MEMBER_SUM,
	    sum_member },
	{ "member withdrawn", "%s har forladt pagten", "%s has left the pact",
	    MEMBER_NAME, NULL, "medlemmer", MEMBER_SUM, sum_member },
	{ "initiative", "Initiativ: %s", "Initiative: %s",
	    "SELECT title || ' (' || by_name || ')' FROM initiatives WHERE "
	    "ref = ?", NULL, "initiativer", "SELECT description FROM "
	    "initiatives WHERE ref = ?", sum_text },
	{ "annual status", "Årsstatus %s", "Annual status %s", STATUS_YEAR,
	    NULL, "status", "SELECT text, deadline FROM statuses WHERE ref = "
	    "?", sum_status },
	{ "comments published", "Advisory boardets kommentarer til årsstatus "
	    "%s", "The advisory board's comments on the annual status %s",
	    STATUS_YEAR, NULL, "status", "SELECT count(*), (SELECT text FROM "
	    "comments WHERE status_ref = ?1 ORDER BY submitted LIMIT 1) FROM "
	    "comments WHERE status_ref = ?1", sum_comments },
	{ "meeting scheduled", "Møde: %s", "Meeting: %s", MEETING_TITLE,
	    NULL, "moeder", MEETING_SUM, sum_meeting },
	{ "meeting changed", "Møde ændret: %s", "Meeting changed: %s",
	    MEETING_TITLE, NULL, "moeder", MEETING_SUM, sum_meeting },
	{ "meeting cancelled", "Møde aflyst: %s", "Meeting cancelled: %s",
	    MEETING_TITLE, NULL, "moeder", MEETING_SUM, sum_meeting },
};

static const char *
feed_tr(const struct feed *f, const char *da, const char *en)
{
	return strcmp(f->lang, "en") == 0 ? en : da;
}

/* Where a sentence ends in s at i: a stop, then a blank or the end. */
static int
sentence_end(const char *s, size_t i)
{
	return strchr(".!?", s[i]) != NULL && (s[i + 1] == ' ' ||
	    s[i + 1] == '\0');
}

/* The first sentences of text's first paragraph on one line, as many as
 * fit in FEED_SUMMARY characters; a longer first sentence is clipped. */
static void
feed_sentences(struct buf *b, const char *text)
{
	struct buf t;
	size_t i, chars = 0, cut = 0;
	char *c;

	buf_init(&t);
	for (const char *p = text ? text : ""; *p != '\0'; p++) {
		if (*p == '\n' && t.len > 0 && p[strspn(p + 1, " \t\r") + 1] ==
		    '\n')
			break;
		if (strchr(" \t\r\n", *p) == NULL)
			buf_addc(&t, *p);
		else if (t.len > 0 && t.s[t.len - 1] != ' ')
			buf_addc(&t, ' ');
	}
	while (t.len > 0 && t.s[t.len - 1] == ' ')
		t.s[--t.len] = '\0';
	for (i = 0; i < t.len && chars <= FEED_SUMMARY; i++) {
		if (((unsigned char)t.s[i] & 0xc0) != 0x80)
			chars++;
		if (chars <= FEED_SUMMARY && sentence_end(t.s, i))
			cut = i + 1;
	}
	if (t.len > 0 && chars <= FEED_SUMMARY)
		cut = t.len;
	if (cut > 0)
		buf_add(b, t.s, cut);
	else if (t.len > 0) {
		c = limit_clip(t.s, FEED_SUMMARY);
		buf_adds(b, c);
		free(c);
	}
	buf_free(&t);
}

/* Run sql with ref bound and hand its row to the caller, or NULL. */
static sqlite3_stmt *
feed_row(struct feed *f, const char *sql, const char *ref)
{
	sqlite3_stmt *st = store_prepare(f->store, sql);

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		return st;
	store_done(st);
	return NULL;
}

static const char *
feed_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* The motivation; a version since replaced says so instead, as the page
 * no longer shows its text. */
static void
sum_declaration(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	int last;

	if ((last = sqlite3_column_int(st, 2)) > sqlite3_column_int(st, 1))
		buf_addf(b, feed_tr(f, "Erstattet af version %d.",
		    "Replaced by version %d."), last);
	else
		feed_sentences(b, feed_col(st, 0));
}

static const char *feed_party(const struct config *, const char *);

/* What the page says of a member: its kind, CVR, who nominated it. */
static void
sum_member(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	char *clipped = limit_clip(feed_party(f->conf, feed_col(st, 2)),
	    LIMIT_NAME_CHARS);

	buf_addf(b, feed_tr(f, "%s, CVR %.20s, indstillet af %s.",
	    "%s, CVR %.20s, nominated by %s."), strcmp(feed_col(st, 0),
	    "company") == 0 ? feed_tr(f, "Virksomhed", "Company") :
	    feed_tr(f, "Forening", "Association"), feed_col(st, 1), clipped);
	if (strcmp(feed_col(st, 3), "active") != 0)
		buf_adds(b, feed_tr(f, " Ikke længere associeret medlem.",
		    " No longer an associate member."));
	free(clipped);
}

/* The first sentences of the row's text. */
static void
sum_text(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	feed_sentences(b, feed_col(st, 0));
}

/* A time column for people, in the feed's language. */
static const char *
feed_when(struct feed *f, sqlite3_stmt *st, int i, char *buf, size_t len)
{
	clock_format_local(f->lang, sqlite3_column_int64(st, i), buf, len);
	return buf;
}

/* The status text's first sentences, or where its comments stand. */
static void
sum_status(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	char when[64];

	if (*feed_col(st, 0) != '\0')
		feed_sentences(b, feed_col(st, 0));
	else
		buf_addf(b, feed_tr(f, "Årsstatus som PDF. Advisory boardet "
		    "kommenterer den til %s.", "The annual status as a PDF. "
		    "The advisory board comments on it until %s."),
		    feed_when(f, st, 1, when, sizeof when));
}

/* How many comments came, and the first one's opening. */
static void
sum_comments(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	int n;

	if ((n = sqlite3_column_int(st, 0)) == 0)
		buf_adds(b, feed_tr(f, "Der kom ingen kommentarer.",
		    "No comments came."));
	else {
		buf_addf(b, feed_tr(f, "%d kommentar%s. ", "%d comment%s. "), n,
		    n == 1 ? "" : feed_tr(f, "er", "s"));
		feed_sentences(b, feed_col(st, 1));
	}
}

static void
sum_meeting(struct feed *f, sqlite3_stmt *st, struct buf *b)
{
	char when[64];

	buf_addf(b, feed_tr(f, "Tid: %s. Sted: ", "Time: %s. Place: "),
	    feed_when(f, st, 0, when, sizeof when));
	feed_sentences(b, feed_col(st, 1));
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids index.html holds, sorted, so entries link only to those. */
static void
feed_ids(struct feed *f, const char *html)
{
	const char *p, *e;

	for (p = html; p != NULL && (p = strstr(p, " id=\"")) != NULL;
	    p = e) {
		p += 5;
		if ((e = strchr(p, '"')) == NULL)
			break;
		if (e > p && memchr(p, '&', e - p) == NULL)
			strv_addn(&f->ids, xstrndup(p, e - p));
	}
	if (f->ids.n > 0)
		qsort(f->ids.v, f->ids.n, sizeof *f->ids.v, id_cmp);
}

static int
feed_has_id(const struct feed *f, const char *id)
{
	return f->ids.n > 0 && bsearch(&id, f->ids.v, f->ids.n,
	    sizeof *f->ids.v, id_cmp) != NULL;
}

/* The fragment an entry links to: its own id on the page, else its
 * section's, else the main content's; "" when the page has none. */
static char *
feed_anchor(struct feed *f, const struct feed_event *ev, const char *ref)
{
	sqlite3_stmt *st;
	char *id = NULL;

	if (ev->anchor != NULL && (st = feed_row(f, ev->anchor, ref)) != NULL) {
		id = xstrdup(feed_col(st, 0));
		store_done(st);
	}
	if (id == NULL)
		id = xstrdup(ref);
	if (feed_has_id(f, id))
		return id;
	free(id);
	if (feed_has_id(f, ev->section))
		return xstrdup(ev->section);
	return xstrdup(feed_has_id(f, "indhold") ? "indhold" : "");
}

static void
xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' ||
			    *s == '\t')
				buf_addc(b, *s);
		}
	}
}

/* A party's name from its id, for declarations. */
static const char *
feed_party(const struct config *c, const char *id)
{
	for (size_t i = 0; i < c->roster.nparties; i++)
		if (strcmp(c->roster.parties[i].id, id) == 0)
			return c->roster.parties[i].name;
	return id;
}

/* The title of one event, or NULL when its subject is gone. A second
 * column, when there is one, follows the first. */
static char *
feed_title(const struct config *c, struct store *s, size_t e,
    const char *ref, const char *lang)
{
	sqlite3_stmt *st = store_prepare(s, feed_events[e].sql);
	char *title = NULL, *subject, *clipped;
	const char *first;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		first = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_count(st) > 1)
			subject = xasprintf("%s%s", feed_party(c, first),
			    (const char *)sqlite3_column_text(st, 1));
		else
			subject = xstrdup(first);
		/* A title and a name, each bounded; rows from before the
		 * limits are clipped (SPEC section 3). */
		clipped = limit_clip(subject, 2 * LIMIT_NAME_CHARS + 3);
		title = xasprintf(strcmp(lang, "en") == 0 ? feed_events[e].en :
		    feed_events[e].da, clipped);
		free(clipped);
		free(subject);
	}
	store_done(st);
	return title;
}

/* One entry: linked to its place on the page, summed up in a few
 * sentences of its own text (no summary rather than the title again). */
static void
feed_entry(struct buf *b, struct feed *f, const struct feed_event *ev,
    const char *title, const char *ref, long long id, time_t at)
{
	struct buf sum;
	sqlite3_stmt *st;
	char iso[32], *anchor = feed_anchor(f, ev, ref);

	clock_format_utc(at, iso, sizeof iso);
	buf_adds(b, "  <entry>\n    <title>");
	xml_escape(b, title);
	buf_adds(b, "</title>\n    <id>");
	xml_escape(b, f->conf->base_url);
	buf_addf(b, "/#%s-%lld</id>\n    <link href=\"", ref, id);
	xml_escape(b, f->conf->base_url);
	buf_adds(b, *anchor != '\0' ? "/#" : "/");
	xml_escape(b, anchor);
	buf_addf(b, "\"/>\n    <updated>%s</updated>\n", iso);
	buf_init(&sum);
	if ((st = feed_row(f, ev->sum_sql, ref)) != NULL) {
		ev->summary(f, st, &sum);
		store_done(st);
	}
	if (sum.len > 0) {
		buf_adds(b, "    <summary>");
		xml_escape(b, sum.s);
		buf_adds(b, "</summary>\n");
	}
	buf_adds(b, "  </entry>\n");
	buf_free(&sum);
	free(anchor);
}

static void
feed_head(struct buf *b, const struct config *c, const char *lang,
    time_t updated)
{
	char iso[32];

	clock_format_utc(updated, iso, sizeof iso);
	buf_addf(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"%s\">\n"
	    "  <title>", lang);
	xml_escape(b, c->name);
	buf_adds(b, "</title>\n  <id>");
	xml_escape(b, c->base_url);
	buf_adds(b, "/</id>\n  <link rel=\"alternate\" type=\"text/html\" "
	    "href=\"");
	xml_escape(b, c->base_url);
	buf_adds(b, "/\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" "
	    "href=\"");
	xml_escape(b, c->base_url);
	buf_addf(b, "/feed.atom\"/>\n  <updated>%s</updated>\n  <author><name>",
	    iso);
	xml_escape(b, c->name);
	buf_adds(b, "</name></author>\n");
}

int
feed_render(const struct config *c, struct store *s, const char *lang,
    const char *html, time_t now, char **out)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, at, event, ref FROM "
	    "log WHERE ref IS NOT NULL ORDER BY id DESC");
	struct feed f = { c, s, lang, { NULL, 0 } };
	struct buf b, entries;
	time_t updated = 0;
	int n = 0;

	feed_ids(&f, html);
	buf_init(&b);
	buf_init(&entries);
	while (n < FEED_ENTRIES && sqlite3_step(st) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(st, 2);
		const char *ref = (const char *)sqlite3_column_text(st, 3);

		for (size_t e = 0; e < nitems(feed_events); e++) {
			char *title;

			if (strcmp(ev, feed_events[e].event) != 0 ||
			    (title = feed_title(c, s, e, ref, lang)) == NULL)
				continue;
			if (updated == 0)
				updated = sqlite3_column_int64(st, 1);
			feed_entry(&entries, &f, &feed_events[e], title, ref,
			    sqlite3_column_int64(st, 0),
			    sqlite3_column_int64(st, 1));
			free(title);
			n++;
		}
	}
	store_done(st);
	strv_free(&f.ids);
	feed_head(&b, c, lang, updated ? updated : now);
	if (entries.s != NULL)
		buf_adds(&b, entries.s);
	buf_adds(&b, "</feed>\n");
	buf_free(&entries);
	*out = buf_steal(&b);
	return 0;
}
