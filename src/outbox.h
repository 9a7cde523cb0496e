/* The outbox: mail waits in the database until the SMTP server took it. */
#ifndef PACTD_OUTBOX_H
#define PACTD_OUTBOX_H

#include <signal.h>
#include <time.h>

#include "config.h"
#include "message.h"
#include "smtp.h"
#include "store.h"

/*
 * A mail's states. The database stores each by its name, which pactctl
 * outbox --json shows; SQL that must name one in its text (for a partial
 * index) uses OUTBOX_SQL(OUTBOX_NAME_...), everything else binds
 * outbox_strstate().
 */
enum outbox_state {
	OUTBOX_QUEUED,		/* waiting for its next try */
	OUTBOX_DELIVERING,	/* handed over up to the final dot */
	OUTBOX_SENT,		/* taken by the server */
	OUTBOX_FAILED,		/* refused for good, or given up */
	OUTBOX_BOUNCED		/* refused, or reported undelivered */
};

#define OUTBOX_NAME_QUEUED	"queued"
#define OUTBOX_NAME_DELIVERING	"delivering"
#define OUTBOX_NAME_SENT	"sent"
#define OUTBOX_NAME_FAILED	"failed"
#define OUTBOX_NAME_BOUNCED	"bounced"

#define OUTBOX_SQL(name)	"'" name "'"
/* Mail that is done with, as the partial index outbox_bodies says. */
#define OUTBOX_SQL_DONE		"(" OUTBOX_SQL(OUTBOX_NAME_SENT) ", " \
    OUTBOX_SQL(OUTBOX_NAME_FAILED) ", " OUTBOX_SQL(OUTBOX_NAME_BOUNCED) ")"

const char *outbox_strstate(enum outbox_state);
/* The state a stored name means, or -1. */
int outbox_parse_state(const char *);

/* Move mail id to state to, inside the caller's transaction, when the
 * state machine allows it from the state it is in: 1 when moved (or
 * already there), 0 when not allowed, -1 with *cause. */
int outbox_enter(struct store *, long long id, enum outbox_state to,
    char **cause);

/* Queue a mail inside the caller's transaction. */
int outbox_queue(struct store *, const struct config *,
    const struct outmail *, const char *kind, const char *ref,
    const char *cause_key, time_t now, char **cause);

/* Replies queued to rcpt within the hour before now, counted up to
 * limit; -1 with *cause when the store failed. */
int outbox_recent_replies(struct store *, const char *rcpt, time_t now,
    int limit, char **cause);

/* After a restart: mail left delivering was taken by the server. */
int outbox_recover(struct store *, char **cause);

/* Send what is due. Returns the number sent, or -1 with *cause when the
 * store failed; a server that is down only delays mail (*tempfail). */
int outbox_run(struct store *, struct smtp *, volatile sig_atomic_t *stop,
    int *tempfail, char **cause);

/* Drop the bodies (not the rows) of mail sent, failed or bounced more
 * than days before now; the number dropped, or -1 with *cause. */
int outbox_expire(struct store *, int days, time_t now, char **cause);

struct bounce;

/* Mark the mail a delivery report names as bounced, inside the caller's
 * transaction: 1 when the report names a mail of ours (marked now or
 * before), 0 when it names none, -1 with *cause when the store failed. */
int outbox_bounced(struct store *, const struct bounce *, const char *key,
    time_t now, char **cause);

/* When the next queued mail is due, or 0 when none waits (or the store
 * failed: the next pass tells). */
time_t outbox_next_due(struct store *);

#endif
