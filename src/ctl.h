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

/* Print a finished JSON document or plain text. */
void ctl_print_json(struct json *);
void ctl_time(time_t, char *, size_t);	/* UTC, ISO 8601 */
/* Give the store the audit key, if one is configured; CTL_OK or
 * CTL_CONFIG after saying why. */
int ctl_audit_key(struct ctl *);
void ctl_local(time_t, char *, size_t);	/* [pact] timezone, for people */
void ctl_field(const char *, const char *);	/* "label: value", one line */

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
