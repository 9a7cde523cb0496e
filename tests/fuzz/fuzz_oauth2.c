/*
 * libFuzzer target: a token endpoint's answer, as any HTTP status, parsed
 * into an access token or one line of cause; and the SASL strings built
 * from what came back.
 */
#include "fuzz.h"
#include "oauth2.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 500 };
	struct oauth2_response r;
	char *cause, *s;

	for (size_t i = 0; i < nitems(statuses); i++) {
		cause = NULL;
		if (oauth2_parse_response((const char *)data, size,
		    statuses[i], &r, &cause) != 0) {
			FUZZ_CHECK(cause != NULL, "a cause for each failure");
			FUZZ_CHECK(strpbrk(cause, "\r\n") == NULL,
			    "the cause is one line");
			free(cause);
			continue;
		}
		FUZZ_CHECK(statuses[i] == 200, "tokens only with 200");
		FUZZ_CHECK(r.access_token != NULL && *r.access_token != '\0' &&
		    strpbrk(r.access_token, " \r\n") == NULL,
		    "a token of one word");
		FUZZ_CHECK(r.expires_in >= 0, "expires_in not negative");
		s = oauth2_sasl("OAUTHBEARER", "pagt@example.test",
		    r.access_token);
		free(s);
		oauth2_response_wipe(&r);
	}
	return 0;
}
