/* pactctl render, export, forget ADDRESS, backup FILE: the operator's
 * tools that change or copy the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "page.h"
#include "util.h"

int
ctl_render(struct ctl *ctl, int argc, char **argv)
{
	struct strv failed = { 0 };

	if (page_render(ctl->conf, ctl->store, clock_now(), &failed) != 0) {
		for (size_t i = 0; i < failed.n; i++)
			fprintf(stderr, "pactctl: %s\n", failed.v[i]);
		strv_free(&failed);
		return CTL_FAIL;
	}
	if (ctl->json) {
		struct json j;

		json_init(&j, 1);
		json_obj_begin(&j, NULL);
		json_str(&j, "output_dir", ctl->conf->output_dir);
		json_obj_end(&j);
		ctl_print_json(&j);
	} else
		printf("rendered index.html, pact.json and feed.atom into %s\n",
		    ctl->conf->output_dir);
	return CTL_OK;
}

/* One table as an array of objects, every column as it is stored. */
static void
export_table(struct ctl *ctl, struct json *j, const char *table)
{
	char *sql = xasprintf("SELECT * FROM %s", table);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	int n = sqlite3_column_count(st);

	json_arr_begin(j, table);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(j, NULL);
		for (int i = 0; i < n; i++) {
			const char *name = sqlite3_column_name(st, i);

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				json_null(j, name);
				break;
			case SQLITE_INTEGER:
				json_int(j, name, sqlite3_column_int64(st, i));
				break;
			default:
				json_str(j, name,
				    (const char *)sqlite3_column_text(st, i));
			}
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	store_done(st);
	free(sql);
}

int
ctl_export(struct ctl *ctl, int argc, char **argv)
{
	static const char *const tables[] = { "declarations", "nominations",
	    "ballots", "votes", "associates", "initiatives", "statuses",
	    "comments", "meetings", "attendees", "processed", "outbox",
	    "log" };
	struct json j;
	char now[32];

	clock_format_utc(clock_now(), now, sizeof now);
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	json_str(&j, "name", ctl->conf->name);
	json_str(&j, "exported", now);
	store_exec(ctl->store, "BEGIN", &(char *){ NULL });
	for (size_t i = 0; i < nitems(tables); i++)
		export_table(ctl, &j, tables[i]);
	store_exec(ctl->store, "COMMIT", &(char *){ NULL });
	json_obj_end(&j);
	ctl_print_json(&j);
	return CTL_OK;
}

/* What forget erases: the address, the names it went by, its text. */
static const char *const forget_sql[] = {
	"UPDATE processed SET sender = '[forgotten]', subject = NULL "
	    "WHERE sender = ?1",
	"UPDATE declarations SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE nominations SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE nominations SET contact_addr = '[forgotten]', contact_name = "
	    "NULL WHERE contact_addr = ?1",
	"UPDATE associates SET contact_addr = '[forgotten]', contact_name = "
	    "NULL WHERE contact_addr = ?1",
	"UPDATE initiatives SET sender = '[forgotten]' WHERE sender = ?1",
	"UPDATE votes SET voter = '[forgotten]' WHERE voter = ?1",
	"UPDATE comments SET by_addr = '[forgotten]', by_name = NULL, text = "
	    "'[forgotten]' WHERE by_addr = ?1",
	"UPDATE tokens SET addr = '[forgotten]' WHERE addr = ?1",
	"UPDATE attendees SET addr = '[forgotten]:' || rowid, name = NULL "
	    "WHERE addr = ?1",
	"UPDATE outbox SET rcpt = '[forgotten]', subject = '[forgotten]', "
	    "data = '' WHERE rcpt = ?1",
	"UPDATE processed SET subject = NULL WHERE instr(subject, ?1)",
};

/* Every copy of a string (address or name) in the mail pactd sent. */
static const char forget_text_sql[] = "UPDATE outbox SET data = "
    "replace(CAST(data AS TEXT), ?1, '[forgotten]') WHERE "
    "instr(CAST(data AS TEXT), ?1)";

static int
forget_text(struct ctl *ctl, const char *text, int *entries, char **cause)
{
	sqlite3_stmt *st = store_prepare(ctl->store, forget_text_sql);
	int n;

	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (store_exec_stmt(ctl->store, st, cause) != 0 ||
	    (n = audit_forget(ctl->store, text, cause)) < 0)
		return -1;
	*entries += n;
	return 0;
}

/* The names an address went by, so that they go too. */
static void
forget_names(struct ctl *ctl, const char *addr, struct strv *names)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT contact_name FROM "
	    "associates WHERE contact_addr = ?1 UNION SELECT contact_name FROM "
	    "nominations WHERE contact_addr = ?1 UNION SELECT by_name FROM "
	    "comments WHERE by_addr = ?1");

	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_text(st, 0) != NULL &&
		    sqlite3_column_bytes(st, 0) > 2)
			strv_add(names, (const char *)sqlite3_column_text(st,
			    0));
	store_done(st);
}

static int
forget_run(struct ctl *ctl, const char *addr, int *entries, char **cause)
{
	struct strv names = { 0 };
	int rc = -1;

	forget_names(ctl, addr, &names);
	for (size_t i = 0; i < nitems(forget_sql); i++) {
		sqlite3_stmt *st = store_prepare(ctl->store, forget_sql[i]);

		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		if (store_exec_stmt(ctl->store, st, cause) != 0)
			goto out;
	}
	*entries = 0;
	if (forget_text(ctl, addr, entries, cause) != 0)
		goto out;
	for (size_t i = 0; i < names.n; i++)
		if (forget_text(ctl, names.v[i], entries, cause) != 0)
			goto out;
	rc = 0;
out:
	strv_free(&names);
	return rc;
}

int
ctl_forget(struct ctl *ctl, int argc, char **argv)
{
	char *addr = xstrdup(argv[0]), *cause = NULL;
	int entries = 0, rc = CTL_OK;

	str_lower(addr);
	if (strchr(addr, '@') == NULL) {
		fprintf(stderr, "pactctl: '%s' is not a mail address\n", addr);
		free(addr);
		return CTL_USAGE;
	}
	/* Freed pages are zeroed, and VACUUM rewrites the file, so that no
	 * copy of the address stays behind in it. */
	if (store_exec(ctl->store, "PRAGMA secure_delete = ON", &cause) != 0 ||
	    store_begin(ctl->store, &cause) != 0 ||
	    forget_run(ctl, addr, &entries, &cause) != 0 ||
	    store_commit(ctl->store, &cause) != 0 ||
	    store_exec(ctl->store, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE)",
	    &cause) != 0) {
		store_rollback(ctl->store);
		fprintf(stderr, "pactctl: forget: %s\n", cause);
		free(cause);
		rc = CTL_FAIL;
	} else if (ctl->json) {
		struct json j;

		json_init(&j, 1);
		json_obj_begin(&j, NULL);
		json_str(&j, "forgotten", addr);
		json_int(&j, "log_entries", entries);
		json_obj_end(&j);
		ctl_print_json(&j);
	} else
		printf("%s forgotten (%d log entries blanked; the chain stays "
		    "verifiable). Remove it from roster.conf too if it is "
		    "there.\n", addr, entries);
	free(addr);
	return rc;
}

int
ctl_backup(struct ctl *ctl, int argc, char **argv)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(argv[0], &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		fprintf(stderr, "pactctl: %s: %s\n", argv[0],
		    dst ? sqlite3_errmsg(dst) : "cannot open");
		sqlite3_close(dst);
		return CTL_FAIL;
	}
	/* The online backup API copies a consistent snapshot while pactd
	 * goes on writing. */
	if ((b = sqlite3_backup_init(dst, "main", ctl->store->db, "main")) ==
	    NULL) {
		fprintf(stderr, "pactctl: backup: %s\n", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return CTL_FAIL;
	}
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
	    rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(20);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "pactctl: backup: %s\n", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return CTL_FAIL;
	}
	sqlite3_close(dst);
	if (ctl->json) {
		struct json j;

		json_init(&j, 1);
		json_obj_begin(&j, NULL);
		json_str(&j, "backup", argv[0]);
		json_obj_end(&j);
		ctl_print_json(&j);
	} else
		printf("backup written to %s\n", argv[0]);
	return CTL_OK;
}
