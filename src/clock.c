/* The clock. PACTD_NOW fixes the start time; the clock then runs on from
 * it, so that timers and back-off still move during a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "util.h"

static time_t clock_offset;

time_t
clock_parse_utc(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (strcmp(end, "Z") != 0 && *end != '\0'))
		return -1;
	return timegm(&tm);
}

int
clock_init(char **cause)
{
	const char *env = getenv("PACTD_NOW");
	time_t t;

	clock_offset = 0;
	if (env == NULL || *env == '\0')
		return 0;
	if ((t = clock_parse_utc(env)) == -1) {
		*cause = xasprintf("PACTD_NOW=%s is not YYYY-MM-DDTHH:MM:SSZ",
		    env);
		return -1;
	}
	clock_offset = t - time(NULL);
	return 0;
}

time_t
clock_now(void)
{
	return time(NULL) + clock_offset;
}

void
clock_format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
clock_format_rfc5322(time_t t, char *buf, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "28.11.2026 kl. 10.00" or "28 Nov 2026 10:00", in the pact's zone. */
void
clock_format_local(const char *lang, time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strcmp(lang, "en") == 0)
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	else
		strftime(buf, len, "%-d.%-m.%Y kl. %H.%M", &tm);
}
