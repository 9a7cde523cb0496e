/* feed.atom for the public page. */
#ifndef PACTD_FEED_H
#define PACTD_FEED_H

#include <time.h>

#include "config.h"
#include "store.h"

int feed_render(const struct config *, struct store *, const char *lang,
    time_t now, char **out);

#endif
