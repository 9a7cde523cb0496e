/* The public page (SPEC section 10): index.html, pact.json and feed.atom
 * in [page] output_dir, each written atomically. Never a person's mail
 * address, a ballot or a rejected nomination. */
#ifndef PACTD_PAGE_H
#define PACTD_PAGE_H

#include <time.h>

#include "config.h"
#include "store.h"
#include "util.h"

/* Write the three files, each on its own; returns how many failed, each
 * failure added to *failed as "FILE: cause" for the caller to log. */
int page_render(const struct config *, struct store *, time_t now,
    struct strv *failed);

#endif
