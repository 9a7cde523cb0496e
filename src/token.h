/* Reply tokens (SPEC sections 4 and 5): an unguessable word per ballot and
 * party, consultation and member, meeting and attendee, initiative and
 * advisory board member, so that a reply is matched to what it answers
 * whatever its subject says. */
#ifndef PACTD_TOKEN_H
#define PACTD_TOKEN_H

#include "config.h"
#include "mime.h"
#include "notify.h"
#include "store.h"

#define TOKEN_CHARS	26	/* 130 bits of lower-case base32 */

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

/*
 * How a mail carries a token (SPEC section 4): the detail "v-WORD" that
 * the footer "Ref: REF/v-WORD" shows, the Reply-To subaddress
 * pagt+v-WORD@domain and the Message-ID v-WORD.REF.TAGN@domain, where
 * TAG and N tell apart the mails that carry one token ("", 2: the
 * second delegate's ballot; "r", 2: their reminder). token_find reads
 * them back.
 */
struct token_mail {
	char *detail;
	char *reply_to;
	char *message_id;
};

struct token_mail token_mail(const struct config *, char kind,
    const char *word, const char *ref, const char *tag, int n);
void token_mail_free(struct token_mail *);

/* Queue n (to, language, template, kind, ref filled in) as a mail that
 * carries the token: its Reply-To, Message-ID and the footer's
 * "token_line" in v, which are n's vars. */
int token_notice_queue(struct pact *, struct notice *, struct tvars *v,
    char kind, const char *word, const char *tag, int nth, time_t now,
    char **cause);

/* How many mails in the outbox carry this token in their Message-ID; -1
 * with *cause when the store failed. */
int token_mails_queued(struct store *, char kind, const char *word,
    char **cause);

/* Find the token a reply carries: in a recipient's subaddress, then
 * In-Reply-To, References, then the quoted text. 1 when found, 0 when
 * not, -1 with *cause when the store failed. */
int token_find(const struct config *, struct store *, const struct mail *,
    struct token *, char **cause);

void token_free(struct token *);

#endif
