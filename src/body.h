/* The text a person wrote, and the fields in it (SPEC section 3). */
#ifndef PACTD_BODY_H
#define PACTD_BODY_H

#include "util.h"

/* The new text: what the sender wrote above (or, when nothing stands above,
 * below) the quoted message, without signature. Returns an owned string. */
char *body_new_text(const char *text);

/* The quoted part of the text (whole message): from the first quote header
 * or quoted line on, with the ">" markers gone; used to find tokens in
 * quoted text. Returns an owned string, "" when nothing is quoted. */
char *body_quoted_text(const char *text);

enum field_id {
	F_NONE = 0,
	F_MOTIVATION,
	F_OBJECTIVES,
	F_CONTRIBUTION,
	F_ORGANISATION,
	F_TYPE,
	F_CVR,
	F_CONTACT,
	F_DIALOGUE,
	F_PRINCIPLES,
	F_INITIATIVES,
	F_FIT,
	F_TITLE,
	F_DESCRIPTION,
	F_PURPOSE,
	F_PARTNERS,
	F_LINK,
	F_YEAR,
	F_DEADLINE,
	F_STATUS,
	F_START,
	F_END,
	F_LOCATION,
	F_AGENDA,
	F_INITIATIVE,
	F_COUNT
};

/* One known field: its id, Danish and English names, whether a list. */
struct field_def {
	enum field_id id;
	const char *da;
	const char *en;
	int is_list;
};

const struct field_def *field_def(enum field_id);

struct field {
	enum field_id id;
	char *name;		/* as the sender wrote it, for replies */
	char *value;		/* text fields: lines joined with "\n" */
	struct strv items;	/* list fields: one item each, bullets gone */
};

struct fields {
	struct field f[F_COUNT];	/* f[id].value == NULL when absent */
	struct strv unknown;		/* names of unknown fields, as written */
	char *preamble;			/* text before the first field */
};

/* Parse "Name: value" fields out of the new text. */
void body_fields(const char *newtext, struct fields *);
void fields_free(struct fields *);

/* Whether a field was present (non-empty value or at least one item). */
int fields_has(const struct fields *, enum field_id);

#endif
