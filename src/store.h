/* The SQLite store: schema, migrations, transactions, small helpers. */
#ifndef PACTD_STORE_H
#define PACTD_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

struct store {
	sqlite3 *db;
	char *path;
};

/* Open (creating when missing) and migrate; NULL with *cause on error. */
struct store *store_open(const char *path, int readonly, char **cause);
void store_close(struct store *);

int store_begin(struct store *, char **cause);	/* BEGIN IMMEDIATE */
int store_commit(struct store *, char **cause);
void store_rollback(struct store *);

/* Prepare a statement; aborts on a programmer's SQL error. */
sqlite3_stmt *store_prepare(struct store *, const char *sql);
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

#endif
