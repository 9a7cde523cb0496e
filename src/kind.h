/*
 * Submission kinds: one file each (kind_help.c, kind_overview.c, ...) that
 * defines the kind's entry, one row each in the list of kinds.c, as tmux's
 * cmd-*.c and cmd.c. A handler reads the submission, does its work in the
 * caller's transaction and says what to answer. When the store fails, a
 * read as much as a write, it returns -1 with *cause: the message's
 * transaction and the pass are abandoned, nobody is answered, and the
 * message is read again at the next pass. A failed read is never a
 * problem told to the sender.
 */
#ifndef PACTD_KIND_H
#define PACTD_KIND_H

#include <time.h>

#include "body.h"
#include "mime.h"
#include "pact.h"
#include "roster.h"
#include "subject.h"
#include "template.h"
#include "token.h"

struct submission {
	struct pact *pact;
	const struct mail *mail;
	const char *msgkey;
	struct subject subj;
	char *newtext;
	struct fields fields;
	struct sender from;
	const char *lang;	/* of the reply */
	time_t now;
	struct token tok;	/* the reply token the mail carries */
	int has_tok;
};

enum verdict { VERDICT_ACCEPTED, VERDICT_ANSWERED, VERDICT_REJECTED };

struct answer {
	enum verdict verdict;
	char *ref;		/* the reference given, owned */
	const char *template;	/* reply template, "help.txt" */
	struct tvars *vars;	/* common variables already set */
	struct strv problems;	/* each in the reply's language */
	struct strv warnings;
};

#define ROLE_BIT(r)	(1u << (r))
#define ROLES_ANYONE	(ROLE_BIT(ROLE_DELEGATE) | ROLE_BIT(ROLE_ASSOCIATE) | \
    ROLE_BIT(ROLE_ADVISORY) | ROLE_BIT(ROLE_SECRETARIAT))

/* A word as SPEC writes it, in Danish and in English. */
struct kind_words {
	const char *da;
	const char *en;
};

/*
 * What a kind is, said by its own file (kind_NAME.c): a mail is the kind
 * whose reply token it carries, else the first kind in the list that
 * claims it, else the kind its subject keyword names, else HELP.
 */
struct kind {
	const char *name;	/* for logs, processed.kind */
	struct kind_words keyword;	/* in the subject; none for a reply */
	int keyword_ref;	/* a reference follows the keyword */
	char token;		/* the letter of the reply token it answers */
	/* Whether a mail without token or keyword is this kind: 1, 0, or
	 * -1 with *cause when the store failed. */
	int (*claims)(const struct submission *, char **cause);
	struct kind_words title;	/* what was sent, when not a keyword */
	unsigned roles;		/* who may send it */
	const char *form;	/* its fill-in form template, or NULL */
	unsigned fields;	/* FIELD_BIT()s of the fields it reads */
	int (*handle)(struct submission *, struct answer *, char **cause);
};

#define FIELD_BIT(f)	(1u << (f))
_Static_assert(F_COUNT <= 32, "a kind's fields fit an unsigned");

/* The kinds in the order of kinds.c: HELP lists their forms so. */
const struct kind *const *kind_list(size_t *n);
/* Which kind a submission from someone on the roster is; NULL with
 * *cause when the store failed. */
const struct kind *kind_decide(const struct submission *, char **cause);
/* What the sender sent, for "... may not be sent by you". */
const char *kind_title(const struct kind *, const char *lang);

/* A message in the reply's language: Danish or English. */
const char *tr(const struct submission *, const char *da, const char *en);

/* Render the fill-in form for a kind in a language into *out. */
int kind_form(const struct config *, const char *lang, const struct kind *,
    char **out, char **cause);

/* Helpers for kinds: problems in the reply's language. */
void kind_problem(struct answer *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *field_name(const struct submission *, enum field_id);
/* The field's text, or NULL with a "missing" problem. */
const char *kind_require(struct submission *, struct answer *,
    enum field_id);
/* The list's items, or NULL with a problem when it has none. */
const struct strv *kind_require_list(struct submission *, struct answer *,
    enum field_id);
char *list_join(const struct strv *);
/* Refuse the fields the kind reads that are longer than section 3
 * allows, one problem each, before the handler runs: a handler stores
 * nothing while there are problems. */
void kind_limits(struct submission *, const struct kind *, struct answer *);
/* The same for a text the kind reads without a field (a comment); -1 and
 * a problem naming it when too long. */
int kind_limit_text(struct submission *, struct answer *, const char *name,
    const char *text);
/* The reference for what this submission creates. */
int kind_new_ref(struct submission *, struct answer *, char **cause);

/* Sparring on an initiative (kind_sparring.c): also what KOMMENTAR with
 * an Initiativ field is. */
int kind_sparring(struct submission *, struct answer *, char **cause);

/* Pass a calendar answer from a stranger on to the secretariat, within
 * the hour's limit; key is the message's. */
int rsvp_stranger(struct pact *, const struct mail *, const char *key,
    time_t, char **);

#endif
