/* pactctl render, export, backup FILE: the operator's tools that write
 * or copy the database (forget is in ctl_forget.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "fileio.h"
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

/* One table as an array of objects, every column as it is stored; -1
 * when a read failed. */
static int
export_table(struct ctl *ctl, struct json *j, const char *table)
{
	char *sql = xasprintf("SELECT * FROM %s", table);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	int n = sqlite3_column_count(st), r;

	json_arr_begin(j, table);
	while ((r = store_row(st, NULL)) > 0) {
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
	return r;
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
	int r = 0;

	clock_format_utc(clock_now(), now, sizeof now);
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	json_str(&j, "name", ctl->conf->name);
	json_str(&j, "exported", now);
	store_exec(ctl->store, "BEGIN", &(char *){ NULL });
	for (size_t i = 0; r == 0 && i < nitems(tables); i++)
		r = export_table(ctl, &j, tables[i]);
	store_exec(ctl->store, "COMMIT", &(char *){ NULL });
	json_obj_end(&j);
	if (r < 0) {
		free(json_finish(&j));
		return CTL_FAIL;
	}
	ctl_print_json(&j);
	return CTL_OK;
}

int
ctl_backup(struct ctl *ctl, int argc, char **argv)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	char *cause = NULL;
	int rc;

	/* A backup holds what the database holds: owner only, whatever the
	 * umask; SQLite gives its journal the same mode. */
	if (file_mode(argv[0], 0600, 1, &cause) != 0) {
		fprintf(stderr, "pactctl: %s\n", cause);
		free(cause);
		return CTL_FAIL;
	}
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
