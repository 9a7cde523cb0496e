/*
 * The template expander for reply mails and the public page.
 *
 *   {{name}}            the variable, escaped in HTML mode
 *   {{{name}}}          the variable, never escaped
 *   {{#name}}..{{/name}} a list: the inner text once per item, with the
 *                       item's variables (or {{.}} for a plain string);
 *                       for a string variable: once when non-empty
 *   {{^name}}..{{/name}} once when name is absent, empty, or an empty list
 *   {{! comment }}      nothing
 * A name is looked up in the innermost item first, then outwards; names are
 * made of letters, digits, '_', '-' and '.'; an unknown name expands to "".
 * A line holding only a {{#}}, {{^}}, {{/}} or {{!}} tag and blanks is
 * dropped with its newline, so text mail templates can be laid out freely.
 */
#ifndef PACTD_TEMPLATE_H
#define PACTD_TEMPLATE_H

#include "util.h"

#define TEMPLATE_MAXDEPTH	32			/* nested sections */
#define TEMPLATE_MAXOUT		(16 * 1024 * 1024)	/* expanded bytes */
#define TEMPLATE_MAXFILE	(1024 * 1024)		/* template file */
#define TEMPLATE_WIDTH		78			/* mail text lines */

struct tvars;

struct tvars *tvars_new(void);
void tvars_free(struct tvars *);
void tvars_set(struct tvars *, const char *name, const char *value);
void tvars_setf(struct tvars *, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append a new item to the list called name and return it to fill in. */
struct tvars *tvars_add_item(struct tvars *, const char *name);
/* Append a plain string item ({{.}}) to the list called name. */
void tvars_add_string(struct tvars *, const char *name, const char *value);
/* Make name an empty list, dropping what it held; shadows outer names. */
void tvars_set_list(struct tvars *, const char *name);

enum template_mode { TEMPLATE_TEXT, TEMPLATE_HTML };

/* Expand; returns 0 and sets *out, or -1 and sets *cause (owned). */
int template_expand(const char *tmpl, const struct tvars *,
    enum template_mode, char **out, char **cause);

/*
 * Wrap expanded mail text so that no line passes width characters (code
 * points), once the values are in. A paragraph with a line that is too
 * long has its words re-flowed; one that fits keeps the template's breaks.
 * A "- " item wraps under its text; a "Label: " line and a "- " item
 * start a paragraph, a line ending in ':' ends one. Never broken: a word
 * (a URL, a long name) longer than the width, which stands alone on its
 * line; quoted ('>') and indented lines; "Ref: " footers; and a form,
 * from a ruler line ("-----") followed by "Emne:"/"Subject:" to the next
 * ruler, whose "Field: " lines the sender sends back. Returns an owned
 * string.
 */
char *template_wrap(const char *text, size_t width);

/* Read DIR/LANG/NAME and expand it; LANG and NAME must be single path
 * components not starting with '.'. */
int template_render(const char *dir, const char *lang, const char *name,
    const struct tvars *, enum template_mode, char **out, char **cause);

#endif
