/* Who a sender is: founding party delegate, associate contact, advisory
 * board member, secretariat, or nobody the pact knows. */
#ifndef PACTD_ROSTER_H
#define PACTD_ROSTER_H

#include "config.h"
#include "store.h"

enum role { ROLE_NONE, ROLE_DELEGATE, ROLE_ASSOCIATE, ROLE_ADVISORY,
    ROLE_SECRETARIAT };

struct sender {
	enum role role;
	const char *addr;	/* lower case */
	char *name;		/* display name, owned, or NULL */
	const struct party *party;	/* ROLE_DELEGATE */
	char *org;		/* party or associate name, owned, or NULL */
	char *associate_ref;	/* ROLE_ASSOCIATE: the member's ref */
	const char *lang;	/* from the roster, or NULL */
};

/* Look up an address in the roster and among active associates. A
 * person who is both a delegate and in another group is a delegate. -1
 * with *cause when the store failed: who is then nobody. */
int roster_lookup(const struct config *, struct store *, const char *addr,
    struct sender *, char **cause);
void sender_free(struct sender *);

/* A founding party's name from its id; the id itself when the roster
 * no longer has it. */
const char *roster_party_name(const struct config *, const char *id);

const char *role_name(enum role);
/* The role as people say it: "stiftende part", "founding party", ... */
const char *role_title(enum role, const char *lang);

#endif
