/* pactd --check-config --connect: both servers tried for real. */
#ifndef PACTD_PROBE_H
#define PACTD_PROBE_H

#include <stdio.h>

#include "config.h"

/* Log in to IMAP and SMTP, list capabilities and folders, send a probe to
 * the pact's +probe- subaddress and wait for it; every step and failure
 * one line on out. Returns an exit status (0, or 69 when a step failed). */
int probe_run(const struct config *, FILE *out);

#endif
