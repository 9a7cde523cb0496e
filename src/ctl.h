/* pactctl's commands: one function each, in ctl_*.c files. */
#ifndef PACTD_CTL_H
#define PACTD_CTL_H

#include "config.h"
#include "json.h"
#include "store.h"
#include "table.h"

#define CTL_OK		0
#define CTL_FAIL	1	/* the command ran and found a problem */
#define CTL_USAGE	64
#define CTL_DATAERR	65	/* no such reference */
#define CTL_UNAVAILABLE	69
#define CTL_CONFIG	78

struct ctl {
	struct config *conf;
	struct store *store;
	int json;
};

struct ctl_cmd {
	const char *name;
	const char *usage;
	int minargs, maxargs;
	int (*exec)(struct ctl *, int, char **);
	int writes;
};

/* ctl.c: what the commands share. */
/* Print a finished JSON document or plain text. */
void ctl_print_json(struct json *);
/* Print the document with --json, else the table built alongside; free
 * both. CTL_OK. */
int ctl_finish(struct ctl *, struct json *, struct table *);
/* A read failed (store_row said why): print nothing half-listed, free
 * both. CTL_FAIL. */
int ctl_unread(struct json *, struct table *);
/* The row of one reference, "SQL WHERE key = ?", ref kept by the caller
 * while the statement lives; NULL with the exit status in *rc after
 * saying why (no such WHAT, or a failed read). */
sqlite3_stmt *ctl_one(struct ctl *, const char *sql, const char *key,
    const char *ref, const char *what, int *rc);
void ctl_time(time_t, char *, size_t);	/* UTC, ISO 8601 */
/* Give the store the audit key, if one is configured; CTL_OK or
 * CTL_CONFIG after saying why. */
int ctl_audit_key(struct ctl *);
void ctl_local(time_t, char *, size_t);	/* [pact] timezone, for people */
void ctl_field(const char *, const char *);	/* "label: value", one line */
/* A time column as a JSON member: UTC, or null when NULL. */
void ctl_json_time(struct json *, const char *, sqlite3_stmt *, int);
/* Text separated by any of sep as a JSON array of its parts. */
void ctl_json_lines(struct json *, const char *, const char *s,
    const char *sep);
/* A number as a cell, in buf. */
const char *ctl_num(char *buf, size_t, long long);
/* A time column as a cell in the pact's zone, NULL when NULL. */
const char *ctl_when(char *buf, size_t, sqlite3_stmt *, int);

/*
 * A list command as data: its query, the JSON members of each row (SPEC
 * section 9) and the columns of its table, each naming a column of the
 * query and how it is shown.
 */
#define CTL_COLS_MAX	8	/* columns a table may have */

enum ctl_type {
	CTL_TEXT,
	CTL_NUM,
	CTL_TIME,	/* UTC in JSON, the pact's zone in tables */
	CTL_VERSION,	/* a number in JSON, "vN" in tables */
	CTL_LINES,	/* one JSON array member a line */
	CTL_COMMAS,	/* one JSON array member a comma-separated part */
};

struct ctl_col {
	const char *name;	/* JSON key or table header */
	int col;		/* of the query */
	enum ctl_type type;
};

struct ctl_list {
	const char *sql;
	const struct ctl_col *json;
	size_t njson;
	const struct ctl_col *text;
	size_t ntext;		/* at most CTL_COLS_MAX */
};

/* Run a list command: a JSON array of objects, or a table. */
int ctl_list(struct ctl *, const struct ctl_list *);

int ctl_outbox(struct ctl *, int, char **);
int ctl_log(struct ctl *, int, char **);
int ctl_quarantine(struct ctl *, int, char **);
int ctl_verify_log(struct ctl *, int, char **);
int ctl_parties(struct ctl *, int, char **);
int ctl_members(struct ctl *, int, char **);
int ctl_ballots(struct ctl *, int, char **);
int ctl_ballot(struct ctl *, int, char **);
int ctl_declarations(struct ctl *, int, char **);
int ctl_initiatives(struct ctl *, int, char **);
int ctl_statuses(struct ctl *, int, char **);
int ctl_draft_status(struct ctl *, int, char **);
int ctl_meetings(struct ctl *, int, char **);
int ctl_meeting(struct ctl *, int, char **);
int ctl_render(struct ctl *, int, char **);
int ctl_publish(struct ctl *, int, char **);
int ctl_export(struct ctl *, int, char **);
int ctl_forget(struct ctl *, int, char **);
int ctl_backup(struct ctl *, int, char **);

#endif
