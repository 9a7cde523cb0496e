/*
 * The public page. One read transaction gathers the pact's public state;
 * index.html comes from templates/page/LANG/index.html, pact.json and
 * feed.atom are written here. Only public data is read: no address
 * column is ever selected.
 */
#include <errno.h>
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
#include "page.h"
#include "template.h"
#include "util.h"

struct page {
	const struct config *conf;
	struct store *store;
	const char *lang;
	time_t now;
	struct tvars *v;	/* for index.html */
	struct json j;		/* pact.json */
};

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

static const char *
tr(const struct page *pg, const char *da, const char *en)
{
	return strcmp(pg->lang, "en") == 0 ? en : da;
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

/* Newline-separated text as a list in both outputs. */
static void
page_lines(struct page *pg, struct tvars *v, const char *key,
    const char *text, const char *sep)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL;

	json_arr_begin(&pg->j, key);
	for (char *l = strtok_r(copy, sep, &save); l; l = strtok_r(NULL, sep,
	    &save)) {
		json_str(&pg->j, NULL, l);
		if (v != NULL)
			tvars_add_string(v, key, l);
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
	if (sqlite3_step(st) != SQLITE_ROW) {
		json_null(&pg->j, "declaration");
		store_done(st);
		return;
	}
	page_times(pg, sqlite3_column_int64(st, 4), iso, local, sizeof iso);
	json_obj_begin(&pg->j, "declaration");
	json_str(&pg->j, "motivation", col(st, 0));
	page_lines(pg, item, "objectives", col(st, 1), "\n");
	json_str(&pg->j, "contribution", col(st, 2));
	json_int(&pg->j, "version", sqlite3_column_int(st, 3));
	json_str(&pg->j, "submitted", iso);
	json_obj_end(&pg->j);
	tvars_set(item, "declared", "yes");
	tvars_set(item, "motivation", col(st, 0));
	tvars_set(item, "contribution", col(st, 2));
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

static const char *
party_name(const struct config *c, const char *id)
{
	for (size_t i = 0; id != NULL && i < c->roster.nparties; i++)
		if (strcmp(c->roster.parties[i].id, id) == 0)
			return c->roster.parties[i].name;
	return id;
}

/* An associate's initiatives, by title. */
static void
page_member_initiatives(struct page *pg, struct tvars *item, const char *ref)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, title FROM "
	    "initiatives WHERE by_associate = ? ORDER BY submitted");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(&pg->j, "initiatives");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tvars *in = tvars_add_item(item, "initiatives");

		json_str(&pg->j, NULL, col(st, 0));
		tvars_set(in, "ref", col(st, 0));
		tvars_set(in, "title", col(st, 1));
	}
	json_arr_end(&pg->j);
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
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tvars *item = tvars_add_item(pg->v, "associates");

		n++;
		const char *type = col(st, 2);

		page_times(pg, sqlite3_column_int64(st, 5), iso, local,
		    sizeof iso);
		json_obj_begin(&pg->j, NULL);
		json_str(&pg->j, "ref", col(st, 0));
		json_str(&pg->j, "name", col(st, 1));
		json_str(&pg->j, "type", type);
		json_str(&pg->j, "cvr", col(st, 3));
		json_str(&pg->j, "nominated_by", party_name(pg->conf,
		    col(st, 4)));
		json_str(&pg->j, "approved", iso);
		tvars_set(item, "ref", col(st, 0));
		tvars_set(item, "name", col(st, 1));
		tvars_set(item, "type", strcmp(type, "company") == 0 ?
		    tr(pg, "virksomhed", "company") : tr(pg, "forening",
		    "association"));
		tvars_set(item, "cvr", col(st, 3));
		tvars_set(item, "nominated_by", party_name(pg->conf,
		    col(st, 4)));
		tvars_set(item, "approved", local);
		page_member_initiatives(pg, item, col(st, 0));
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

/* The initiatives of one purpose for the page; all of them for JSON. An
 * initiative under several purposes is anchored at its first. */
static void
page_purpose(struct page *pg, int purpose, int json)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT i.ref, i.title, "
	    "i.description, i.purposes, i.partners, i.link, i.by_name FROM "
	    "initiatives i LEFT JOIN associates a ON a.ref = i.by_associate "
	    "WHERE (i.by_associate IS NULL OR a.state = 'active') AND "
	    "(?1 = 0 OR instr(i.purposes, ?2)) ORDER BY i.submitted");
	struct tvars *group = NULL;
	char p[2] = { (char)('0' + purpose), '\0' };

	sqlite3_bind_int(st, 1, purpose);
	sqlite3_bind_text(st, 2, p, -1, SQLITE_STATIC);
	if (!json) {
		group = tvars_add_item(pg->v, "purposes");
		tvars_setf(group, "number", "%d", purpose);
		tvars_set(group, "title", tr(pg, purpose_da[purpose - 1],
		    purpose_en[purpose - 1]));
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (json) {
			json_obj_begin(&pg->j, NULL);
			json_str(&pg->j, "ref", col(st, 0));
			json_str(&pg->j, "title", col(st, 1));
			json_str(&pg->j, "description", col(st, 2));
			page_purpose_numbers(pg, col(st, 3));
			page_lines(pg, NULL, "partners", col(st, 4), "\n");
			json_str(&pg->j, "link", col(st, 5));
			json_str(&pg->j, "by", col(st, 6));
			json_obj_end(&pg->j);
			continue;
		}
		struct tvars *in = tvars_add_item(group, "initiatives");
		char *copy = xstrdup(col(st, 4) ? col(st, 4) : ""), *save;

		tvars_set(in, "ref", col(st, 0));
		if (first_purpose(col(st, 3)) == purpose)
			tvars_set(in, "anchor", "yes");
		tvars_set(in, "title", col(st, 1));
		tvars_set(in, "description", col(st, 2));
		tvars_set(in, "link", col(st, 5));
		tvars_set(in, "by", col(st, 6));
		for (char *l = strtok_r(copy, "\n", &save); l;
		    l = strtok_r(NULL, "\n", &save))
			tvars_add_string(in, "partners", l);
		free(copy);
	}
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

/* Comments, once the consultation closed. */
static void
page_comments(struct page *pg, struct tvars *item, const char *ref)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT by_name, text FROM "
	    "comments WHERE status_ref = ? ORDER BY submitted");
	const char *board = pg->conf->roster.advisory.name ?
	    pg->conf->roster.advisory.name : tr(pg, "Advisory board",
	    "Advisory board");

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	json_arr_begin(&pg->j, "comments");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tvars *c = tvars_add_item(item, "comments");
		const char *by = col(st, 0) ? col(st, 0) : board;

		json_obj_begin(&pg->j, NULL);
		json_str(&pg->j, "by", by);
		json_str(&pg->j, "text", col(st, 1));
		json_obj_end(&pg->j);
		tvars_set(c, "by", by);
		tvars_set(c, "text", col(st, 1));
	}
	json_arr_end(&pg->j);
	store_done(st);
}

static void
page_statuses(struct page *pg)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, year, text, "
	    "pdf, published, deadline FROM statuses ORDER BY year DESC");
	char iso[64], local[64];

	json_arr_begin(&pg->j, "statuses");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tvars *item = tvars_add_item(pg->v, "statuses");
		int published = sqlite3_column_type(st, 4) != SQLITE_NULL;

		json_obj_begin(&pg->j, NULL);
		json_int(&pg->j, "year", sqlite3_column_int(st, 1));
		json_str(&pg->j, "ref", col(st, 0));
		tvars_set(item, "ref", col(st, 0));
		tvars_setf(item, "year", "%d", sqlite3_column_int(st, 1));
		tvars_set(item, "text", col(st, 2));
		json_str(&pg->j, "text", col(st, 2));
		if (col(st, 3) != NULL) {
			char *pdf = xasprintf("status-%s.pdf", col(st, 0));

			page_copy_pdf(pg, col(st, 0), col(st, 3));
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
			page_comments(pg, item, col(st, 0));
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

static void
page_meetings(struct page *pg)
{
	sqlite3_stmt *st = store_prepare(pg->store, "SELECT ref, title, start, "
	    "end, location, state FROM meetings WHERE end >= ? ORDER BY start");
	char iso[64], local[64];

	sqlite3_bind_int64(st, 1, pg->now);
	json_arr_begin(&pg->j, "meetings");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tvars *item = tvars_add_item(pg->v, "meetings");
		char when[64];

		json_obj_begin(&pg->j, NULL);
		json_str(&pg->j, "ref", col(st, 0));
		json_str(&pg->j, "title", col(st, 1));
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
		json_str(&pg->j, "location", col(st, 4));
		json_str(&pg->j, "state", col(st, 5));
		json_obj_end(&pg->j);
		tvars_set(item, "ref", col(st, 0));
		tvars_set(item, "title", col(st, 1) && *col(st, 1) ? col(st, 1) :
		    tr(pg, "Pagtens møde", "The pact's meeting"));
		tvars_set(item, "location", col(st, 4));
		if (strcmp(col(st, 5), "cancelled") == 0)
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

/* Write one output file into output_dir. */
static int
page_put(const struct config *c, const char *name, const char *data,
    char **cause)
{
	char *path = xasprintf("%s/%s", c->output_dir, name);
	int rc = file_write_atomic(path, data, strlen(data), 0644, cause);

	free(path);
	return rc;
}

int
page_render(const struct config *c, struct store *s, time_t now,
    char **cause)
{
	struct page pg;
	char *dir = xasprintf("%s/page", c->templates), *html = NULL;
	char *json, *feed = NULL;
	int rc = -1;

	memset(&pg, 0, sizeof pg);
	pg.conf = c;
	pg.store = s;
	pg.lang = c->default_language;
	pg.now = now;
	pg.v = tvars_new();
	json_init(&pg.j, 1);
	/* The page is public: its folder and files are readable by all. */
	if (file_mkdir(c->output_dir, 0755, cause) != 0)
		goto out;
	if (store_exec(s, "BEGIN", cause) != 0)
		goto out;
	page_gather(&pg);
	feed_render(c, s, pg.lang, now, &feed);
	store_exec(s, "COMMIT", cause);
	json = json_finish(&pg.j);
	if (template_render(dir, pg.lang, "index.html", pg.v, TEMPLATE_HTML,
	    &html, cause) == 0 && page_put(c, "pact.json", json, cause) == 0 &&
	    page_put(c, "feed.atom", feed, cause) == 0 &&
	    page_put(c, "index.html", html, cause) == 0)
		rc = 0;
	free(json);
out:
	free(html);
	free(feed);
	free(dir);
	tvars_free(pg.v);
	return rc;
}
