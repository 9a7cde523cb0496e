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
