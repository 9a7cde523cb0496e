/* pactctl outbox, log, verify-log: what pactd sent and did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "ctl.h"
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

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

/* A bounced mail's status and the server's words, under its line. */
static void
outbox_bounce_line(sqlite3_stmt *st)
{
	char t[32];

	ctl_time(sqlite3_column_int64(st, 14), t, sizeof t);
	printf("      bounced %s: %s%s%s\n", t, col(st, 12) ? col(st, 12) :
	    "-", col(st, 13) ? " " : "", col(st, 13) ? col(st, 13) : "");
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
	struct json j;
	char t1[32], t2[32];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	if (!ctl->json)
		printf("%-5s %-8s %-3s %-20s %-34s %-14s %s\n", "ID", "STATE",
		    "TRY", "CREATED", "TO", "REF", "SUBJECT / LAST ERROR");
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_time(sqlite3_column_int64(st, 10), t1, sizeof t1);
		if (ctl->json) {
			json_obj_begin(&j, NULL);
			json_int(&j, "id", sqlite3_column_int64(st, 0));
			json_str(&j, "message_id", col(st, 1));
			json_str(&j, "to", col(st, 2));
			json_str(&j, "kind", col(st, 3));
			json_str(&j, "ref", col(st, 4));
			json_str(&j, "subject", col(st, 5));
			json_str(&j, "state", col(st, 6));
			json_int(&j, "attempts", sqlite3_column_int(st, 7));
			ctl_time(sqlite3_column_int64(st, 8), t2, sizeof t2);
			json_str(&j, "next_try", strcmp(col(st, 6), "queued") ?
			    NULL : t2);
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
		printf("%-5lld %-8s %-3d %-20s %-34s %-14s %s\n",
		    (long long)sqlite3_column_int64(st, 0), col(st, 6),
		    sqlite3_column_int(st, 7), t1, col(st, 2),
		    col(st, 4) ? col(st, 4) : "-", col(st, 5));
		if (strcmp(col(st, 6), "bounced") == 0)
			outbox_bounce_line(st);
		else if (col(st, 9) != NULL && strcmp(col(st, 6), "sent") != 0) {
			ctl_time(sqlite3_column_int64(st, 8), t2, sizeof t2);
			printf("      %s%s%s\n", col(st, 9),
			    strcmp(col(st, 6), "queued") ? "" : "; next try ",
			    strcmp(col(st, 6), "queued") ? "" : t2);
		}
	}
	store_done(st);
	json_arr_end(&j);
	if (ctl->json)
		ctl_print_json(&j);
	else
		free(json_finish(&j));
	return CTL_OK;
}

/* The audit log, oldest first. */
int
ctl_log(struct ctl *ctl, int argc, char **argv)
{
	sqlite3_stmt *st = store_prepare(ctl->store, "SELECT id, at, event, "
	    "ref, message_id, detail, hash FROM log ORDER BY id");
	struct json j;
	char t[32];

	json_init(&j, 1);
	json_arr_begin(&j, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_time(sqlite3_column_int64(st, 1), t, sizeof t);
		if (!ctl->json) {
			printf("%lld %s %s%s%s%s%s%s: %s\n",
			    (long long)sqlite3_column_int64(st, 0), t,
			    col(st, 2), col(st, 3) ? " " : "",
			    col(st, 3) ? col(st, 3) : "",
			    col(st, 4) ? " <" : "", col(st, 4) ? col(st, 4) :
			    "", col(st, 4) ? ">" : "", col(st, 5));
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
	if (ctl->json)
		ctl_print_json(&j);
	else
		free(json_finish(&j));
	return CTL_OK;
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
