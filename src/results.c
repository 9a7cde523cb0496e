/* Results since the last meeting: read from the record, shown in the
 * invitations and on the page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "roster.h"
#include "util.h"

/* Associates admitted in the window and still members: one who left is
 * no longer among the pact's results, as the page no longer shows it. */
#define SQL_ASSOCIATES	"SELECT ref, organisation, NULL, 0 FROM associates " \
	"WHERE state = 'active' AND approved BETWEEN ?1 AND ?2 " \
	"ORDER BY approved, ref"

/* Initiatives, but not those of an associate that has left (as the page). */
#define SQL_INITIATIVES	"SELECT i.ref, i.title, i.by_name, 0 FROM " \
	"initiatives i LEFT JOIN associates a ON a.ref = i.by_associate " \
	"WHERE (i.by_associate IS NULL OR a.state = 'active') AND " \
	"i.submitted BETWEEN ?1 AND ?2 ORDER BY i.submitted, i.ref"

/* A party's declaration once, at its last version in the window; new
 * when the first version falls in it. */
#define SQL_DECLARATIONS "SELECT d.ref, d.party, NULL, CASE WHEN w.first " \
	"= 1 THEN 1 ELSE d.version END FROM (SELECT party, max(version) AS " \
	"last, min(version) AS first, min(submitted) AS at FROM declarations " \
	"WHERE submitted BETWEEN ?1 AND ?2 GROUP BY party) w JOIN " \
	"declarations d ON d.party = w.party AND d.version = w.last " \
	"ORDER BY w.at, d.party"

#define SQL_STATUSES	"SELECT ref, year, NULL, 0 FROM statuses " \
	"WHERE submitted BETWEEN ?1 AND ?2 ORDER BY submitted, ref"

/* The previous meeting that was not cancelled: an earlier start, or the
 * same start and an earlier reference. */
static void
results_previous(struct store *s, const char *ref, time_t start,
    struct results *r)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT ref, start FROM meetings "
	    "WHERE state = 'scheduled' AND ref != ?1 AND (start < ?2 OR "
	    "(start = ?2 AND ref < ?1)) ORDER BY start DESC, ref DESC LIMIT 1");

	int row;

	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start);
	if ((row = store_row(st, NULL)) > 0) {
		r->previous = store_col(st, 0);
		r->since = sqlite3_column_int64(st, 1);
	}
	store_done(st);
	if (row < 0)
		r->unread = 1;
}

/* Read one kind's rows in the window, at most RESULTS_MAX of them. */
static void
results_read(struct store *s, const char *sql, struct results *r,
    struct result_list *l)
{
	sqlite3_stmt *st = store_prepare(s, sql);
	int row;

	sqlite3_bind_int64(st, 1, r->since);
	sqlite3_bind_int64(st, 2, r->until);
	while ((row = store_row(st, NULL)) > 0) {
		struct result *it;

		if (l->n == RESULTS_MAX) {
			l->more++;
			continue;
		}
		l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		it = &l->v[l->n++];
		it->ref = store_col(st, 0);
		it->name = store_col(st, 1);
		it->by = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL :
		    store_col(st, 2);
		it->version = sqlite3_column_int(st, 3);
	}
	store_done(st);
	if (row < 0)
		r->unread = 1;
}

/* Declarations are read with the party's id, kept in by for links;
 * people read its name. */
static void
results_party_names(const struct config *c, struct result_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].by);
		l->v[i].by = l->v[i].name;
		l->v[i].name = xstrdup(roster_party_name(c, l->v[i].by));
	}
}

void
results_window(struct store *s, const struct config *c, time_t since,
    time_t until, struct results *r)
{
	r->since = since;
	r->until = until;
	results_read(s, SQL_ASSOCIATES, r, &r->associates);
	results_read(s, SQL_INITIATIVES, r, &r->initiatives);
	results_read(s, SQL_DECLARATIONS, r, &r->declarations);
	results_party_names(c, &r->declarations);
	results_read(s, SQL_STATUSES, r, &r->statuses);
}

void
results_gather(struct store *s, const struct config *c, const char *ref,
    time_t start, time_t now, struct results *r)
{
	memset(r, 0, sizeof *r);
	results_previous(s, ref, start, r);
	results_window(s, c, r->since, now < start ? now : start, r);
}

static void
result_list_free(struct result_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].ref);
		free(l->v[i].name);
		free(l->v[i].by);
	}
	free(l->v);
}

void
results_free(struct results *r)
{
	free(r->previous);
	result_list_free(&r->associates);
	result_list_free(&r->initiatives);
	result_list_free(&r->declarations);
	result_list_free(&r->statuses);
	memset(r, 0, sizeof *r);
}

static size_t
list_count(const struct result_list *l)
{
	return l->n + l->more;
}

size_t
results_count(const struct results *r)
{
	return list_count(&r->associates) + list_count(&r->initiatives) +
	    list_count(&r->declarations) + list_count(&r->statuses);
}

/* One kind as a template list, with its has_ flag and _more count. */
static void
results_list_vars(const struct result_list *l, const char *key,
    struct tvars *v)
{
	char *name;

	if (l->n == 0)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct tvars *it = tvars_add_item(v, key);

		tvars_set(it, "ref", l->v[i].ref);
		tvars_set(it, "name", l->v[i].name);
		if (l->v[i].by != NULL)
			tvars_set(it, "by", l->v[i].by);
		if (l->v[i].version > 1)
			tvars_set(it, "changed", "yes");
	}
	name = xasprintf("has_%s", key);
	tvars_set(v, name, "yes");
	free(name);
	if (l->more > 0) {
		name = xasprintf("%s_more", key);
		tvars_setf(v, name, "%zu", l->more);
		free(name);
	}
}

void
results_vars(const struct results *r, const char *lang, struct tvars *v)
{
	char when[64];
	struct tm tm;

	if (r->previous != NULL) {
		localtime_r(&r->since, &tm);
		strftime(when, sizeof when, strcmp(lang, "en") == 0 ?
		    "%-d %B %Y" : "%-d.%-m.%Y", &tm);
		tvars_set(v, "results_previous", r->previous);
		tvars_set(v, "results_since", when);
	}
	if (results_count(r) > 0)
		tvars_set(v, "has_results", "yes");
	results_list_vars(&r->associates, "results_associates", v);
	results_list_vars(&r->initiatives, "results_initiatives", v);
	results_list_vars(&r->declarations, "results_declarations", v);
	results_list_vars(&r->statuses, "results_statuses", v);
}

/* "2 initiativer" or "1 initiativ": the count with its noun. */
static void
results_add(struct buf *b, size_t n, const char *one, const char *many)
{
	if (n == 0)
		return;
	buf_addf(b, "%s%zu %s", b->len > 0 ? ", " : "", n, n == 1 ? one : many);
}

char *
results_line(const struct results *r, const char *lang)
{
	int en = strcmp(lang, "en") == 0;
	struct buf b;
	char *counts, *line;

	buf_init(&b);
	results_add(&b, list_count(&r->associates), en ? "new associate" :
	    "nyt associeret medlem", en ? "new associates" :
	    "nye associerede medlemmer");
	results_add(&b, list_count(&r->initiatives), en ? "initiative" :
	    "initiativ", en ? "initiatives" : "initiativer");
	results_add(&b, list_count(&r->declarations), en ? "declaration" :
	    "erklæring", en ? "declarations" : "erklæringer");
	results_add(&b, list_count(&r->statuses), en ? "annual status" :
	    "årsstatus", en ? "annual statuses" : "årsstatusser");
	counts = buf_steal(&b);
	line = xasprintf("%s: %s.", r->previous != NULL ? (en ? "Since the "
	    "last meeting" : "Siden sidste møde") : (en ? "Since the pact "
	    "began" : "Siden pagten begyndte"), *counts != '\0' ? counts :
	    (en ? "nothing new" : "intet nyt"));
	free(counts);
	return line;
}
