/* pactctl meetings, meeting REF: the pact's meetings and who comes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static const char meeting_sql[] = "SELECT ref, title, start, end, location, "
    "state, sequence, uid, agenda FROM meetings";

/* The members of SPEC section 9 for one meeting. */
static void
meeting_json(struct json *j, sqlite3_stmt *st)
{
	char t[32];

	json_str(j, "ref", store_text(st, 0));
	json_str(j, "title", store_text(st, 1));
	ctl_time(sqlite3_column_int64(st, 2), t, sizeof t);
	json_str(j, "start", t);
	ctl_time(sqlite3_column_int64(st, 3), t, sizeof t);
	json_str(j, "end", t);
	json_str(j, "location", store_text(st, 4));
	json_str(j, "state", store_text(st, 5));
	json_int(j, "sequence", sqlite3_column_int(st, 6));
	json_str(j, "uid", store_text(st, 7));
}

static const char *const meeting_head[] = { "REF", "STATE", "START",
    "SEQ", "TITLE", "LOCATION" };

/* One meeting as a row, times in the pact's zone. */
static void
meeting_row(struct table *tb, sqlite3_stmt *st)
{
	const char *title = store_text(st, 1);
	char start[40], seq[16];

	ctl_local(sqlite3_column_int64(st, 2), start, sizeof start);
	snprintf(seq, sizeof seq, "%d", sqlite3_column_int(st, 6));
	table_add(tb, (const char *const[]){ store_text(st, 0),
	    store_text(st, 5), start, seq, title && *title ? title :
	    "(no title)", store_text(st, 4) });
}

/* One meeting for people: its fields, then who comes. */
static void
meeting_fields(sqlite3_stmt *st)
{
	char t[40], seq[16];

	ctl_field("meeting", store_text(st, 0));
	ctl_field("title", store_text(st, 1));
	ctl_field("state", store_text(st, 5));
	ctl_local(sqlite3_column_int64(st, 2), t, sizeof t);
	ctl_field("start", t);
	ctl_local(sqlite3_column_int64(st, 3), t, sizeof t);
	ctl_field("end", t);
	ctl_field("location", store_text(st, 4));
	snprintf(seq, sizeof seq, "%d", sqlite3_column_int(st, 6));
	ctl_field("sequence", seq);
}

int
ctl_meetings(struct ctl *ctl, int argc, char **argv)
{
	char *sql = xasprintf("%s ORDER BY start", meeting_sql);
	sqlite3_stmt *st = store_prepare(ctl->store, sql);
	struct table *tb = table_new(meeting_head, nitems(meeting_head));
	struct json j;
	int r;

	free(sql);
	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		json_obj_begin(&j, NULL);
		meeting_json(&j, st);
		json_obj_end(&j);
		meeting_row(tb, st);
	}
	store_done(st);
	json_arr_end(&j);
	return r < 0 ? ctl_unread(&j, tb) : ctl_finish(ctl, &j, tb);
}

int
ctl_meeting(struct ctl *ctl, int argc, char **argv)
{
	static const char *const head[] = { "ANSWER", "NAME", "ADDRESS" };
	sqlite3_stmt *st, *a;
	struct table *tb;
	struct json j;
	int r;

	if ((st = ctl_one(ctl, meeting_sql, "ref", argv[0], "meeting",
	    &r)) == NULL)
		return r;
	tb = table_new(head, nitems(head));
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	meeting_json(&j, st);
	if (!ctl->json)
		meeting_fields(st);
	a = store_prepare(ctl->store, "SELECT addr, name, partstat FROM "
	    "attendees WHERE ref = ? ORDER BY rowid");
	sqlite3_bind_text(a, 1, argv[0], -1, SQLITE_STATIC);
	json_arr_begin(&j, "attendees");
	while ((r = store_row(a, NULL)) > 0) {
		json_obj_begin(&j, NULL);
		json_str(&j, "address", store_text(a, 0));
		json_str(&j, "name", store_text(a, 1));
		json_str(&j, "partstat", store_text(a, 2));
		json_obj_end(&j);
		table_add(tb, (const char *const[]){ store_text(a, 2),
		    store_text(a, 1), store_text(a, 0) });
	}
	store_done(a);
	json_arr_end(&j);
	json_obj_end(&j);
	store_done(st);
	if (ctl->json && r == 0)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		if (r == 0) {
			printf("\n");
			table_print(tb, stdout);
		}
	}
	table_free(tb);
	return r < 0 ? CTL_FAIL : CTL_OK;
}
