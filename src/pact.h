/* What every part of the daemon shares while it runs. */
#ifndef PACTD_PACT_H
#define PACTD_PACT_H

#include <signal.h>
#include <time.h>

#include "config.h"
#include "imap.h"
#include "smtp.h"
#include "store.h"
#include "util.h"

struct pact {
	struct config *conf;
	struct store *store;
	struct imap *imap;
	struct smtp *smtp;
	volatile sig_atomic_t *stop;
	long long rendered;	/* audit entry the page was rendered at */
	struct strv page_failed; /* the page's files that failed last time */
};

#endif
