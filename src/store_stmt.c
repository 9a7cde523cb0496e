/*
 * Prepared statements kept by their SQL text. Parsing and planning a
 * statement costs more than running most of pactd's, and the same few
 * dozen run for every mail. A statement is handed out once at a time; a
 * second use while the first is still stepping gets a fresh one, which
 * store_done finalizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"
#include "store.h"
#include "util.h"

static struct store *open_stores;

static uint32_t
sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static sqlite3_stmt *
prepare(struct store *s, const char *sql, unsigned int flags)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(s->db, sql, -1, flags, &st, NULL) != SQLITE_OK)
		fatalx("sql: %s: %s", sqlite3_errmsg(s->db), sql);
	return st;
}

/* The store's first statement: it joins the list store_done searches. */
static void
store_register(struct store *s)
{
	struct store *o;

	for (o = open_stores; o != NULL; o = o->next)
		if (o == s)
			return;
	s->next = open_stores;
	open_stores = s;
}

sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	uint32_t h = sql_hash(sql);

	store_register(s);
	for (size_t i = 0; i < STORE_STMTS; i++) {
		struct store_stmt *e = &s->stmts[(h + i) % STORE_STMTS];

		if (e->sql == NULL) {
			e->sql = xstrdup(sql);
			e->st = prepare(s, sql, SQLITE_PREPARE_PERSISTENT);
			e->busy = 1;
			return e->st;
		}
		if (strcmp(e->sql, sql) == 0) {
			if (e->busy)
				break;
			e->busy = 1;
			return e->st;
		}
	}
	return prepare(s, sql, 0);
}

static struct store_stmt *
stmt_find(sqlite3_stmt *st)
{
	sqlite3 *db = sqlite3_db_handle(st);
	const char *sql = sqlite3_sql(st);
	uint32_t h = sql_hash(sql);

	for (struct store *s = open_stores; s != NULL; s = s->next) {
		if (s->db != db)
			continue;
		for (size_t i = 0; i < STORE_STMTS; i++) {
			struct store_stmt *e = &s->stmts[(h + i) % STORE_STMTS];

			if (e->sql == NULL)
				return NULL;
			if (e->st == st)
				return e;
		}
	}
	return NULL;
}

int
store_done(sqlite3_stmt *st)
{
	struct store_stmt *e;
	int rc;

	if (st == NULL)
		return SQLITE_OK;
	if ((e = stmt_find(st)) == NULL)
		return sqlite3_finalize(st);
	rc = sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	e->busy = 0;
	return rc;
}

void
store_stmts_free(struct store *s)
{
	struct store **pp;

	for (size_t i = 0; i < STORE_STMTS; i++) {
		sqlite3_finalize(s->stmts[i].st);
		free(s->stmts[i].sql);
		memset(&s->stmts[i], 0, sizeof s->stmts[i]);
	}
	for (pp = &open_stores; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
}

/* The store a statement belongs to, for its error's path. */
static struct store *
stmt_store(sqlite3_stmt *st)
{
	sqlite3 *db = sqlite3_db_handle(st);

	for (struct store *s = open_stores; s != NULL; s = s->next)
		if (s->db == db)
			return s;
	return NULL;
}

/* A test's read fault (fault.h): SQLite itself fails the statement. */
static int
stmt_interrupt(void *arg)
{
	return 1;
}

int
store_row(sqlite3_stmt *st, char **cause)
{
	sqlite3 *db = sqlite3_db_handle(st);
	struct store *s;
	char *why;
	int rc, fault = fault_read(sqlite3_sql(st));

	if (fault)
		sqlite3_progress_handler(db, 1, stmt_interrupt, NULL);
	rc = sqlite3_step(st);
	if (fault)
		sqlite3_progress_handler(db, 0, NULL, NULL);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	if ((s = stmt_store(st)) != NULL)
		why = store_error(s);
	else
		why = xasprintf("%s", sqlite3_errmsg(db));
	if (cause != NULL)
		*cause = why;
	else {
		log_warnx("%s", why);
		free(why);
	}
	return -1;
}
