/* The pact's mailbox over IMAP (libetpan): connect, list, fetch, move,
 * wait for new mail with IDLE or by polling. */
#ifndef PACTD_IMAP_H
#define PACTD_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct imap;

enum imap_wake { IMAP_WAKE_MAIL, IMAP_WAKE_TIMEOUT, IMAP_WAKE_SIGNAL,
    IMAP_WAKE_ERROR };

struct imap *imap_new(const struct config *);
void imap_free(struct imap *);

/* Connect, verify TLS, log in, create the folders, select the mailbox. */
int imap_connect(struct imap *, char **cause);
void imap_disconnect(struct imap *);
int imap_connected(const struct imap *);

uint32_t imap_uidvalidity(const struct imap *);

/* Every UID in the selected mailbox, ascending. */
int imap_uids(struct imap *, uint32_t **uids, size_t *n, char **cause);

/* The sizes of the messages, in one round trip (0: gone). */
int imap_sizes(struct imap *, const uint32_t *uids, size_t n,
    uint32_t *sizes, char **cause);

struct imap_msg {
	char	*raw;		/* NULL: the message has gone meanwhile */
	size_t	 len;
};

/* The raw messages (or only their headers) of the ascending uids, in one
 * round trip; out[i] for uids[i]. */
int imap_fetch(struct imap *, const uint32_t *uids, size_t n,
    int header_only, struct imap_msg *out, char **cause);

/* Move messages to a folder (named with '/', the server's delimiter is
 * used), in one command. */
int imap_move(struct imap *, const uint32_t *uids, size_t n,
    const char *folder, char **cause);

/* The libetpan session, for pactd --check-config --connect. */
struct mailimap *imap_session(struct imap *);

/* Wait for new mail, a signal (readable sigfd) or the timeout. */
enum imap_wake imap_wait(struct imap *, int timeout_ms, int sigfd,
    char **cause);

#endif
