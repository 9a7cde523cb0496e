/* The sender's mailbox, read strictly from a From field (SPEC section 2,
 * RFC 5322 section 3.4 with RFC 6532 UTF-8): exactly one mailbox or none. */
#ifndef PACTD_ADDRESS_H
#define PACTD_ADDRESS_H

#define ADDRESS_MAX_LOCAL	64	/* RFC 5321 section 4.5.3.1.1 */
#define ADDRESS_MAX_DOMAIN	253
#define ADDRESS_MAX_COMMENTS	32	/* nesting depth of comments */

struct address {
	char *addr;	/* addr-spec, ASCII letters in lower case */
	char *name;	/* display name, RFC 2047 decoded, or NULL */
};

/*
 * Read a From field's value, which must hold exactly one mailbox: a display
 * name (atoms, quoted strings, encoded words) and an angle-addr, or a bare
 * addr-spec, with comments wherever CFWS may stand. Returns 0 and fills *a,
 * or -1 with *why saying what is wrong (a static string): several
 * addresses, a group, text after the address, a source route, no address.
 */
int address_parse(const char *value, struct address *a, const char **why);
void address_free(struct address *);

/* The domain of an addr-spec: what follows its last '@', or NULL. */
const char *address_domain(const char *addr);

#endif
