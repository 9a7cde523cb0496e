/* feed.atom for the public page. */
#ifndef PACTD_FEED_H
#define PACTD_FEED_H

#include <time.h>

#include "config.h"
#include "store.h"

/* The feed in lang; entries link to ids that html (index.html, or NULL
 * when it could not be written) holds, else to the page. -1 when a read
 * failed (logged): the feed would miss entries. */
int feed_render(const struct config *, struct store *, const char *lang,
    const char *html, time_t now, char **out);

#endif
