/* The SQLite store: schema, migrations, transactions, small helpers. */
#ifndef PACTD_STORE_H
#define PACTD_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#define STORE_STMTS 128	/* prepared statements kept, by SQL text */

struct store_stmt {
	char		*sql;
	sqlite3_stmt	*st;
	int		 busy;	/* handed out, not yet done */
};

struct store {
	sqlite3 *db;
	char *path;
	struct store_stmt stmts[STORE_STMTS];
	struct store *next;	/* every open store, for store_done */
	unsigned char *audit_key;	/* HMAC key of the audit chain, or NULL */
	size_t audit_keylen;
};

/* Open (creating when missing) and migrate; NULL with *cause on error. */
struct store *store_open(const char *path, int readonly, char **cause);
void store_close(struct store *);

int store_begin(struct store *, char **cause);	/* BEGIN IMMEDIATE */
int store_commit(struct store *, char **cause);
void store_rollback(struct store *);

/* A prepared statement for sql, kept for the next call with the same
 * text; aborts on a programmer's SQL error. Give it back with store_done,
 * never sqlite3_finalize. */
sqlite3_stmt *store_prepare(struct store *, const char *sql);
/* Reset a statement from store_prepare (finalize it if it was not kept);
 * the result of its last step, as sqlite3_finalize would return it. */
int store_done(sqlite3_stmt *);
/* Finalize every kept statement: before closing. */
void store_stmts_free(struct store *);
/* Step a statement that returns no rows; -1 and *cause on error. */
int store_exec_stmt(struct store *, sqlite3_stmt *, char **cause);
int store_exec(struct store *, const char *sql, char **cause);

/* meta key/value. */
char *store_meta_get(struct store *, const char *key);
int store_meta_set(struct store *, const char *key, const char *value,
    char **cause);

/* The next reference PAGT-YYYY-NNNN for the year of now. */
char *store_next_ref(struct store *, time_t now, char **cause);

/* The last error as "path: message (system reason)", owned. */
char *store_error(struct store *);

/* Column text as an owned string ("" for NULL). */
char *store_col(sqlite3_stmt *, int);
/* Column text as the statement holds it until its next step; NULL for
 * NULL. */
const char *store_text(sqlite3_stmt *, int);

#endif
