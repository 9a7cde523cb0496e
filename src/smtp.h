/* Sending one message over SMTP with libcurl, reusing the connection. */
#ifndef PACTD_SMTP_H
#define PACTD_SMTP_H

#include <stddef.h>

#include "config.h"

/* SMTP_REFUSED: the recipient or the message refused for good at RCPT or
 * DATA (a bounce); SMTP_PERMFAIL: any other permanent refusal. */
enum smtp_result { SMTP_OK, SMTP_TEMPFAIL, SMTP_PERMFAIL, SMTP_REFUSED };

struct smtp;

struct smtp *smtp_new(const struct config *);
void smtp_free(struct smtp *);

/*
 * Send one message from the pact's address with the subaddress detail
 * (pagt+DETAIL@, for bounces) or, when detail is NULL, the address itself.
 * before_end, when set, is called once all of the
 * message has been handed over and before the final "." that makes the
 * server take it; a non-zero return aborts the transaction. The outbox
 * records "the dot is leaving" there, so that a kill can neither lose nor
 * double a mail except in the microseconds between that record and the
 * write of the dot.
 */
enum smtp_result smtp_send(struct smtp *, const char *detail,
    const char *rcpt, const char *data, size_t len, int (*before_end)(void *),
    void *arg, char **cause);

/* The server's last refusal in the last send, one line ("550 5.1.1 no
 * such user"), or "". */
const char *smtp_last_reply(const struct smtp *);

/* Why the last mail was not taken, for the service status. */
const char *smtp_last_error(const struct smtp *);

#endif
