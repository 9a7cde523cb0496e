/* The daily notice to the secretariat of mail that bounced. */
#ifndef PACTD_BOUNCE_NOTICE_H
#define PACTD_BOUNCE_NOTICE_H

#include <time.h>

#include "pact.h"

/* Once a local calendar day at most: one notice to the secretariat
 * listing the bounces it has not been told of. 0, or -1 with *cause. */
int bounce_notice_run(struct pact *, time_t now, char **cause);

#endif
