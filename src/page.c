/*
 * The public page. One read transaction gathers the pact's public state;
 * index.html comes from templates/page/LANG/index.html, pact.json and
 * feed.atom are written here. Only public data is read: no address
 * column is ever selected. Each file is written on its own, and every
 * stored value is bounded as it is shown (SPEC sections 3 and 10), so no
 * row, however large or however many, can keep a file from being written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "consult.h"
#include "feed.h"
#include "fileio.h"
#include "json.h"
#include "limit.h"
#include "page.h"
#include "results.h"
#include "roster.h"
#include "template.h"
#include "util.h"

/* What index.html may hold of stored values, escaped: with the markup of
 * at most PAGE_ROWS_MAX rows a list it stays well below TEMPLATE_MAXOUT. */
#define PAGE_VALUES_MAX	(TEMPLATE_MAXOUT / 4)
#define PAGE_ROWS_MAX	1000	/* initiatives a purpose, comments a status */

struct page {
	const struct config *conf;
	struct store *store;
	const char *lang;
	time_t now;
	struct tvars *v;	/* for index.html */
	struct json j;		/* pact.json */
	struct strv clipped;	/* values clipped for this render */
	size_t budget;		/* bytes of values index.html may still take */
	int unread;		/* a read failed: write nothing this time */
};

/* The next row of a statement; a failed read ends it and is noted, so
 * that a page with rows missing is never written. */
static int
page_row(struct page *pg, sqlite3_stmt *st)
{
	int r = store_row(st, NULL);

	if (r < 0)
		pg->unread = 1;
	return r > 0;
}

static const char *
tr(const struct page *pg, const char *da, const char *en)
{
	return strcmp(pg->lang, "en") == 0 ? en : da;
}

/* A stored value within its kind's limit (section 3): rows from before
 * the limits are clipped with an ellipsis. */
static const char *
page_clip(struct page *pg, const char *s, size_t max)
{
	char *c;

	if (s == NULL || limit_chars(s) <= max)
		return s;
	c = limit_clip(s, max);
	strv_addn(&pg->clipped, c);
	return c;
}

/* What a value takes in index.html once escaped. */
static size_t
html_cost(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		n += strchr("&<>\"'", *s) != NULL ? 6 : 1;
	return n;
}

/* A value for index.html: clipped, and an ellipsis alone once the page's
 * budget for values is spent, so that many rows cannot overflow it. */
static const char *
page_budget(struct page *pg, const char *s, size_t max)
{
	size_t cost;

	s = page_clip(pg, s, max);
	if ((cost = html_cost(s)) > pg->budget)
		return s == NULL || *s == '\0' ? s : "\xe2\x80\xa6";
	pg->budget -= cost;
	return s;
}

static void
page_show(struct page *pg, struct tvars *v, const char *key, const char *s,
    size_t max)
{
	tvars_set(v, key, page_budget(pg, s, max));
}

static void
page_show_item(struct page *pg, struct tvars *v, const char *key,
    const char *s, size_t max)
{
	tvars_add_string(v, key, page_budget(pg, s, max));
}

/* A value for pact.json, clipped as on the page. */
static void
page_json(struct page *pg, const char *key, const char *s, size_t max)
{
	json_str(&pg->j, key, page_clip(pg, s, max));
}

/* A UTC time for JSON and Atom, a local date for people. */
static void
page_times(struct page *pg, time_t t, char *iso, char *local, size_t len)
{
	struct tm tm;

	clock_format_utc(t, iso, len);
	localtime_r(&t, &tm);
	strftime(local, len, strcmp(pg->lang, "en") == 0 ? "%-d %B %Y" :
	    "%-d.%-m.%Y", &tm);
}

/* Newline-separated text as a list in both outputs, at most a list's
 * items of at most a list item's length. */
static void
page_lines(struct page *pg, struct tvars *v, const char *key,
    const char *text)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL;
	size_t n = 0;

	json_arr_begin(&pg->j, key);
	for (char *l = strtok_r(copy, "\n", &save); l != NULL &&
	    n++ < LIMIT_LIST_ITEMS; l = strtok_r(NULL, "\n", &save)) {
		page_json(pg, NULL, l, LIMIT_ITEM_CHARS);
		if (v != NULL)
			page_show_item(pg, v, key, l, LIMIT_ITEM_CHARS);
	}
	json_arr_end(&pg->j);
	free(copy);
}

/* A party's current declaration, or null. */
static void
page_declaration(struct page *pg, struct tvars *item, const char *party)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT motivation, "
	    "objectives, contribution, version, submitted FROM declarations "
	    "WHERE party = ? ORDER BY version DESC LIMIT 1");
	char iso[64], local[64];

	sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
	if (!page_row(pg, st)) {
		json_null(&pg->j, "declaration");
		store_done(st);
		return;
	}
	page_times(pg, sqlite3_column_int64(st, 4), iso, local, sizeof iso);
	json_obj_begin(&pg->j, "declaration");
	page_json(pg, "motivation", store_text(st, 0), LIMIT_TEXT_CHARS);
	page_lines(pg, item, "objectives", store_text(st, 1));
	page_json(pg, "contribution", store_text(st, 2), LIMIT_TEXT_CHARS);
	json_int(&pg->j, "version", sqlite3_column_int(st, 3));
	json_str(&pg->j, "submitted", iso);
	json_obj_end(&pg->j);
	tvars_set(item, "declared", "yes");
	page_show(pg, item, "motivation", store_text(st, 0), LIMIT_TEXT_CHARS);
	page_show(pg, item, "contribution", store_text(st, 2),
	    LIMIT_TEXT_CHARS);
	tvars_setf(item, "version", "%d", sqlite3_column_int(st, 3));
	tvars_set(item, "submitted", local);
	store_done(st);
}

static void
page_parties(struct page *pg)
{
	const struct roster *r = &pg->conf->roster;

	json_arr_begin(&pg->j, "parties");
	for (size_t i = 0; i < r->nparties; i++) {
		struct tvars *item = tvars_add_item(pg->v, "parties");

		json_obj_begin(&pg->j, NULL);
		json_str(&pg->j, "id", r->parties[i].id);
		json_str(&pg->j, "name", r->parties[i].name);
		tvars_set(item, "id", r->parties[i].id);
		tvars_set(item, "name", r->parties[i].name);
		page_declaration(pg, item, r->parties[i].id);
		json_obj_end(&pg->j);
	}
	json_arr_end(&pg->j);
}

/* An associate's initiatives: the items its nomination listed, in order
 * (SPEC section 10); with links to those it announced later, which stand
 * among all initiatives with "by" naming it. */
static void
page_member_initiatives(struct page *pg, struct tvars *item, const char *ref)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT initiatives FROM "
	    "nominations WHERE ref = ?");
	const char *items;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	items = page_row(pg, st) ? store_text(st, 0) : NULL;
	page_lines(pg, item, "initiatives", items);
	if (items != NULL && *items != '\0')
		tvars_set(item, "committed", "yes");
	store_done(st);
	st = store_prepare(pg->store, "SELECT ref, title FROM initiatives "
	    "WHERE by_associate = ? ORDER BY submitted");
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while (page_row(pg, st)) {
		struct tvars *in = tvars_add_item(item, "announced");

		page_show(pg, in, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_show(pg, in, "title", store_text(st, 1), LIMIT_NAME_CHARS);
	}
	store_done(st);
}

static void
page_associates(struct page *pg)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, organisation, "
	    "type, cvr, nominated_by, approved FROM associates WHERE state = "
	    "'active' ORDER BY organisation COLLATE NOCASE");
	char iso[64], local[64];
	int n = 0;

	json_arr_begin(&pg->j, "associates");
	while (page_row(pg, st)) {
		struct tvars *item = tvars_add_item(pg->v, "associates");

		n++;
		const char *type = store_text(st, 2);

		page_times(pg, sqlite3_column_int64(st, 5), iso, local,
		    sizeof iso);
		json_obj_begin(&pg->j, NULL);
		page_json(pg, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_json(pg, "name", store_text(st, 1), LIMIT_NAME_CHARS);
		page_json(pg, "type", type, LIMIT_NAME_CHARS);
		page_json(pg, "cvr", store_text(st, 3), LIMIT_NAME_CHARS);
		page_json(pg, "nominated_by", roster_party_name(pg->conf,
		    store_text(st, 4)), LIMIT_NAME_CHARS);
		json_str(&pg->j, "approved", iso);
		page_show(pg, item, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_show(pg, item, "name", store_text(st, 1),
		    LIMIT_NAME_CHARS);
		tvars_set(item, "type", strcmp(type, "company") == 0 ?
		    tr(pg, "virksomhed", "company") : tr(pg, "forening",
		    "association"));
		page_show(pg, item, "cvr", store_text(st, 3), LIMIT_NAME_CHARS);
		page_show(pg, item, "nominated_by", roster_party_name(pg->conf,
		    store_text(st, 4)), LIMIT_NAME_CHARS);
		tvars_set(item, "approved", local);
		page_member_initiatives(pg, item, store_text(st, 0));
		json_obj_end(&pg->j);
	}
	json_arr_end(&pg->j);
	store_done(st);
	if (n > 0)
		tvars_set(pg->v, "has_associates", "yes");
}

static const char *const purpose_da[] = {
	"Sammenhæng og synergi mellem eksisterende og nye SMV-rettede indsatser",
	"Udveksling af data, viden og erfaringer til et nationalt billede af "
	    "SMV'ernes sikkerhed",
	"Nye samarbejder på tværs af den offentlige og private sektor",
};
static const char *const purpose_en[] = {
	"Coherence and synergy between existing and new SME-directed efforts",
	"Exchange of data, knowledge and experience for a national picture of "
	    "SMEs' security",
	"New collaborations across the public and private sector",
};

/* The purposes "1,3" as JSON numbers. */
static void
page_purpose_numbers(struct page *pg, const char *text)
{
	json_arr_begin(&pg->j, "purposes");
	for (const char *p = text ? text : ""; *p != '\0'; p++)
		if (*p >= '1' && *p <= '3')
			json_int(&pg->j, NULL, *p - '0');
	json_arr_end(&pg->j);
}

/* The first purpose an initiative names ("1,3": 1), where its anchor is. */
static int
first_purpose(const char *text)
{
	for (const char *p = text ? text : ""; *p != '\0'; p++)
		if (*p >= '1' && *p <= '3')
			return *p - '0';
	return 0;
}

/* One initiative in pact.json. */
static void
page_initiative_json(struct page *pg, sqlite3_stmt *st)
{
	json_obj_begin(&pg->j, NULL);
	page_json(pg, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
	page_json(pg, "title", store_text(st, 1), LIMIT_NAME_CHARS);
	page_json(pg, "description", store_text(st, 2), LIMIT_TEXT_CHARS);
	page_purpose_numbers(pg, store_text(st, 3));
	page_lines(pg, NULL, "partners", store_text(st, 4));
	page_json(pg, "link", store_text(st, 5), LIMIT_TEXT_CHARS);
	page_json(pg, "by", store_text(st, 6), LIMIT_NAME_CHARS);
	json_int(&pg->j, "sparring", sqlite3_column_int(st, 7));
	json_obj_end(&pg->j);
}

/* How many answers the advisory board gave on an initiative: the count,
 * never the text (SPEC section 11). */
static void
page_sparring_html(struct tvars *in, int n)
{
	if (n <= 0)
		return;
	tvars_setf(in, "sparring", "%d", n);
	if (n != 1)
		tvars_set(in, "sparring_plural", "yes");
}

/* One initiative under a purpose in index.html. */
static void
page_initiative_html(struct page *pg, struct tvars *group, int purpose,
    sqlite3_stmt *st)
{
	struct tvars *in = tvars_add_item(group, "initiatives");
	char *copy = xstrdup(store_text(st, 4) ? store_text(st, 4) : ""), *save;
	size_t n = 0;

	page_show(pg, in, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
	if (first_purpose(store_text(st, 3)) == purpose)
		tvars_set(in, "anchor", "yes");
	page_show(pg, in, "title", store_text(st, 1), LIMIT_NAME_CHARS);
	page_show(pg, in, "description", store_text(st, 2), LIMIT_TEXT_CHARS);
	page_show(pg, in, "link", store_text(st, 5), LIMIT_TEXT_CHARS);
	page_show(pg, in, "by", store_text(st, 6), LIMIT_NAME_CHARS);
	for (char *l = strtok_r(copy, "\n", &save); l != NULL &&
	    n++ < LIMIT_LIST_ITEMS; l = strtok_r(NULL, "\n", &save))
		page_show_item(pg, in, "partners", l, LIMIT_ITEM_CHARS);
	free(copy);
	page_sparring_html(in, sqlite3_column_int(st, 7));
}

/* The initiatives of one purpose for the page, at most PAGE_ROWS_MAX and
 * a count of the rest; all of them for JSON. An initiative under several
 * purposes is anchored at its first. */
static void
page_purpose(struct page *pg, int purpose, int json)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT i.ref, i.title, "
	    "i.description, i.purposes, i.partners, i.link, i.by_name, "
	    "(SELECT count(*) FROM sparring s WHERE s.initiative = i.ref) FROM "
	    "initiatives i LEFT JOIN associates a ON a.ref = i.by_associate "
	    "WHERE (i.by_associate IS NULL OR a.state = 'active') AND "
	    "(?1 = 0 OR instr(i.purposes, ?2)) ORDER BY i.submitted");
	struct tvars *group = NULL;
	char p[2] = { (char)('0' + purpose), '\0' };
	size_t n = 0;

	sqlite3_bind_int(st, 1, purpose);
	sqlite3_bind_text(st, 2, p, -1, SQLITE_STATIC);
	if (!json) {
		group = tvars_add_item(pg->v, "purposes");
		tvars_setf(group, "number", "%d", purpose);
		tvars_set(group, "title", tr(pg, purpose_da[purpose - 1],
		    purpose_en[purpose - 1]));
	}
	while (page_row(pg, st)) {
		if (json)
			page_initiative_json(pg, st);
		else if (n++ < PAGE_ROWS_MAX)
			page_initiative_html(pg, group, purpose, st);
	}
	if (n > PAGE_ROWS_MAX)
		tvars_setf(group, "more", "%zu", n - PAGE_ROWS_MAX);
	store_done(st);
}

static void
page_initiatives(struct page *pg)
{
	json_arr_begin(&pg->j, "initiatives");
	page_purpose(pg, 0, 1);
	json_arr_end(&pg->j);
	for (int i = 1; i <= 3; i++)
		page_purpose(pg, i, 0);
}

/* Copy a status PDF into the output folder for its link. */
static void
page_copy_pdf(struct page *pg, const char *ref, const char *src)
{
	char *dst = xasprintf("%s/status-%s.pdf", pg->conf->output_dir, ref);
	char *data = NULL, *cause = NULL;
	struct stat sb;
	FILE *fp;

	if (stat(dst, &sb) == 0 || (fp = fopen(src, "rb")) == NULL) {
		free(dst);
		return;
	}
	if (fstat(fileno(fp), &sb) == 0 && sb.st_size < 256 * 1024 * 1024) {
		data = xmalloc(sb.st_size + 1);
		if (fread(data, 1, sb.st_size, fp) == (size_t)sb.st_size &&
		    file_write_atomic(dst, data, sb.st_size, 0644, &cause) != 0)
			free(cause);
	}
	fclose(fp);
	free(data);
	free(dst);
}

/* Comments, once the consultation closed; index.html shows at most
 * PAGE_ROWS_MAX and a count of the rest. */
static void
page_comments(struct page *pg, struct tvars *item, const char *ref)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT by_name, text FROM "
	    "comments WHERE status_ref = ? ORDER BY submitted");
	const char *board = pg->conf->roster.advisory.name ?
	    pg->conf->roster.advisory.name : tr(pg, "Advisory board",
	    "Advisory board");
	size_t n = 0;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(&pg->j, "comments");
	while (page_row(pg, st)) {
		const char *by = store_text(st, 0) ? store_text(st, 0) : board;
		struct tvars *c;

		json_obj_begin(&pg->j, NULL);
		page_json(pg, "by", by, LIMIT_NAME_CHARS);
		page_json(pg, "text", store_text(st, 1), LIMIT_TEXT_CHARS);
		json_obj_end(&pg->j);
		if (n++ >= PAGE_ROWS_MAX)
			continue;
		c = tvars_add_item(item, "comments");
		page_show(pg, c, "by", by, LIMIT_NAME_CHARS);
		page_show(pg, c, "text", store_text(st, 1), LIMIT_TEXT_CHARS);
	}
	json_arr_end(&pg->j);
	if (n > PAGE_ROWS_MAX)
		tvars_setf(item, "more_comments", "%zu", n - PAGE_ROWS_MAX);
	store_done(st);
}

static void
page_statuses(struct page *pg)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, year, text, "
	    "pdf, published, deadline FROM statuses ORDER BY year DESC");
	char iso[64], local[64];

	json_arr_begin(&pg->j, "statuses");
	while (page_row(pg, st)) {
		struct tvars *item = tvars_add_item(pg->v, "statuses");
		int published = sqlite3_column_type(st, 4) != SQLITE_NULL;

		json_obj_begin(&pg->j, NULL);
		json_int(&pg->j, "year", sqlite3_column_int(st, 1));
		page_json(pg, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_show(pg, item, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		tvars_setf(item, "year", "%d", sqlite3_column_int(st, 1));
		page_show(pg, item, "text", store_text(st, 2),
		    LIMIT_TEXT_CHARS);
		page_json(pg, "text", store_text(st, 2), LIMIT_TEXT_CHARS);
		if (store_text(st, 3) != NULL) {
			char *pdf = xasprintf("status-%s.pdf",
			    store_text(st, 0));

			page_copy_pdf(pg, store_text(st, 0), store_text(st, 3));
			tvars_set(item, "pdf", pdf);
			json_str(&pg->j, "pdf", pdf);
			free(pdf);
		}
		page_times(pg, sqlite3_column_int64(st, 5), iso, local,
		    sizeof iso);
		tvars_set(item, "deadline", local);
		if (published) {
			page_times(pg, sqlite3_column_int64(st, 4), iso, local,
			    sizeof iso);
			json_str(&pg->j, "published", iso);
			tvars_set(item, "published", local);
			page_comments(pg, item, store_text(st, 0));
		} else {
			json_null(&pg->j, "published");
			json_arr_begin(&pg->j, "comments");
			json_arr_end(&pg->j);
		}
		json_obj_end(&pg->j);
	}
	json_arr_end(&pg->j);
	store_done(st);
}

/* One kind of results in both outputs: JSON objects with ref and the
 * kind's own name for its name, list items for index.html. */
static void
page_result_list(struct page *pg, struct tvars *item, const char *key,
    const char *namekey, const struct result_list *l)
{
	/* Prefixed, so that an empty list cannot fall back to the page's own
	 * "associates" or "initiatives". */
	char *tkey = xasprintf("results_%s", key);

	json_arr_begin(&pg->j, key);
	for (size_t i = 0; i < l->n; i++) {
		const struct result *r = &l->v[i];
		struct tvars *it = tvars_add_item(item, tkey);

		json_obj_begin(&pg->j, NULL);
		page_json(pg, "ref", r->ref, LIMIT_NAME_CHARS);
		if (strcmp(namekey, "year") == 0)	/* a number, as in "statuses" */
			json_int(&pg->j, namekey, strtoll(r->name, NULL, 10));
		else
			page_json(pg, namekey, r->name, LIMIT_NAME_CHARS);
		if (strcmp(key, "initiatives") == 0)
			page_json(pg, "by", r->by, LIMIT_NAME_CHARS);
		if (strcmp(key, "declarations") == 0)
			json_str(&pg->j, "change", r->version > 1 ? "changed" :
			    "new");
		json_obj_end(&pg->j);
		page_show(pg, it, "ref", r->ref, LIMIT_NAME_CHARS);
		page_show(pg, it, "name", r->name, LIMIT_NAME_CHARS);
		page_show(pg, it, "by", r->by, LIMIT_NAME_CHARS);
		if (r->version > 1)
			tvars_set(it, "changed", "yes");
	}
	json_arr_end(&pg->j);
	free(tkey);
}

/* What the pact created since the previous meeting (SPEC section 11),
 * as the invitations list it; a cancelled meeting has none. */
static void
page_meeting_results(struct page *pg, struct tvars *item, const char *ref,
    time_t start)
{
	struct results r;
	char iso[64], local[64];
	size_t more;

	results_gather(pg->store, pg->conf, ref, start, pg->now, &r);
	if (r.unread)
		pg->unread = 1;
	json_obj_begin(&pg->j, "results");
	if (r.previous != NULL) {
		page_times(pg, r.since, iso, local, sizeof iso);
		json_str(&pg->j, "previous", r.previous);
		json_str(&pg->j, "since", iso);
		tvars_set(item, "results_previous", r.previous);
		tvars_set(item, "results_since", local);
	} else {
		json_null(&pg->j, "previous");
		json_null(&pg->j, "since");
	}
	page_result_list(pg, item, "associates", "name", &r.associates);
	page_result_list(pg, item, "initiatives", "title", &r.initiatives);
	page_result_list(pg, item, "declarations", "party", &r.declarations);
	page_result_list(pg, item, "statuses", "year", &r.statuses);
	more = r.associates.more + r.initiatives.more +
	    r.declarations.more + r.statuses.more;
	json_int(&pg->j, "more", (long long)more);
	json_obj_end(&pg->j);
	tvars_set(item, results_count(&r) > 0 ? "has_results" : "no_results",
	    "yes");
	if (more > 0)
		tvars_setf(item, "results_more", "%zu", more);
	results_free(&r);
}

static void
page_meetings(struct page *pg)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, title, start, "
	    "end, location, state FROM meetings WHERE end >= ? ORDER BY start");
	char iso[64], local[64];

	sqlite3_bind_int64(st, 1, pg->now);
	json_arr_begin(&pg->j, "meetings");
	while (page_row(pg, st)) {
		struct tvars *item = tvars_add_item(pg->v, "meetings");
		char when[64];

		json_obj_begin(&pg->j, NULL);
		page_json(pg, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_json(pg, "title", store_text(st, 1), LIMIT_NAME_CHARS);
		page_times(pg, sqlite3_column_int64(st, 2), iso, local,
		    sizeof iso);
		json_str(&pg->j, "start", iso);
		clock_format_local(pg->lang, sqlite3_column_int64(st, 2), when,
		    sizeof when);
		tvars_set(item, "start", when);
		tvars_set(item, "start_iso", iso);
		page_times(pg, sqlite3_column_int64(st, 3), iso, local,
		    sizeof iso);
		json_str(&pg->j, "end", iso);
		page_json(pg, "location", store_text(st, 4), LIMIT_TEXT_CHARS);
		page_json(pg, "state", store_text(st, 5), LIMIT_NAME_CHARS);
		if (strcmp(store_text(st, 5), "cancelled") == 0)
			json_null(&pg->j, "results");
		else
			page_meeting_results(pg, item, store_text(st, 0),
			    sqlite3_column_int64(st, 2));
		json_obj_end(&pg->j);
		page_show(pg, item, "ref", store_text(st, 0), LIMIT_NAME_CHARS);
		page_show(pg, item, "title", store_text(st, 1) &&
		    *store_text(st, 1) ? store_text(st, 1) : tr(pg,
		    "Pagtens møde", "The pact's meeting"), LIMIT_NAME_CHARS);
		page_show(pg, item, "location", store_text(st, 4),
		    LIMIT_TEXT_CHARS);
		if (strcmp(store_text(st, 5), "cancelled") == 0)
			tvars_set(item, "cancelled", "yes");
		tvars_set(pg->v, "has_meetings", "yes");
	}
	json_arr_end(&pg->j);
	store_done(st);
}

/* Gather everything once, for the page and pact.json. */
static void
page_gather(struct page *pg)
{
	char iso[64], local[64];

	page_times(pg, pg->now, iso, local, sizeof iso);
	tvars_set(pg->v, "name", pg->conf->name);
	tvars_set(pg->v, "lang", pg->lang);
	tvars_set(pg->v, "generated", local);
	tvars_set(pg->v, "generated_iso", iso);
	tvars_set(pg->v, "base_url", pg->conf->base_url);
	json_obj_begin(&pg->j, NULL);
	json_str(&pg->j, "name", pg->conf->name);
	json_str(&pg->j, "generated", iso);
	page_parties(pg);
	page_associates(pg);
	page_initiatives(pg);
	page_statuses(pg);
	page_meetings(pg);
	json_obj_end(&pg->j);
}

/* Write one output file into output_dir; a failure is noted with the
 * file's name and does not stop the others. */
static void
page_put(const struct config *c, const char *name, const char *data,
    char *cause, struct strv *failed)
{
	char *path;

	if (data == NULL) {
		strv_addn(failed, xasprintf("%s: %s", name, cause));
		free(cause);
		return;
	}
	path = xasprintf("%s/%s", c->output_dir, name);
	if (file_write_atomic(path, data, strlen(data), 0644, &cause) != 0) {
		strv_addn(failed, xasprintf("%s: %s", name, cause));
		free(cause);
	}
	free(path);
}

/* Read the pact's public state in one transaction, for all three files;
 * index.html comes first, so that the feed links only to its ids. */
static int
page_read(struct page *pg, const char *dir, char **html, char **why,
    char **feed, char **cause)
{
	if (store_exec(pg->store, "BEGIN", cause) != 0)
		return -1;
	page_gather(pg);
	template_render(dir, pg->lang, "index.html", pg->v, TEMPLATE_HTML, html,
	    why);
	if (feed_render(pg->conf, pg->store, pg->lang, *html, pg->now,
	    feed) != 0)
		pg->unread = 1;
	if (pg->unread) {
		*cause = xasprintf("%s: a read failed; the page is written "
		    "at the next pass", pg->store->path);
		store_rollback(pg->store);
	} else if (store_exec(pg->store, "COMMIT", cause) != 0)
		store_rollback(pg->store);
	else
		return 0;
	free(*feed);
	*feed = NULL;
	return -1;
}

int
page_render(const struct config *c, struct store *s, time_t now,
    struct strv *failed)
{
	struct page pg;
	char *dir = xasprintf("%s/page", c->templates), *html = NULL;
	char *json, *feed = NULL, *cause = NULL, *why = NULL;
	size_t before = failed->n;

	memset(&pg, 0, sizeof pg);
	pg.conf = c;
	pg.store = s;
	pg.lang = c->default_language;
	pg.now = now;
	pg.v = tvars_new();
	pg.budget = PAGE_VALUES_MAX;
	json_init(&pg.j, 1);
	/* The page is public: its folder is readable by all. Should this
	 * fail, each file's own failure says why. */
	if (file_mkdir(c->output_dir, 0755, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (page_read(&pg, dir, &html, &why, &feed, &cause) != 0) {
		strv_addn(failed, xasprintf("database: %s", cause));
		free(cause);
		free(why);
		json = json_finish(&pg.j);
		goto out;
	}
	json = json_finish(&pg.j);
	page_put(c, "pact.json", json, NULL, failed);
	page_put(c, "feed.atom", feed, NULL, failed);
	page_put(c, "index.html", html, why, failed);
out:
	free(json);
	free(html);
	free(feed);
	free(dir);
	strv_free(&pg.clipped);
	tvars_free(pg.v);
	return (int)(failed->n - before);
}
