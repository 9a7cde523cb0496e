/* Text tables for pactctl, padded by what the terminal shows. */
#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "table.h"
#include "util.h"

struct table {
	size_t ncols, nrows;
	char **cells;		/* (nrows + 1) * ncols, the header first */
	size_t *widths;		/* display width of each cell */
	size_t *colw;		/* widest cell of each column */
};

void
table_locale(void)
{
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

/*
 * The next character of s (n bytes left) as it is shown: *len bytes of s
 * are used, *out (*olen bytes) is written, *cw its display width. A control
 * character is a space; a byte that starts no character, or one that
 * cannot be shown, is U+FFFD.
 */
static void
cell_char(const char *s, size_t n, size_t *len, const char **out,
    size_t *olen, int *cw)
{
	mbstate_t ms;
	wchar_t wc;
	size_t r;

	memset(&ms, 0, sizeof ms);
	r = mbrtowc(&wc, s, n, &ms);
	*out = s;
	*olen = *len = r;
	if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
		*out = "\xef\xbf\xbd";
		*olen = 3;
		*len = 1;
		*cw = 1;
	} else if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0) || wc == 0x2028 ||
	    wc == 0x2029) {
		*out = " ";
		*olen = 1;
		*cw = 1;
	} else if ((*cw = wcwidth(wc)) < 0) {
		*out = "\xef\xbf\xbd";
		*olen = 3;
		*cw = 1;
	}
}

/* Append s as shown, up to max display columns; its width. */
static size_t
cell_add(struct buf *b, const char *s, size_t max, int *cut)
{
	size_t n = strlen(s), w = 0, len, olen;
	const char *out;
	int cw;

	*cut = 0;
	while (n > 0) {
		cell_char(s, n, &len, &out, &olen, &cw);
		if (w + (size_t)cw > max) {
			*cut = 1;
			break;
		}
		buf_add(b, out, olen);
		w += (size_t)cw;
		s += len;
		n -= len;
	}
	return w;
}

char *
table_cell(const char *s, size_t max, size_t *width)
{
	struct buf b;
	int cut;

	buf_init(&b);
	*width = cell_add(&b, s, max == 0 ? SIZE_MAX : max, &cut);
	if (cut) {
		/* Again, one column shorter, for the ellipsis. */
		b.len = 0;
		if (b.s != NULL)
			b.s[0] = '\0';
		*width = cell_add(&b, s, max - 1, &cut) + 1;
		buf_adds(&b, "\xe2\x80\xa6");
	}
	return buf_steal(&b);
}

struct table *
table_new(const char *const *headers, size_t ncols)
{
	struct table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	t->colw = xcalloc(ncols, sizeof *t->colw);
	table_add(t, headers);
	return t;
}

void
table_add(struct table *t, const char *const *cells)
{
	size_t base = (t->nrows + (t->cells != NULL)) * t->ncols;

	t->cells = xrealloc(t->cells, (base + t->ncols) * sizeof *t->cells);
	t->widths = xrealloc(t->widths, (base + t->ncols) *
	    sizeof *t->widths);
	for (size_t c = 0; c < t->ncols; c++) {
		t->cells[base + c] = table_cell(cells[c] ? cells[c] : "-",
		    c + 1 < t->ncols ? TABLE_CELL_MAX : TABLE_LAST_MAX,
		    &t->widths[base + c]);
		if (t->widths[base + c] > t->colw[c])
			t->colw[c] = t->widths[base + c];
	}
	if (base > 0)
		t->nrows++;
}

void
table_print(const struct table *t, FILE *fp)
{
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t i = r * t->ncols + c;

			fputs(t->cells[i], fp);
			if (c + 1 == t->ncols)
				break;
			for (size_t w = t->widths[i]; w < t->colw[c] + 2; w++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->widths);
	free(t->colw);
	free(t);
}
