/* IMAP AUTHENTICATE OAUTHBEARER or XOAUTH2 with an [oauth2] token. */
#ifndef PACTD_IMAP_OAUTH2_H
#define PACTD_IMAP_OAUTH2_H

#include <libetpan/libetpan.h>

#include "config.h"

enum imap_oauth2_result { IMAP_OAUTH2_OK, IMAP_OAUTH2_REFUSED,
    IMAP_OAUTH2_ERROR };

/* Log in as [imap] user; a refused token is replaced and tried once
 * more. Not OK: *cause says why. */
enum imap_oauth2_result imap_oauth2_login(mailimap *, const struct config *,
    char **cause);

#endif
