/* Small helpers every file uses: allocation that aborts, growable buffers,
 * string vectors. */
#ifndef PACTD_UTIL_H
#define PACTD_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *, va_list);

/* A growable, always NUL-terminated byte buffer. */
struct buf {
	char *s;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *);
void buf_add(struct buf *, const char *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, int);
void buf_addf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void buf_add_base64(struct buf *, const void *, size_t);
char *buf_steal(struct buf *);
void buf_free(struct buf *);

/* A NULL-terminated vector of owned strings. */
struct strv {
	char **v;
	size_t n;
};

void strv_add(struct strv *, const char *);
void strv_addn(struct strv *, char *);	/* takes ownership */
void strv_free(struct strv *);
int strv_contains_case(const struct strv *, const char *);

char *str_trim(char *);			/* in place, returns start */
int str_startcase(const char *, const char *);
void str_lower(char *);
int utf8_valid(const char *, size_t);

#endif
