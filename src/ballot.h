/*
 * Ballots on associate members (SPEC section 4), as a state machine:
 *
 *   OPEN -> APPROVED | REJECTED | LAPSED
 *
 * ballot_rule() is the one place where the majority rule and the closing
 * rule are decided; the closer, the tally and pactctl all call it.
 */
#ifndef PACTD_BALLOT_H
#define PACTD_BALLOT_H

#include <time.h>

#include "config.h"
#include "pact.h"
#include "template.h"

enum ballot_state { BALLOT_OPEN, BALLOT_APPROVED, BALLOT_REJECTED,
    BALLOT_LAPSED };

struct tally {
	int yes, no, abstain;
	int voted;		/* parties that voted */
	int parties;		/* N, the founding parties */
};

/* The outcome the votes give now, or BALLOT_OPEN while it can change;
 * at the deadline it is always decided. */
enum ballot_state ballot_rule(int majority, int quorum, const struct tally *,
    int deadline_passed);

const char *ballot_state_name(enum ballot_state);
enum ballot_state ballot_state_parse(const char *);

/* Count the ballot's votes; -1 with *cause when the store failed. */
int ballot_tally(struct store *, const char *ref, int nparties,
    struct tally *, char **cause);

/* Open the ballot for an accepted nomination and queue the ballot mails. */
int ballot_open(struct pact *, const char *ref, time_t now, char **cause);

/* Close the ballot when its outcome is decided; result mails, admission. */
int ballot_settle(struct pact *, const char *ref, time_t now, char **cause);

/* Deadlines and reminders that are due. */
int ballot_timers(struct pact *, time_t now, char **cause);

/* Variables describing a ballot (nominee, deadline, tally) for mails; -1
 * with *cause when the store failed. */
int ballot_vars(struct pact *, const char *ref, const char *lang,
    struct tvars *, char **cause);

#endif
