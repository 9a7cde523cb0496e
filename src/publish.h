/* Publishing the page (SPEC section 10): after every change of the files
 * in output_dir, upload them to [page] publish_url, retrying with a
 * growing back-off. What was uploaded, and the state, are kept in the
 * database, so that a restart goes on where the last run stopped. */
#ifndef PACTD_PUBLISH_H
#define PACTD_PUBLISH_H

#include <signal.h>
#include <time.h>

#include "config.h"
#include "store.h"

enum publish_state {
	PUBLISH_OFF,		/* no publish_url */
	PUBLISH_CURRENT,	/* the server has every file as it is here */
	PUBLISH_PENDING,	/* files changed: uploading at the next pass */
	PUBLISH_FAILING,	/* the last attempt failed: next_try */
};

struct publish_file {
	char *name;
	int current;		/* the server has it as it is here */
	time_t uploaded;	/* when this file last went up, or 0 */
};

struct publish_status {
	enum publish_state state;
	int attempts;		/* failed attempts in a row */
	time_t next_try, last_success, last_error_at;
	char *last_error;	/* or NULL */
	struct publish_file *files;
	size_t nfiles;
};

const char *publish_strstate(enum publish_state);

/* Upload what changed, or retry when due; a failed upload is recorded and
 * logged here. -1 and *cause only when the database failed. */
int publish_run(const struct config *, struct store *,
    volatile sig_atomic_t *stop, char **cause);

/* When publish_run has work again: 0 for none. */
time_t publish_next_due(const struct config *, struct store *);

/* The state and every file, for pactctl. */
void publish_status(const struct config *, struct store *,
    struct publish_status *);
void publish_status_free(struct publish_status *);

#endif
