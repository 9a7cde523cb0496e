/* The outbox: mail waits in the database until the SMTP server took it. */
#ifndef PACTD_OUTBOX_H
#define PACTD_OUTBOX_H

#include <signal.h>
#include <time.h>

#include "config.h"
#include "message.h"
#include "smtp.h"
#include "store.h"

/* Queue a mail inside the caller's transaction. */
int outbox_queue(struct store *, const struct config *,
    const struct outmail *, const char *kind, const char *ref,
    const char *cause_key, time_t now, char **cause);

/* Replies queued to rcpt within the hour before now, counted up to
 * limit. */
int outbox_recent_replies(struct store *, const char *rcpt, time_t now,
    int limit);

/* Mail left 'sending' by a killed run goes back to the queue. */
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

/* When the next queued mail is due, or 0 when none waits. */
time_t outbox_next_due(struct store *);

#endif
