/* Sending one message over SMTP with libcurl, reusing the connection. */
#ifndef PACTD_SMTP_H
#define PACTD_SMTP_H

#include <stddef.h>

#include "config.h"

enum smtp_result { SMTP_OK, SMTP_TEMPFAIL, SMTP_PERMFAIL };

struct smtp;

struct smtp *smtp_new(const struct config *);
void smtp_free(struct smtp *);
enum smtp_result smtp_send(struct smtp *, const char *rcpt, const char *data,
    size_t len, char **cause);

#endif
