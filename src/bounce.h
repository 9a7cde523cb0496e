/* Reading delivery reports: RFC 3464 and the providers' own non-delivery
 * reports, as far as saying which mail of ours failed, for whom and why. */
#ifndef PACTD_BOUNCE_H
#define PACTD_BOUNCE_H

#include "config.h"
#include "mime.h"

/* A diagnostic is cut after this many bytes (and the rest of a UTF-8
 * character). */
#define BOUNCE_MAX_TEXT	400

struct bounce {
	int report;		/* the mail is a delivery report at all */
	int failed;		/* it reports a failure, not a delay */
	char *rcpt;		/* the recipient that failed, lower case */
	char *status;		/* "5.1.1" */
	char *diagnostic;	/* the server's words, one line */
	char *envid;		/* ID of the pagt+b-ID@ address it came to */
	char *orig_mid;		/* the original Message-ID, without <> */
};

/* Read m as a delivery report to the pact's address c->address. Returns
 * 1 when it reports a failure of a mail that it names (by envid or by
 * orig_mid), else 0; b is filled as far as it could be read either way. */
int bounce_read(const struct config *, const struct mail *, struct bounce *);
void bounce_free(struct bounce *);

/* The status of an SMTP reply ("550 5.1.1 ..."): its enhanced code, else
 * "5.0.0" after its first digit. */
char *bounce_smtp_status(const char *reply);

/* The envelope sender's detail for outbox row id: "b-ID-TAG". */
char *bounce_envid(long long id, const char *tag);

/* Split "ID-TAG"; -1 when it is not of that form. */
int bounce_envid_split(const char *envid, long long *id, char *tag,
    size_t tagsize);

#endif
