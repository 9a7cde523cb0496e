/* Checks of field values (SPEC section 3): CVR, dates, times, links,
 * purposes. Pure functions, unit-tested. */
#ifndef PACTD_VALIDATE_H
#define PACTD_VALIDATE_H

#include <time.h>

/* A Danish CVR number: 8 digits (spaces allowed) whose weighted sum with
 * 2,7,6,5,4,3,2,1 is divisible by 11. Writes the 8 digits to out[9]. */
int cvr_valid(const char *, char out[9]);

/* "YYYY-MM-DD" or "D.M.YYYY" (also with '/' or '-' in the second form);
 * 0 and the parts when it is a real calendar date. */
int date_parse(const char *, int *y, int *m, int *d);

/* The end of the local day that lies days after t: deadlines are days. */
time_t deadline_after(time_t t, int days);

/* A date as the local midnight that starts it, or end of day. */
time_t date_local(int y, int m, int d, int end_of_day);

/* "YYYY-MM-DD HH:MM", "D.M.YYYY kl. HH.MM", "D.M.YYYY HH:MM" in local time
 * (TZ); 0 and the UTC instant. */
int datetime_parse_local(const char *, time_t *);

/* An http:// or https:// URL with a host and no white space. */
int url_valid(const char *);

/* "1, 3", "1 og 2", "2" → a bit mask of purposes 1-3; -1 when anything
 * else is written. */
int purposes_parse(const char *);

/* "1,3" from a bit mask. */
void purposes_format(int, char *, size_t);

#endif
