/*
 * The drafted annual status (SPEC section 11): the year's record from the
 * store, as text the secretariat edits and sends back as ÅRSSTATUS, and as
 * JSON for pactctl draft-status. Mailed once a year on [status] draft_date.
 */
#ifndef PACTD_DRAFT_H
#define PACTD_DRAFT_H

#include <time.h>

#include "config.h"
#include "json.h"
#include "pact.h"
#include "store.h"

/* Width of the status text before it is indented under "Status:". */
#define DRAFT_WIDTH	74
#define DRAFT_INDENT	2

/* "MM-DD" as a month and a day that some year has; 0, or -1. */
int draft_date_parse(const char *, int *month, int *day);

/* The year that a draft made in year y on a day of month covers: the
 * year that just ended when the day is in the first half of the year
 * (01-15 drafts last year), the year itself otherwise (12-15 drafts the
 * year about to end). */
int draft_covered_year(int y, int month);

/* Purposes "1,3" as bits: 1 << (purpose - 1). */
unsigned draft_purposes(const char *);

/* Each line of text indented by n blanks; blank lines stay empty. */
char *draft_indent(const char *text, int n);

/*
 * The draft for year: *subject and *body as the secretariat gets them (in
 * lang), and, when j is not NULL, the record's members written into the
 * caller's open JSON object. 0, or -1 with *cause (a template failed).
 */
int draft_build(const struct config *, struct store *, int year,
    const char *lang, time_t now, struct json *j, char **subject,
    char **body, char **cause);

/* On draft_date (or the first pass after it) the draft goes to the
 * secretariat, once for each year, in one transaction with its mark. */
int draft_timers(struct pact *, time_t now, char **cause);

#endif
