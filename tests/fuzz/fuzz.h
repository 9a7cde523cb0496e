/* What the fuzz targets share: a NUL-terminated copy of the input and a
 * check that turns a broken promise of a header into a crash libFuzzer
 * records. */
#ifndef PACTD_FUZZ_H
#define PACTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a C string; a NUL inside ends it early, as it would for the
 * caller in pactd. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Abort when a documented property does not hold. */
#define FUZZ_CHECK(cond, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz check failed: %s (%s:%d)\n",	\
		    (what), __FILE__, __LINE__);			\
		abort();						\
	}								\
} while (0)

/* Whether s is NUL-terminated valid UTF-8. */
static inline int
fuzz_utf8(const char *s)
{
	return s != NULL && utf8_valid(s, strlen(s));
}

#endif
