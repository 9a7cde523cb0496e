/* Associate members: admitted when their ballot is approved, withdrawn
 * by their contact or the secretariat. */
#ifndef PACTD_MEMBER_H
#define PACTD_MEMBER_H

#include <time.h>

#include "pact.h"

/* Make the nominee of an approved ballot an active associate; welcome its
 * contact. Inside the caller's transaction. */
int member_admit(struct pact *, const char *ref, time_t now, char **cause);

/* Withdraw an active associate. */
int member_withdraw(struct pact *, const char *ref, time_t now,
    char **cause);

/* Hooks for meetings: a new participant is invited to coming meetings, a
 * leaving one gets cancellations. Set by meeting.c; may be NULL. */
extern int (*member_joined_hook)(struct pact *, const char *addr,
    const char *name, time_t now, char **cause);
extern int (*member_left_hook)(struct pact *, const char *addr, time_t now,
    char **cause);

#endif
