/*
 * Meetings (SPEC section 5), as a state machine:
 *
 *   SCHEDULED --update (SEQUENCE + 1)--> SCHEDULED --cancel--> CANCELLED
 *
 * Every change sends each attendee one iMIP mail built by ical.c.
 */
#ifndef PACTD_MEETING_H
#define PACTD_MEETING_H

#include <time.h>

#include "ical.h"
#include "pact.h"
#include "template.h"

enum meeting_state { MEETING_SCHEDULED, MEETING_CANCELLED };

struct meeting {
	char *ref;
	char *uid;
	char *title;
	time_t start, end;
	char *location;
	char *agenda;		/* one item a line */
	enum meeting_state state;
	int sequence;
};

const char *meeting_state_name(enum meeting_state);

/* Load a meeting by reference or UID: 1, 0 when there is none, or -1
 * with *cause when the store failed. */
int meeting_load(struct store *, const char *ref, const char *uid,
    struct meeting *, char **cause);
void meeting_free(struct meeting *);

/* Create: store it, its attendees, and queue the invitations. */
int meeting_create(struct pact *, struct meeting *, time_t now,
    char **cause);

/* Store a changed meeting (SEQUENCE + 1) and send the update to all. */
int meeting_update(struct pact *, struct meeting *, int times_changed,
    time_t now, char **cause);

/* Cancel and send METHOD:CANCEL to all. */
int meeting_cancel(struct pact *, struct meeting *, time_t now,
    char **cause);

/* An attendee's answer; 0, or 1 when the address is not an attendee. */
int meeting_set_partstat(struct pact *, const struct meeting *,
    const char *addr, enum ical_partstat, const char *msgkey, char **cause);

/* A new participant is invited to every coming meeting; one who leaves
 * gets a cancellation for each. */
int meeting_participant_joined(struct pact *, const char *addr,
    const char *name, time_t now, char **cause);
int meeting_participant_left(struct pact *, const char *addr, time_t now,
    char **cause);

/* The secretariat is reminded when no meeting is set within
 * cadence_months of the last. */
int meeting_timers(struct pact *, time_t now, char **cause);

/* Variables describing a meeting for mails, in lang. */
void meeting_vars(const struct meeting *, const char *lang,
    struct tvars *);

#endif
