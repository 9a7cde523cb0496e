/*
 * What pactctl's commands share: times for JSON and for people, cells of
 * text tables, the ending that prints either the JSON document or the
 * table, and list commands described as data (a query, its JSON members
 * and its table columns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

#define CTL_CELL_MAX	48	/* bytes of a cell made from a number or time */

void
ctl_print_json(struct json *j)
{
	char *s = json_finish(j);

	fputs(s, stdout);
	free(s);
}

int
ctl_finish(struct ctl *ctl, struct json *j, struct table *tb)
{
	if (ctl->json)
		ctl_print_json(j);
	else {
		free(json_finish(j));
		table_print(tb, stdout);
	}
	table_free(tb);
	return CTL_OK;
}

sqlite3_stmt *
ctl_one(struct ctl *ctl, const char *sql, const char *key, const char *ref,
    const char *what, int *rc)
{
	char *q = xasprintf("%s WHERE %s = ?", sql, key);
	sqlite3_stmt *st = store_prepare(ctl->store, q);
	int r;

	free(q);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if ((r = store_row(st, NULL)) > 0)
		return st;
	store_done(st);
	if (r < 0)
		*rc = CTL_FAIL;
	else {
		fprintf(stderr, "pactctl: no %s %s\n", what, ref);
		*rc = CTL_DATAERR;
	}
	return NULL;
}

int
ctl_unread(struct json *j, struct table *tb)
{
	free(json_finish(j));
	table_free(tb);
	return CTL_FAIL;
}

void
ctl_time(time_t t, char *buf, size_t len)
{
	if (t == 0)
		snprintf(buf, len, "-");
	else
		clock_format_utc(t, buf, len);
}

void
ctl_local(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "-");
}

void
ctl_field(const char *label, const char *value)
{
	size_t w;
	char *v = table_cell(value ? value : "-", 0, &w);

	printf("%s: %s\n", label, v);
	free(v);
}

int
ctl_audit_key(struct ctl *ctl)
{
	char *cause = NULL;

	if (config_audit_key(ctl->conf, &ctl->store->audit_key,
	    &ctl->store->audit_keylen, &cause) != 0) {
		fprintf(stderr, "pactctl: %s\n", cause);
		free(cause);
		return CTL_CONFIG;
	}
	return CTL_OK;
}

void
ctl_json_time(struct json *j, const char *key, sqlite3_stmt *st, int i)
{
	char t[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		json_null(j, key);
		return;
	}
	ctl_time(sqlite3_column_int64(st, i), t, sizeof t);
	json_str(j, key, t);
}

void
ctl_json_lines(struct json *j, const char *key, const char *s,
    const char *sep)
{
	char *copy = xstrdup(s ? s : ""), *save = NULL;

	json_arr_begin(j, key);
	for (char *l = strtok_r(copy, sep, &save); l; l = strtok_r(NULL, sep,
	    &save))
		json_str(j, NULL, l);
	json_arr_end(j);
	free(copy);
}

const char *
ctl_num(char *buf, size_t len, long long n)
{
	snprintf(buf, len, "%lld", n);
	return buf;
}

const char *
ctl_when(char *buf, size_t len, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	ctl_local(sqlite3_column_int64(st, i), buf, len);
	return buf;
}

/* One column as a JSON member. */
static void
list_json(struct json *j, sqlite3_stmt *st, const struct ctl_col *c)
{
	switch (c->type) {
	case CTL_NUM:
	case CTL_VERSION:
		json_int(j, c->name, sqlite3_column_int64(st, c->col));
		break;
	case CTL_TIME:
		ctl_json_time(j, c->name, st, c->col);
		break;
	case CTL_LINES:
		ctl_json_lines(j, c->name, store_text(st, c->col), "\n");
		break;
	case CTL_COMMAS:
		ctl_json_lines(j, c->name, store_text(st, c->col), ",");
		break;
	default:
		json_str(j, c->name, store_text(st, c->col));
		break;
	}
}

/* One column as a table cell; buf holds what is made for it. */
static const char *
list_cell(char *buf, size_t len, sqlite3_stmt *st, const struct ctl_col *c)
{
	switch (c->type) {
	case CTL_NUM:
		return ctl_num(buf, len, sqlite3_column_int64(st, c->col));
	case CTL_VERSION:
		snprintf(buf, len, "v%d", sqlite3_column_int(st, c->col));
		return buf;
	case CTL_TIME:
		return ctl_when(buf, len, st, c->col);
	default:
		return store_text(st, c->col);
	}
}

int
ctl_list(struct ctl *ctl, const struct ctl_list *l)
{
	sqlite3_stmt *st = store_prepare(ctl->store, l->sql);
	const char *head[CTL_COLS_MAX], *row[CTL_COLS_MAX];
	char cells[CTL_COLS_MAX][CTL_CELL_MAX];
	struct table *tb;
	struct json j;
	int r;

	if (l->ntext > CTL_COLS_MAX)
		fatalx("ctl_list: %zu columns", l->ntext);
	for (size_t i = 0; i < l->ntext; i++)
		head[i] = l->text[i].name;
	tb = table_new(head, l->ntext);
	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		json_obj_begin(&j, NULL);
		for (size_t i = 0; i < l->njson; i++)
			list_json(&j, st, &l->json[i]);
		json_obj_end(&j);
		for (size_t i = 0; i < l->ntext; i++)
			row[i] = list_cell(cells[i], sizeof cells[i], st,
			    &l->text[i]);
		table_add(tb, row);
	}
	store_done(st);
	json_arr_end(&j);
	return r < 0 ? ctl_unread(&j, tb) : ctl_finish(ctl, &j, tb);
}
