/* The public page (SPEC section 10): index.html, pact.json and feed.atom
 * in [page] output_dir, each written atomically. Never a person's mail
 * address, a ballot or a rejected nomination. */
#ifndef PACTD_PAGE_H
#define PACTD_PAGE_H

#include <time.h>

#include "config.h"
#include "store.h"

int page_render(const struct config *, struct store *, time_t now,
    char **cause);

/* Write data to path through a temporary file and rename. */
int page_write_atomic(const char *path, const char *data, size_t len,
    char **cause);

#endif
