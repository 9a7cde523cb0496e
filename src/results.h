/*
 * Results since the last meeting (SPEC section 11): what the pact created
 * between the start of the previous meeting that was not cancelled and a
 * meeting (new associates, initiatives, declarations new and changed,
 * annual statuses), for the invitations and the meeting's page entry.
 * Before the first meeting the window opens when the pact began.
 */
#ifndef PACTD_RESULTS_H
#define PACTD_RESULTS_H

#include <time.h>

#include "config.h"
#include "store.h"
#include "template.h"

#define RESULTS_MAX	50	/* items of one kind shown; the rest counted */

struct result {
	char *ref;
	char *name;	/* organisation, title, party or year */
	char *by;	/* an initiative's owner, a declaration's party id */
	int version;	/* a declaration's version; above 1: changed */
};

struct result_list {
	struct result *v;
	size_t n;
	size_t more;	/* items past RESULTS_MAX */
};

struct results {
	char *previous;		/* the previous meeting's ref, or NULL */
	time_t since;		/* its start; 0: since the pact began */
	time_t until;		/* the meeting's start, or now if earlier */
	struct result_list associates, initiatives, declarations, statuses;
};

/* Gather the results for the meeting ref starting at start, as they
 * stand at now. */
void results_gather(struct store *, const struct config *, const char *ref,
    time_t start, time_t now, struct results *);
/* The same for any window [since, until], into a zeroed struct results
 * (previous stays NULL): for a year's record, say. */
void results_window(struct store *, const struct config *, time_t since,
    time_t until, struct results *);
void results_free(struct results *);

/* How many things happened in the window, shown or counted. */
size_t results_count(const struct results *);

/* Variables for a mail template, in lang: results_previous and
 * results_since, has_results, and for each kind a list (results_associates,
 * results_initiatives, results_declarations, results_statuses) of items
 * with ref, name (by, changed), a has_ flag and a _more count. */
void results_vars(const struct results *, const char *lang, struct tvars *);

/* One short line for a calendar's DESCRIPTION, owned. */
char *results_line(const struct results *, const char *lang);

#endif
