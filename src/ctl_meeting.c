/* pactctl meetings, meeting REF: the pact's meetings and who comes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

static const char meeting_sql[] = "SELECT ref, title, start, end, location, "
    "state, sequence, uid, agenda FROM meetings";

/* The members of SPEC section 9 for one meeting. */
static void
meeting_json(struct json *j, sqlite3_stmt *st)
{
	char t[32];

	json_str(j, "ref", col(st, 0));
	json_str(j, "title", col(st, 1));
	ctl_time(sqlite3_column_int64(st, 2), t, sizeof t);
	json_str(j, "start", t);
	ctl_time(sqlite3_column_int64(st, 3), t, sizeof t);
	json_str(j, "end", t);
	json_str(j, "location", col(st, 4));
	json_str(j, "state", col(st, 5));
	json_int(j, "sequence", sqlite3_column_int(st, 6));
	json_str(j, "uid", col(st, 7));
}

static void
meeting_text(struct buf *b, sqlite3_stmt *st)
{
	char t[32];

	ctl_time(sqlite3_column_int64(st, 2), t, sizeof t);
	buf_addf(b, "%s %-9s %s seq %d  %s, %s\n", col(st, 0), col(st, 5), t,
	    sqlite3_column_int(st, 6), col(st, 1) && *col(st, 1) ?
	    col(st, 1) : "(no title)", col(st, 4));
}

int
ctl_meetings(struct ctl *ctl, int argc, char **argv)
{
	char *sql = xasprintf("%s ORDER BY start", meeting_sql);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	struct json j;
	struct buf b;

	free(sql);
	json_init(&j, 1);
	buf_init(&b);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		meeting_json(&j, st);
		json_obj_end(&j);
		meeting_text(&b, st);
	}
	store_done(st);
	json_arr_end(&j);
	if (ctl->json)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		fputs(b.s ? b.s : "", stdout);
	}
	buf_free(&b);
	return CTL_OK;
}

int
ctl_meeting(struct ctl *ctl, int argc, char **argv)
{
	char *sql = xasprintf("%s WHERE ref = ?", meeting_sql);
	sqlite3_stmt *st = store_prepare(ctl->store, sql), *a;
	struct json j;
	struct buf b;

	free(sql);
	sqlite3_bind_text(st, 1, argv[0], -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_done(st);
		fprintf(stderr, "pactctl: no meeting %s\n", argv[0]);
		return CTL_DATAERR;
	}
	json_init(&j, 1);
	buf_init(&b);
	json_obj_begin(&j, NULL);
	meeting_json(&j, st);
	meeting_text(&b, st);
	a = store_prepare(ctl->store, "SELECT addr, name, partstat FROM "
	    "attendees WHERE ref = ? ORDER BY rowid");
	sqlite3_bind_text(a, 1, argv[0], -1, SQLITE_STATIC);
	json_arr_begin(&j, "attendees");
	while (sqlite3_step(a) == SQLITE_ROW) {
		json_obj_begin(&j, NULL);
		json_str(&j, "address", col(a, 0));
		json_str(&j, "name", col(a, 1));
		json_str(&j, "partstat", col(a, 2));
		json_obj_end(&j);
		buf_addf(&b, "  %-13s %s\n", col(a, 2), col(a, 0));
	}
	store_done(a);
	json_arr_end(&j);
	json_obj_end(&j);
	store_done(st);
	if (ctl->json)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		fputs(b.s, stdout);
	}
	buf_free(&b);
	return CTL_OK;
}
