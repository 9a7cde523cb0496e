/* Reply tokens (SPEC sections 4 and 5): an unguessable word per ballot and
 * party, consultation and member, meeting and attendee, initiative and
 * advisory board member, so that a reply is matched to what it answers
 * whatever its subject says. */
#ifndef PACTD_TOKEN_H
#define PACTD_TOKEN_H

#include "config.h"
#include "mime.h"
#include "store.h"

#define TOKEN_CHARS	26	/* 130 bits of lower-case base32 */
/* The letters before the "-": vote, comment, meeting, sparring; either
 * case, as a client may have changed it. */
#define TOKEN_LETTERS	"vcmsVCMS"

struct token {
	char kind;		/* 'v' vote, 'c' comment, 'm' meeting,
				   's' sparring on an initiative */
	char word[TOKEN_CHARS + 1];
	char *ref;
	char *party;		/* votes: the party it was issued to */
	char *addr;		/* comments and meetings: the person */
};

/* Issue a token inside the caller's transaction. */
int token_issue(struct store *, char kind, const char *ref,
    const char *party, const char *addr, struct token *, char **cause);

/* Find the token a reply carries: in a recipient's subaddress, then
 * In-Reply-To, References, then the quoted text. 1 when found. */
int token_find(const struct config *, struct store *, const struct mail *,
    struct token *);

void token_free(struct token *);

#endif
