/* Mail from a template into the outbox: the one way pactd writes to
 * people, for replies, ballots, reminders, results and invitations. */
#ifndef PACTD_NOTIFY_H
#define PACTD_NOTIFY_H

#include <time.h>

#include "pact.h"
#include "template.h"

struct notice {
	const char *to_addr;
	const char *to_name;
	const char *lang;
	const char *tmpl;		/* templates/LANG/NAME */
	const struct tvars *vars;
	const char *kind;		/* outbox kind: reply, ballot, ... */
	const char *ref;
	const char *cause_key;		/* message key or event that caused it */
	const char *reply_to;
	const char *reply_to_name;	/* a person's, from the roster */
	const char *message_id;
	int auto_generated;		/* else an auto-reply, rate limited */
	const char *in_reply_to;
	const char *references;
	const char *calendar;
	const char *method;
};

/* A new variable set with the pact's name and address in it. */
struct tvars *notice_vars(const struct pact *);

/* Render a mail template: its "Subject:" line into *subject, the rest,
 * wrapped after filling, into *body; -1 with *cause. */
int notice_render_text(const struct config *, const char *lang,
    const char *tmpl, const struct tvars *, char **subject, char **body,
    char **cause);

/* Render and queue, inside the caller's transaction. */
int notice_queue(struct pact *, const struct notice *, time_t now,
    char **cause);

/* Called with every notice queued, when set: how tests/unit/test_corpus.c
 * sees which template went to whom without reading rendered mail back. */
extern void (*notice_observer)(const struct notice *);

/* Queue n to every member of a group (the secretariat, say), filling in
 * each one's address, name and the group's language; n->vars hold what
 * all get, and must be made in notice_lang(c, g->lang). */
int notice_group(struct pact *, const struct group *, struct notice *,
    time_t now, char **cause);

/* The pact's address with a subaddress: pagt+v-TOKEN@example.test */
char *notice_subaddress(const struct config *, const char *detail);

/* The language to write to a person in: theirs, or the default. */
const char *notice_lang(const struct config *, const char *lang);

#endif
