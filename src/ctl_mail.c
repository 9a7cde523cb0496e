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

void
ctl_print_json(struct json *j)
{
	char *s = json_finish(j);

	fputs(s, stdout);
	free(s);
}

void
ctl_time(time_t t, char *buf, size_t len)
{
	if (t == 0)
		snprintf(buf, len, "-");
	else
		clock_format_utc(t, buf, len);
}

void
ctl_local(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "-");
}

void
ctl_field(const char *label, const char *value)
{
	size_t w;
	char *v = table_cell(value ? value : "-", 0, &w);

	printf("%s: %s\n", label, v);
	free(v);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

/* A mail's state as stored, and its name; one this pactctl does not know
 * is shown as it is. */
static int
row_state(sqlite3_stmt *st, int i, const char **name)
{
	int state = outbox_parse_state(col(st, i));

	*name = state >= 0 ? outbox_strstate(state) : col(st, i);
	return state;
}

/* One mail as a row; one that did not go gets a second with the error. */
static void
outbox_row(struct table *tb, sqlite3_stmt *st)
{
	char id[24], tries[16], created[40], next[40], *err = NULL;
	const char *row[7], *name;
	int state = row_state(st, 6, &name);
	int queued = state == OUTBOX_QUEUED;

	snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
	snprintf(tries, sizeof tries, "%d", sqlite3_column_int(st, 7));
	ctl_local(sqlite3_column_int64(st, 10), created, sizeof created);
	row[0] = id;
	row[1] = name;
	row[2] = tries;
	row[3] = created;
	row[4] = col(st, 2);
	row[5] = col(st, 4);
	row[6] = col(st, 5);
	table_add(tb, row);
	if (state == OUTBOX_BOUNCED) {
		/* Its status and the server's words, under its line. */
		ctl_local(sqlite3_column_int64(st, 14), next, sizeof next);
		err = xasprintf("bounced %s: %s%s%s", next, col(st, 12) ?
		    col(st, 12) : "-", col(st, 13) ? " " : "", col(st, 13) ?
		    col(st, 13) : "");
	} else if (col(st, 9) == NULL || state == OUTBOX_SENT)
		return;
	else {
		ctl_local(sqlite3_column_int64(st, 8), next, sizeof next);
		err = xasprintf("%s%s%s", col(st, 9), queued ?
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
			json_str(&j, "message_id", col(st, 1));
			json_str(&j, "to", col(st, 2));
			json_str(&j, "kind", col(st, 3));
			json_str(&j, "ref", col(st, 4));
			json_str(&j, "subject", col(st, 5));
			json_str(&j, "state", name);
			json_int(&j, "attempts", sqlite3_column_int(st, 7));
			ctl_time(sqlite3_column_int64(st, 8), t2, sizeof t2);
			json_str(&j, "next_try", state == OUTBOX_QUEUED ? t2 :
			    NULL);
			json_str(&j, "error", col(st, 9));
			json_str(&j, "created", t1);
			ctl_time(sqlite3_column_int64(st, 11), t2, sizeof t2);
			json_str(&j, "sent", sqlite3_column_type(st, 11) ==
			    SQLITE_NULL ? NULL : t2);
			json_str(&j, "status", col(st, 12));
			json_str(&j, "diagnostic", col(st, 13));
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
	if (ctl->json && r == 0)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		if (r == 0)
			table_print(tb, stdout);
	}
	table_free(tb);
	return r < 0 ? CTL_FAIL : CTL_OK;
}

/* The audit log, oldest first. */
int
ctl_log(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT id, at, event, "
	    "ref, message_id, detail, hash FROM log ORDER BY id");
	static const char *const head[] = { "ID", "AT", "EVENT", "REF",
	    "MESSAGE-ID", "DETAIL" };
	struct table *tb = table_new(head, nitems(head));
	struct json j;
	char t[32], id[24], at[40];
	int r;

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while ((r = store_row(st, NULL)) > 0) {
		ctl_time(sqlite3_column_int64(st, 1), t, sizeof t);
		if (!ctl->json) {
			snprintf(id, sizeof id, "%lld",
			    (long long)sqlite3_column_int64(st, 0));
			ctl_local(sqlite3_column_int64(st, 1), at, sizeof at);
			table_add(tb, (const char *const[]){ id, at,
			    col(st, 2), col(st, 3), col(st, 4), col(st, 5) });
			continue;
		}
		json_obj_begin(&j, NULL);
		json_int(&j, "id", sqlite3_column_int64(st, 0));
		json_str(&j, "at", t);
		json_str(&j, "event", col(st, 2));
		json_str(&j, "ref", col(st, 3));
		json_str(&j, "message_id", col(st, 4));
		json_str(&j, "detail", col(st, 5));
		json_str(&j, "hash", col(st, 6));
		json_obj_end(&j);
	}
	store_done(st);
	json_arr_end(&j);
	if (ctl->json && r == 0)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		if (r == 0)
			table_print(tb, stdout);
	}
	table_free(tb);
	return r < 0 ? CTL_FAIL : CTL_OK;
}

int
ctl_audit_key(struct ctl *ctl)
{
	char *cause = NULL;

	if (config_audit_key(ctl->conf, &ctl->store->audit_key,
	    &ctl->store->audit_keylen, &cause) != 0) {
		fprintf(stderr, "pactctl: %s\n", cause);
		free(cause);
		return CTL_CONFIG;
	}
	return CTL_OK;
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
			printf("%-20s %-34s %s\n%20s %s\n", t, col(st, 2) ?
			    col(st, 2) : "-", col(st, 3) ? col(st, 3) : "",
			    "", col(st, 5) ? col(st, 5) : "");
			continue;
		}
		json_obj_begin(&j, NULL);
		json_str(&j, "at", t);
		json_str(&j, "message_id", col(st, 1));
		json_str(&j, "from", col(st, 2));
		json_str(&j, "subject", col(st, 3));
		json_str(&j, "kind", col(st, 4));
		json_str(&j, "reason", col(st, 5));
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
