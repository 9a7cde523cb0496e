/* OAuth 2.0 access tokens for the IMAP and SMTP logins (SPEC section 8),
 * and the SASL XOAUTH2 / OAUTHBEARER strings that carry them. */
#ifndef PACTD_OAUTH2_H
#define PACTD_OAUTH2_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* Check the [oauth2] keys and read the secret, key or refresh token; on
 * success they replace the ones in memory. 0 when neither login uses
 * OAuth 2.0. */
int oauth2_init(const struct config *, char **cause);

/* The current access token, fetched or renewed when due; NULL with a
 * cause when the token endpoint failed or is in back-off. Valid until
 * the next call; never to be logged. */
const char *oauth2_token(const struct config *, char **cause);

/* A login with this token was refused: the next call fetches another. */
void oauth2_refused(const char *token);

/* Forget and wipe every secret and token. */
void oauth2_clear(void);

/* The base64 SASL initial response: mech is "XOAUTH2" or "OAUTHBEARER". */
char *oauth2_sasl(const char *mech, const char *user, const char *token);

/* Exposed for the unit tests. */
struct oauth2_response {
	char *access_token;
	char *refresh_token;	/* NULL when the server kept the old one */
	long expires_in;	/* seconds, 0 when not given */
};

int oauth2_parse_response(const char *json, size_t len, long http_status,
    struct oauth2_response *, char **cause);
void oauth2_response_wipe(struct oauth2_response *);
char *oauth2_base64(const void *, size_t, int url);
char *oauth2_assertion(const char *token_url, const char *client_id,
    const char *cert_pem, size_t cert_len, const char *key_pem,
    size_t key_len, time_t now, char **cause);

#endif
