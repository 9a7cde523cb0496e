/* The advisory board as sparring partner on initiatives (SPEC section
 * 11): every new initiative goes to each member with a reply token; a
 * member's answer is kept, counted on the page and forwarded to the
 * initiative's sender with Reply-To: the member. */
#ifndef PACTD_SPARRING_H
#define PACTD_SPARRING_H

#include <time.h>

#include "pact.h"

/* An advisory board member's answer on an initiative. */
struct sparring {
	const char *initiative;	/* the initiative's reference */
	const char *addr;	/* the member as the roster has them */
	const char *name;	/* or NULL */
	const char *text;	/* the member's new text only */
	const char *cause_key;	/* the answer's message key */
};

/* Send the initiative ref to every advisory board member, each with the
 * member's own token, inside the caller's transaction. */
int sparring_open(struct pact *, const char *ref, time_t now, char **cause);

/* Whether the initiative exists; its title into *title (owned) if so.
 * 1, 0, or -1 with *cause. */
int sparring_initiative(struct store *, const char *ref, char **title,
    char **cause);

/* What became of the forward to the initiative's sender. */
enum sparring_fate {
	SPARRING_FORWARDED,	/* in the outbox */
	SPARRING_HELD_RATE,	/* reply_rate_per_hour mails this hour */
	SPARRING_HELD_GONE,	/* the sender is no longer on the roster */
};

/* Keep an answer under a new reference (*ref, owned) and forward it to
 * the initiative's sender, inside the caller's transaction. */
int sparring_keep(struct pact *, const struct sparring *, time_t now,
    char **ref, enum sparring_fate *, char **cause);

#endif
