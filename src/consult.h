/* The advisory board's consultation on an annual status: mails with a
 * reply token to every member, comments, publication at the deadline. */
#ifndef PACTD_CONSULT_H
#define PACTD_CONSULT_H

#include <time.h>

#include "pact.h"

/* Queue the consultation mails for a new status. */
int consult_open(struct pact *, const char *ref, time_t now, char **cause);

/* Close consultations whose deadline passed: comments are published. */
int consult_timers(struct pact *, time_t now, char **cause);

/* Where status PDFs are kept: beside the database. */
char *consult_pdf_path(const struct config *, const char *ref);

#endif
