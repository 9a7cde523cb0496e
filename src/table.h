/* pactctl's text tables: a header row, columns padded by display width
 * (wcwidth), one line a row whatever the cells hold. */
#ifndef PACTD_TABLE_H
#define PACTD_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_CELL_MAX	64	/* display columns a cell may take */
#define TABLE_LAST_MAX	120	/* the last column's, which is not padded */

struct table;

/* Make the locale's character type UTF-8, for wcwidth. */
void table_locale(void);

/* A table with these column headers, ncols of them. */
struct table *table_new(const char *const *headers, size_t ncols);

/* One row of ncols cells; NULL shows as "-". */
void table_add(struct table *, const char *const *cells);

void table_print(const struct table *, FILE *);
void table_free(struct table *);

/*
 * One line of at most max display columns (0: no limit): control
 * characters and newlines become spaces, invalid UTF-8 becomes U+FFFD, a
 * longer text ends in "…" without cutting a character. *width is set to
 * the display width of the result.
 */
char *table_cell(const char *s, size_t max, size_t *width);

#endif
