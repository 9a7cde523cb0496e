/* pactctl outbox, log, verify-log, quarantine: what pactd sent and did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
#include "outbox.h"
#include "util.h"

/* A mail's state as stored, and its name; one this pactctl does not know
 * is shown as it is. */
static int
row_state(sqlite3_stmt *st, int i, const char **name)
{
	int state = outbox_parse_state(store_text(st, i));

	*name = state >= 0 ? outbox_strstate(state) : store_text(st, i);
	return state;
}

/* One mail as a row; one that did not go gets a second with the error. */
static void
outbox_row(struct table *tb, sqlite3_stmt *st)
{
	char id[24], tries[16], created[40], next[40], *err = NULL;
	const char *row[7], *name;
	const char *status = store_text(st, 12), *diag = store_text(st, 13);
	int state = row_state(st, 6, &name);
	int queued = state == OUTBOX_QUEUED;

	ctl_num(id, sizeof id, sqlite3_column_int64(st, 0));
	ctl_num(tries, sizeof tries, sqlite3_column_int(st, 7));
	ctl_local(sqlite3_column_int64(st, 10), created, sizeof created);
	row[0] = id;
	row[1] = name;
	row[2] = tries;
	row[3] = created;
	row[4] = store_text(st, 2);
	row[5] = store_text(st, 4);
	row[6] = store_text(st, 5);
	table_add(tb, row);
	if (state == OUTBOX_BOUNCED) {
		/* Its status and the server's words, under its line. */
		ctl_local(sqlite3_column_int64(st, 14), next, sizeof next);
		err = xasprintf("bounced %s: %s%s%s", next, status ? status :
		    "-", diag ? " " : "", diag ? diag : "");
	} else if (store_text(st, 9) == NULL || state == OUTBOX_SENT)
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
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT id, message_id, "
	    "rcpt, kind, ref, subject, state, attempts, next_try, last_error, "
	    "created, sent_at, status, diagnostic, bounced_at FROM outbox "
	    "ORDER BY id");
	static const char *const head[] = { "ID", "STATE", "TRIES",
	    "CREATED", "TO", "REF", "SUBJECT / LAST ERROR, NEXT TRY" };
	struct table *tb = table_new(head, nitems(head));
	struct json j;
	char t1[32], t2[32];
	const char *name;
	int r, state;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		ctl_time(sqlite3_column_int64(st, 10), t1, sizeof t1);
		state = row_state(st, 6, &name);
		if (ctl->json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "id", sqlite3_column_int64(st, 0));
			json_str(&j, "message_id", store_text(st, 1));
			json_str(&j, "to", store_text(st, 2));
			json_str(&j, "kind", store_text(st, 3));
			json_str(&j, "ref", store_text(st, 4));
			json_str(&j, "subject", store_text(st, 5));
			json_str(&j, "state", name);
			json_int(&j, "attempts", sqlite3_column_int(st, 7));
			ctl_time(sqlite3_column_int64(st, 8), t2, sizeof t2);
			json_str(&j, "next_try", state == OUTBOX_QUEUED ? t2 :
			    NULL);
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
	return r < 0 ? ctl_unread(&j, tb) : ctl_finish(ctl, &j, tb);
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
	if ((bad = audit_verify(ctl->store, &r, &cause)) < 0) {
		fprintf(stderr, "pactctl: verify-log: %s\n", cause);
		free(cause);
		return CTL_FAIL;
	}
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
	int r;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	if (!ctl->json)
		printf("%-20s %-34s %s\n", "AT", "FROM", "SUBJECT / REASON");
	while ((r = store_row(st, NULL)) > 0) {
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
	if (ctl->json && r == 0)
		ctl_print_json(&j);
	else
		free(json_finish(&j));
	return r < 0 ? CTL_FAIL : CTL_OK;
}
