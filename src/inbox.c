/*
 * A pass over INBOX. Messages are fetched a chunk at a time in one UID
 * FETCH, processed and committed together in one transaction, and then
 * moved with one UID MOVE per folder: a round trip per chunk rather than
 * two per message, one fsync, and one update of each folder's index
 * (Dovecot rewrites a maildir's uidlist on every MOVE). A kill between
 * the commit and the MOVE only leaves answered messages in INBOX, which
 * the next pass recognises by their keys and moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "imap.h"
#include "inbox.h"
#include "log.h"
#include "process.h"
#include "store.h"
#include "util.h"
#include "watchdog.h"

/* A chunk: at most this many messages and, past its first, this many
 * bytes, so that memory stays small whatever the INBOX holds. */
#define CHUNK_MAX	256
#define CHUNK_BYTES	(1024 * 1024)
#define FOLDERS_MAX	4	/* Processed, Rejected, Quarantine, Ignored */
#define SIZE_WINDOW	512	/* sizes asked for at a time */

/* The chunk's messages waiting to be moved, by folder. */
struct moves {
	const char	*folder[FOLDERS_MAX];
	uint32_t	 uids[FOLDERS_MAX][CHUNK_MAX];
	size_t		 n[FOLDERS_MAX];
	size_t		 nfolders;
};

static int
stopping(const struct pact *p)
{
	return p->stop != NULL && *p->stop;
}

static void
moves_add(struct moves *mv, const char *folder, uint32_t uid)
{
	size_t f;

	for (f = 0; f < mv->nfolders; f++)
		if (strcmp(mv->folder[f], folder) == 0)
			break;
	if (f == mv->nfolders) {
		if (f == FOLDERS_MAX)
			fatalx("inbox: more than %d folders", FOLDERS_MAX);
		mv->folder[mv->nfolders++] = folder;
		mv->n[f] = 0;
	}
	mv->uids[f][mv->n[f]++] = uid;
}

static int
moves_flush(struct pact *p, struct moves *mv, char **cause)
{
	int rc = 0;

	for (size_t f = 0; f < mv->nfolders && rc == 0; f++)
		rc = imap_move(p->imap, mv->uids[f], mv->n[f], mv->folder[f],
		    cause);
	mv->nfolders = 0;
	return rc;
}

/* A new UIDVALIDITY means the server renumbered the mailbox: UIDs start
 * afresh; the message keys still stop old mail from running again. -1
 * with *cause when the store cannot be read. */
static int
check_uidvalidity(struct pact *p, char **cause)
{
	char *old, now[32], *why = NULL;

	if (store_meta_get(p->store, "uidvalidity", &old, cause) < 0)
		return -1;
	snprintf(now, sizeof now, "%u", imap_uidvalidity(p->imap));
	if (old != NULL && strcmp(old, now) != 0)
		log_warnx("imap: UIDVALIDITY changed from %s to %s; reading "
		    "the mailbox afresh", old, now);
	if (old == NULL || strcmp(old, now) != 0) {
		if (store_meta_set(p->store, "uidvalidity", now, &why) != 0 ||
		    store_meta_set(p->store, "last_uid", "0", &why) != 0) {
			log_warnx("%s", why);
			free(why);
		}
	}
	free(old);
	return 0;
}

/* The highest UID seen, once a pass: for the record and the logs. */
static void
note_uid(struct pact *p, uint32_t uid)
{
	char *last, buf[32], *cause = NULL;

	if (store_meta_get(p->store, "last_uid", &last, &cause) < 0) {
		log_warnx("%s", cause);
		free(cause);
		return;
	}
	if (uid > 0 && (last == NULL || strtoul(last, NULL, 10) < uid)) {
		snprintf(buf, sizeof buf, "%u", uid);
		if (store_meta_set(p->store, "last_uid", buf, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
		}
	}
	free(last);
}

/* How many messages from i on make the next chunk. A message over the
 * size limit is a chunk of its own: only its header is fetched. */
static size_t
chunk_len(const uint32_t *sizes, size_t i, size_t n, size_t limit,
    int *toobig)
{
	size_t k = 1, bytes = sizes[i];

	*toobig = sizes[i] > limit;
	if (*toobig)
		return 1;
	while (i + k < n && k < CHUNK_MAX && sizes[i + k] <= limit &&
	    bytes + sizes[i + k] <= CHUNK_BYTES)
		bytes += sizes[i + k++];
	return k;
}

/* Fetch a chunk, decide on each message and commit them together (one
 * fsync rather than one a message), then move them. Returns how many
 * were handled, or -1 as for inbox_pass: a store failure rolls the whole
 * chunk back, and its messages wait in INBOX for the next pass. */
static int
inbox_chunk(struct pact *p, const uint32_t *uids, size_t k, int toobig,
    int *imap_down, char **cause)
{
	struct imap_msg *msgs = xcalloc(k, sizeof *msgs);
	struct moves mv = { .nfolders = 0 };
	const char *folder;
	int done = 0, rc = 0;

	if (imap_fetch(p->imap, uids, k, toobig, msgs, cause) != 0) {
		free(msgs);
		return -1;
	}
	if (store_begin(p->store, cause) != 0)
		rc = -1;
	for (size_t j = 0; rc == 0 && j < k && !stopping(p); j++) {
		if (msgs[j].raw == NULL)
			continue;	/* gone meanwhile: nothing to do */
		if (process_message(p, msgs[j].raw, msgs[j].len, toobig,
		    &folder, cause) != 0)
			rc = -1;
		else {
			moves_add(&mv, folder, uids[j]);
			done++;
		}
	}
	for (size_t j = 0; j < k; j++)
		free(msgs[j].raw);
	free(msgs);
	if (rc == 0 && store_commit(p->store, cause) != 0)
		rc = -1;
	if (rc != 0) {
		store_rollback(p->store);
		*imap_down = 0;
		return -1;
	}
	fault_point("after-commit");
	if (moves_flush(p, &mv, cause) != 0)
		return -1;
	return done;
}

int
inbox_pass(struct pact *p, int *imap_down, char **cause)
{
	size_t limit = (size_t)p->conf->max_message_bytes;
	uint32_t *uids, sizes[SIZE_WINDOW], last = 0;
	size_t n, nw, k;
	int done = 0, rc = 0, toobig, r;

	*imap_down = 0;
	if (check_uidvalidity(p, cause) != 0)
		return -1;
	*imap_down = 1;
	if (imap_uids(p->imap, &uids, &n, cause) != 0)
		return -1;
	for (size_t w = 0; rc == 0 && w < n && !stopping(p); w += nw) {
		nw = n - w < SIZE_WINDOW ? n - w : SIZE_WINDOW;
		if (imap_sizes(p->imap, uids + w, nw, sizes, cause) != 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; rc == 0 && i < nw && !stopping(p); i += k) {
			k = chunk_len(sizes, i, nw, limit, &toobig);
			watchdog_feed();
			if ((r = inbox_chunk(p, uids + w + i, k, toobig,
			    imap_down, cause)) < 0)
				rc = -1;
			else if (r > 0) {
				last = uids[w + i + k - 1];
				done += r;
			}
		}
	}
	note_uid(p, last);
	free(uids);
	return rc != 0 ? -1 : done;
}
