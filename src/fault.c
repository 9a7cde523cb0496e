/* Crash points (see fault.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"

void
fault_point(const char *name)
{
	const char *want = getenv("PACTD_FAULT");

	if (want == NULL || strcmp(want, name) != 0)
		return;
	log_warnx("fault point %s reached: killing myself", name);
	raise(SIGKILL);
}

int
fault_read(const char *sql)
{
	static int done;
	const char *want;

	if (done || (want = getenv("PACTD_FAULT_READ")) == NULL ||
	    *want == '\0' || sql == NULL || strstr(sql, want) == NULL)
		return 0;
	done = 1;
	log_warnx("read fault: failing \"%.60s\"", sql);
	return 1;
}
