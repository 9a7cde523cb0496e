/* pactctl outbox, log, verify-log, quarantine: what pactd sent and did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "util.h"

/* One mail as a row; one that did not go gets a second with the error. */
static void
outbox_row(struct table *tb, sqlite3_stmt *st)
{
	char id[24], tries[16], created[40], next[40], *err = NULL;
	const char *row[7], *state = store_text(st, 6);
	const char *status = store_text(st, 12), *diag = store_text(st, 13);
	int queued = strcmp(state, "queued") == 0;

	ctl_num(id, sizeof id, sqlite3_column_int64(st, 0));
	ctl_num(tries, sizeof tries, sqlite3_column_int(st, 7));
	ctl_local(sqlite3_column_int64(st, 10), created, sizeof created);
	row[0] = id;
	row[1] = state;
	row[2] = tries;
	row[3] = created;
	row[4] = store_text(st, 2);
	row[5] = store_text(st, 4);
	row[6] = store_text(st, 5);
	table_add(tb, row);
	if (strcmp(state, "bounced") == 0) {
		/* Its status and the server's words, under its line. */
		ctl_local(sqlite3_column_int64(st, 14), next, sizeof next);
		err = xasprintf("bounced %s: %s%s%s", next, status ? status :
		    "-", diag ? " " : "", diag ? diag : "");
	} else if (store_text(st, 9) == NULL || strcmp(state, "sent") == 0)
		return;
	else {
		ctl_local(sqlite3_column_int64(st, 8), next, sizeof next);
		err = xasprintf("%s%s%s", store_text(st, 9), queued ?
		    "; next try " : "", queued ? next : "");
	}
	for (size_t i = 0; i < 6; i++)
		row[i] = "";
	row[6] = err;
	table_add(tb, row);
	free(err);
}

/* Every mail in the outbox, newest last, with its state and last error. */
int
ctl_outbox(struct ctl *ctl, int argc, char **argv)
{
	/* 'sending' is left only by an old version: it is queued again. */
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT id, message_id, "
	    "rcpt, kind, ref, subject, CASE state WHEN 'sending' THEN 'queued' "
	    "ELSE state END, attempts, next_try, last_error, created, sent_at, "
	    "status, diagnostic, bounced_at FROM outbox ORDER BY id");
	static const char *const head[] = { "ID", "STATE", "TRIES",
	    "CREATED", "TO", "REF", "SUBJECT / LAST ERROR, NEXT TRY" };
	struct table *tb = table_new(head, nitems(head));
	struct json j;
	char t1[32], t2[32];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_time(sqlite3_column_int64(st, 10), t1, sizeof t1);
		if (ctl->json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "id", sqlite3_column_int64(st, 0));
			json_str(&j, "message_id", store_text(st, 1));
			json_str(&j, "to", store_text(st, 2));
			json_str(&j, "kind", store_text(st, 3));
			json_str(&j, "ref", store_text(st, 4));
			json_str(&j, "subject", store_text(st, 5));
			json_str(&j, "state", store_text(st, 6));
			json_int(&j, "attempts", sqlite3_column_int(st, 7));
			ctl_time(sqlite3_column_int64(st, 8), t2, sizeof t2);
			json_str(&j, "next_try", strcmp(store_text(st, 6),
			    "queued") ? NULL : t2);
			json_str(&j, "error", store_text(st, 9));
			json_str(&j, "created", t1);
			ctl_time(sqlite3_column_int64(st, 11), t2, sizeof t2);
			json_str(&j, "sent", sqlite3_column_type(st, 11) ==
			    SQLITE_NULL ? NULL : t2);
			json_str(&j, "status", store_text(st, 12));
			json_str(&j, "diagnostic", store_text(st, 13));
			ctl_time(sqlite3_column_int64(st, 14), t2, sizeof t2);
			json_str(&j, "bounced", sqlite3_column_type(st, 14) ==
			    SQLITE_NULL ? NULL : t2);
			json_obj_end(&j);
			continue;
		}
		outbox_row(tb, st);
	}
	store_done(st);
	json_arr_end(&j);
	return ctl_finish(ctl, &j, tb);
}

static const struct ctl_col log_json[] = {
	{ "id", 0, CTL_NUM },
	{ "at", 1, CTL_TIME },
	{ "event", 2, CTL_TEXT },
	{ "ref", 3, CTL_TEXT },
	{ "message_id", 4, CTL_TEXT },
	{ "detail", 5, CTL_TEXT },
	{ "hash", 6, CTL_TEXT },
};

static const struct ctl_col log_text[] = {
	{ "ID", 0, CTL_NUM },
	{ "AT", 1, CTL_TIME },
	{ "EVENT", 2, CTL_TEXT },
	{ "REF", 3, CTL_TEXT },
	{ "MESSAGE-ID", 4, CTL_TEXT },
	{ "DETAIL", 5, CTL_TEXT },
};

static const struct ctl_list log_list = {
	"SELECT id, at, event, ref, message_id, detail, hash FROM log "
	"ORDER BY id",
	log_json, nitems(log_json), log_text, nitems(log_text)
};

/* The audit log, oldest first. */
int
ctl_log(struct ctl *ctl, int argc, char **argv)
{
	return ctl_list(ctl, &log_list);
}

/* Check the hash chain; exit 1 naming the first broken entry. */
int
ctl_verify_log(struct ctl *ctl, int argc, char **argv)
{
	struct audit_result r;
	const char *mode;
	char *cause = NULL;
	long long bad;
	struct json j;
	int rc;

	if ((rc = ctl_audit_key(ctl)) != CTL_OK)
		return rc;
	bad = audit_verify(ctl->store, &r, &cause);
	mode = r.hmac ? "HMAC-SHA256" : "SHA-256";
	if (ctl->json) {
		json_init(&j, 1);
		json_obj_begin(&j, NULL);
		json_bool(&j, "ok", bad == 0);
		json_str(&j, "mode", mode);
		json_int(&j, "entries", r.entries);
		if (r.hmac)
			json_int(&j, "before_key", r.unkeyed);
		if (bad != 0) {
			json_int(&j, "first_broken", bad);
			json_str(&j, "reason", cause);
		}
		json_obj_end(&j);
		ctl_print_json(&j);
	} else if (bad == 0 && r.hmac && r.unkeyed > 0)
		printf("ok (HMAC-SHA256 chain, %lld entries; the first %lld, "
		    "written before the key, as SHA-256 sealed by it)\n",
		    r.entries, r.unkeyed);
	else if (bad == 0)
		printf("ok (%s chain, %lld entries)\n", mode, r.entries);
	else
		printf("log broken (%s chain): %s\n", mode, cause);
	free(cause);
	return bad == 0 ? CTL_OK : CTL_FAIL;
}

/* One quarantined mail for people: when, from whom, what; why below. */
static void
quarantine_line(sqlite3_stmt *st, const char *at)
{
	const char *from = store_text(st, 2), *subject = store_text(st, 3);
	const char *reason = store_text(st, 5);

	printf("%-20s %-34s %s\n%20s %s\n", at, from ? from : "-",
	    subject ? subject : "", "", reason ? reason : "");
}

/* What was quarantined and why, oldest first (SPEC section 9). */
int
ctl_quarantine(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT at, message_id, "
	    "sender, subject, kind, reason FROM processed WHERE outcome = "
	    "'quarantine' ORDER BY id");
	struct json j;
	char t[32];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	if (!ctl->json)
		printf("%-20s %-34s %s\n", "AT", "FROM", "SUBJECT / REASON");
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_time(sqlite3_column_int64(st, 0), t, sizeof t);
		if (!ctl->json) {
			quarantine_line(st, t);
			continue;
		}
		json_obj_begin(&j, NULL);
		json_str(&j, "at", t);
		json_str(&j, "message_id", store_text(st, 1));
		json_str(&j, "from", store_text(st, 2));
		json_str(&j, "subject", store_text(st, 3));
		json_str(&j, "kind", store_text(st, 4));
		json_str(&j, "reason", store_text(st, 5));
		json_obj_end(&j);
	}
	store_done(st);
	json_arr_end(&j);
	if (ctl->json)
		ctl_print_json(&j);
	else
		free(json_finish(&j));
	return CTL_OK;
}
