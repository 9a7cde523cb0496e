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

/* The public events, with Danish and English titles (%s: the subject). */
static const struct {
	const char *event;
	const char *da;
	const char *en;
	const char *sql;	/* the subject of the title, by ref */
} feed_events[] = {
	{ "declaration", "Erklæring fra %s", "Declaration of %s",
	    "SELECT party, ' (version ' || version || ')' FROM declarations "
	    "WHERE ref = ?" },
	{ "member admitted", "Nyt associeret medlem: %s", "New associate "
	    "member: %s", "SELECT organisation FROM associates WHERE ref = ?" },
	{ "member withdrawn", "%s har forladt pagten", "%s has left the pact",
	    "SELECT organisation FROM associates WHERE ref = ?" },
	{ "initiative", "Initiativ: %s", "Initiative: %s",
	    "SELECT title || ' (' || by_name || ')' FROM initiatives WHERE "
	    "ref = ?" },
	{ "annual status", "Årsstatus %s", "Annual status %s",
	    "SELECT year FROM statuses WHERE ref = ?" },
	{ "comments published", "Advisory boardets kommentarer til årsstatus "
	    "%s", "The advisory board's comments on the annual status %s",
	    "SELECT year FROM statuses WHERE ref = ?" },
	{ "meeting scheduled", "Møde: %s", "Meeting: %s",
	    "SELECT coalesce(nullif(title, ''), ref) FROM meetings WHERE ref = ?" },
	{ "meeting changed", "Møde ændret: %s", "Meeting changed: %s",
	    "SELECT coalesce(nullif(title, ''), ref) FROM meetings WHERE ref = ?" },
	{ "meeting cancelled", "Møde aflyst: %s", "Meeting cancelled: %s",
	    "SELECT coalesce(nullif(title, ''), ref) FROM meetings WHERE ref = ?" },
};

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

static void
feed_entry(struct buf *b, const struct config *c, const char *title,
    const char *ref, long long id, time_t at)
{
	char iso[32];

	clock_format_utc(at, iso, sizeof iso);
	buf_adds(b, "  <entry>\n    <title>");
	xml_escape(b, title);
	buf_adds(b, "</title>\n    <id>");
	xml_escape(b, c->base_url);
	buf_addf(b, "/#%s-%lld</id>\n    <link href=\"", ref, id);
	xml_escape(b, c->base_url);
	buf_addf(b, "/#%s\"/>\n    <updated>%s</updated>\n    <summary>", ref,
	    iso);
	xml_escape(b, title);
	buf_adds(b, "</summary>\n  </entry>\n");
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
    time_t now, char **out)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, at, event, ref FROM "
	    "log WHERE ref IS NOT NULL ORDER BY id DESC");
	struct buf b, entries;
	time_t updated = 0;
	int n = 0;

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
			feed_entry(&entries, c, title, ref,
			    sqlite3_column_int64(st, 0),
			    sqlite3_column_int64(st, 1));
			free(title);
			n++;
		}
	}
	store_done(st);
	feed_head(&b, c, lang, updated ? updated : now);
	if (entries.s != NULL)
		buf_adds(&b, entries.s);
	buf_adds(&b, "</feed>\n");
	buf_free(&entries);
	*out = buf_steal(&b);
	return 0;
}
