/* Associate members. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "meeting.h"
#include "member.h"
#include "notify.h"
#include "util.h"

/* The welcome mail to the new member's contact. */
static int
member_welcome(struct pact *p, const char *ref, const char *org,
    const char *addr, const char *name, time_t now, char **cause)
{
	struct tvars *v = notice_vars(p);
	struct notice n = {
		.to_addr = addr,
		.to_name = name,
		.lang = p->conf->default_language,
		.tmpl = "welcome.txt",
		.vars = v,
		.kind = "welcome",
		.ref = ref,
		.cause_key = ref,
		.auto_generated = 1,
	};
	int rc;

	tvars_set(v, "ref", ref);
	tvars_set(v, "organisation", org);
	tvars_set(v, "name", name);
	rc = notice_queue(p, &n, now, cause);
	tvars_free(v);
	return rc;
}

int
member_admit(struct pact *p, const char *ref, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "INSERT INTO associates("
	    "ref, organisation, type, cvr, contact_name, contact_addr, "
	    "nominated_by, approved) SELECT ref, organisation, type, cvr, "
	    "contact_name, contact_addr, party, ? FROM nominations WHERE "
	    "ref = ? RETURNING organisation, contact_addr, contact_name");
	char *org = NULL, *addr = NULL, *name = NULL;
	int rc = -1;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		org = store_col(st, 0);
		addr = store_col(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			name = store_col(st, 2);
	}
	if (store_done(st) != SQLITE_OK || org == NULL) {
		*cause = xasprintf("%s: cannot admit: %s", ref,
		    sqlite3_errmsg(p->store->db));
		goto out;
	}
	log_info("%s: %s admitted as an associate member", ref, org);
	if (audit_append(p->store, "member admitted", ref, NULL, org,
	    cause) != 0 ||
	    member_welcome(p, ref, org, addr, name, now, cause) != 0)
		goto out;
	if (meeting_participant_joined(p, addr, name, now, cause) != 0)
		goto out;
	rc = 0;
out:
	free(org);
	free(addr);
	free(name);
	return rc;
}

int
member_withdraw(struct pact *p, const char *ref, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(p->store, "UPDATE associates SET "
	    "state = 'withdrawn', withdrawn = ? WHERE ref = ? AND state = "
	    "'active' RETURNING organisation, contact_addr");
	char *org = NULL, *addr = NULL;
	int rc = -1;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		org = store_col(st, 0);
		addr = store_col(st, 1);
	}
	if (store_done(st) != SQLITE_OK || org == NULL) {
		*cause = xasprintf("%s: cannot withdraw: %s", ref,
		    sqlite3_errmsg(p->store->db));
		goto out;
	}
	log_info("%s: %s withdrew", ref, org);
	if (audit_append(p->store, "member withdrawn", ref, NULL, org,
	    cause) != 0)
		goto out;
	if (meeting_participant_left(p, addr, now, cause) != 0)
		goto out;
	rc = 0;
out:
	free(org);
	free(addr);
	return rc;
}
