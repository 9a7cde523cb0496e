/* Associate members: admitted when their ballot is approved, withdrawn
 * by their contact or the secretariat. */
#ifndef PACTD_MEMBER_H
#define PACTD_MEMBER_H

#include <time.h>

#include "pact.h"

/* Make the nominee of an approved ballot an active associate; welcome its
 * contact, who is invited to the coming meetings. Inside the caller's
 * transaction. */
int member_admit(struct pact *, const char *ref, time_t now, char **cause);

/* Withdraw an active associate; its contact gets cancellations. */
int member_withdraw(struct pact *, const char *ref, time_t now,
    char **cause);

#endif
