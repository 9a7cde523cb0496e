/* Redacting names and addresses in mail pactd wrote, in decoded form:
 * RFC 2047 words, quoted-printable, base64, folded iCalendar lines. */
#ifndef PACTD_REDACT_H
#define PACTD_REDACT_H

#include <stddef.h>

#include "util.h"

/* s with every needle replaced by "[forgotten]" where it stands as whole
 * words (not "Anne" in "Annette"): ASCII case ignored, and
 * white space in a needle matching any run of white space (a line break
 * too). *n is raised by the number replaced. */
char *redact_string(const char *s, const struct strv *needles, int *n);

/* The mail rebuilt with the needles replaced in each decoded header and
 * part, each part encoded again as it was; *n is the number replaced
 * (0: the mail comes back unchanged). */
char *redact_mail(const char *raw, size_t len, const struct strv *needles,
    int *n);

/* Whether the mail names a needle, in its bytes or decoded. */
int redact_mentions(const char *raw, size_t len, const struct strv *needles);

#endif
