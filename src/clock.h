/* The time, settable for tests and demos with PACTD_NOW. */
#ifndef PACTD_CLOCK_H
#define PACTD_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Read PACTD_NOW; -1 with a message when it is malformed. */
int clock_init(char **cause);
time_t clock_now(void);
/* Parse "YYYY-MM-DDTHH:MM:SSZ"; -1 when malformed. */
time_t clock_parse_utc(const char *);
/* "2026-11-28T10:00:00Z" */
void clock_format_utc(time_t, char *, size_t);
/* RFC 5322 date in UTC: "Sat, 28 Nov 2026 10:00:00 +0000" */
void clock_format_rfc5322(time_t, char *, size_t);

/* A time in the local zone (TZ = [pact] timezone), as people of lang
 * write it: "28.11.2026 kl. 10.00" or "2026-11-28 10:00". */
void clock_format_local(const char *lang, time_t, char *, size_t);

#endif
