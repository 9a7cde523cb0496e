/* OAuth 2.0: base64url, the client assertion (its signature checked by
 * the openssl CLI), token responses of Microsoft's and Google's shapes,
 * the SASL strings and the command grant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/crypto.h>
#include <jansson.h>

#include "config.h"
#include "oauth2.h"
#include "util.h"

static char tmpdir[] = "/tmp/pactd-oauth2-unit-XXXXXX";

/* The whole of a file (NUL-terminated), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (fp == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	if (len != NULL)
		*len = b.len;
	return b.s != NULL ? buf_steal(&b) : xstrdup("");
}

static void
spit(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* base64url without padding, back to bytes. */
static unsigned char *
unb64url(const char *s, size_t *len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *out = xmalloc(strlen(s) * 3 / 4 + 3);
	unsigned v = 0;
	int bits = 0;

	*len = 0;
	for (; *s != '\0'; s++) {
		const char *p = strchr(tab, *s);

		assert_non_null(p);
		v = v << 6 | (unsigned)(p - tab);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[(*len)++] = (v >> bits) & 0xff;
		}
	}
	return out;
}

static void
test_base64(void **state)
{
	static const struct { const char *in, *std, *url; } v[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg" },
		{ "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" },
		{ "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
		{ "\xfb\xff\xbf", "+/+/", "-_-_" },
		{ "\xff\xfe", "//4=", "__4" },
	};

	for (size_t i = 0; i < nitems(v); i++) {
		char *s = oauth2_base64(v[i].in, strlen(v[i].in), 0);
		char *u = oauth2_base64(v[i].in, strlen(v[i].in), 1);

		assert_string_equal(s, v[i].std);
		assert_string_equal(u, v[i].url);
		free(s);
		free(u);
	}
}

static int
setup(void **state)
{
	char *cmd;
	int rc;

	assert_non_null(mkdtemp(tmpdir));
	cmd = xasprintf("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
	    "-subj /CN=pactd-unit -keyout %s/key.pem -out %s/cert.pem "
	    ">/dev/null 2>&1 && openssl x509 -in %s/cert.pem -pubkey -noout "
	    ">%s/pub.pem && openssl x509 -in %s/cert.pem -outform DER "
	    "-out %s/cert.der", tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* One base64url part of a JWT as a JSON object. */
static json_t *
jwt_json(const char *part, size_t n)
{
	char *s = xstrndup(part, n);
	size_t len;
	unsigned char *raw = unb64url(s, &len);
	json_t *o = json_loadb((char *)raw, len, 0, NULL);

	free(s);
	free(raw);
	assert_true(json_is_object(o));
	return o;
}

static void
test_assertion(void **state)
{
	const char *url = "https://login.microsoftonline.com/t/oauth2/v2.0/token";
	char *cert_path = tmp("cert.pem"), *key_path = tmp("key.pem");
	char *der_path = tmp("cert.der"), *in_path = tmp("input");
	char *sig_path = tmp("sig"), *pub_path = tmp("pub.pem");
	size_t certlen, keylen, derlen, siglen;
	char *cert = slurp(cert_path, &certlen), *key = slurp(key_path, &keylen);
	char *der = slurp(der_path, &derlen), *cause = NULL, *jwt, *jwt2, *cmd;
	unsigned char sha1[20], *sig;
	char *x5t, *dot1, *dot2;
	time_t now = time(NULL);
	json_t *head, *claims;

	assert_non_null(cert);
	jwt = oauth2_assertion(url, "client-1", cert, certlen, key, keylen, now,
	    &cause);
	assert_non_null(jwt);
	dot1 = strchr(jwt, '.');
	dot2 = strrchr(jwt, '.');
	assert_true(dot1 != NULL && dot2 > dot1);

	head = jwt_json(jwt, dot1 - jwt);
	assert_string_equal(json_string_value(json_object_get(head, "alg")),
	    "RS256");
	assert_string_equal(json_string_value(json_object_get(head, "typ")),
	    "JWT");
	gnutls_hash_fast(GNUTLS_DIG_SHA1, der, derlen, sha1);
	x5t = oauth2_base64(sha1, sizeof sha1, 1);
	assert_string_equal(json_string_value(json_object_get(head, "x5t")),
	    x5t);

	claims = jwt_json(dot1 + 1, dot2 - dot1 - 1);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")),
	    url);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
	    "client-1");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
	    "client-1");
	assert_int_equal(json_integer_value(json_object_get(claims, "nbf")),
	    now - 300);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
	    now + 300);
	assert_true(strlen(json_string_value(json_object_get(claims,
	    "jti"))) >= 16);

	/* The signature verifies with openssl over "header.claims". */
	spit(in_path, jwt, dot2 - jwt);
	sig = unb64url(dot2 + 1, &siglen);
	assert_int_equal(siglen, 256);
	spit(sig_path, sig, siglen);
	cmd = xasprintf("openssl dgst -sha256 -verify %s -signature %s %s "
	    ">/dev/null", pub_path, sig_path, in_path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* ... and not over anything else. */
	spit(in_path, jwt, dot2 - jwt - 1);
	cmd = xasprintf("openssl dgst -sha256 -verify %s -signature %s %s "
	    ">/dev/null 2>&1", pub_path, sig_path, in_path);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);

	/* A new jti each time: Microsoft refuses a replayed assertion. */
	jwt2 = oauth2_assertion(url, "client-1", cert, certlen, key, keylen,
	    now, &cause);
	assert_non_null(jwt2);
	assert_string_not_equal(jwt, jwt2);

	/* A certificate in place of the key is an error, not a crash. */
	assert_null(oauth2_assertion(url, "c", cert, certlen, cert, certlen,
	    now, &cause));
	assert_non_null(strstr(cause, "client_key_file"));
	free(cause);
	cause = NULL;
	assert_null(oauth2_assertion(url, "c", key, keylen, key, keylen, now,
	    &cause));
	assert_non_null(strstr(cause, "client_certificate_file"));
	free(cause);

	json_decref(head);
	json_decref(claims);
	free(jwt);
	free(jwt2);
	free(sig);
	free(x5t);
	free(cert);
	free(key);
	free(der);
	free(cert_path);
	free(key_path);
	free(der_path);
	free(in_path);
	free(sig_path);
	free(pub_path);
}

/* Parse a corpus response; returns the rc and fills r or cause. */
static int
parse_file(const char *name, long status, struct oauth2_response *r,
    char **cause)
{
	char *path = xasprintf("../data/oauth2/%s", name);
	size_t len;
	char *json = slurp(path, &len);
	int rc;

	assert_non_null(json);
	*cause = NULL;
	rc = oauth2_parse_response(json, len, status, r, cause);
	free(json);
	free(path);
	return rc;
}

static void
test_responses(void **state)
{
	struct oauth2_response r;
	char *cause;

	assert_int_equal(parse_file("microsoft_client_credentials.json", 200,
	    &r, &cause), 0);
	assert_true(strncmp(r.access_token, "eyJ0eXAi", 8) == 0);
	assert_int_equal(r.expires_in, 3599);
	assert_null(r.refresh_token);
	oauth2_response_wipe(&r);

	assert_int_equal(parse_file("microsoft_refresh_token.json", 200, &r,
	    &cause), 0);
	assert_int_equal(r.expires_in, 4447);
	assert_string_equal(r.refresh_token, "1.AQoAx2Vf9Vq3fUu0o1ZJ8kQ2bGVy"
	    "LXJvdGF0ZWQtcmVmcmVzaC10b2tlbg-rotated");
	oauth2_response_wipe(&r);

	assert_int_equal(parse_file("azure_v1.json", 200, &r, &cause), 0);
	assert_int_equal(r.expires_in, 3599);
	oauth2_response_wipe(&r);

	assert_int_equal(parse_file("google_refresh_token.json", 200, &r,
	    &cause), 0);
	assert_true(strncmp(r.access_token, "ya29.", 5) == 0);
	assert_int_equal(r.expires_in, 3599);
	oauth2_response_wipe(&r);

	/* Errors: one line, the code and the description, no CR/LF. */
	assert_int_equal(parse_file("microsoft_invalid_client.json", 401, &r,
	    &cause), -1);
	assert_null(r.access_token);
	assert_non_null(strstr(cause, "HTTP 401"));
	assert_non_null(strstr(cause, "invalid_client: AADSTS7000215: "
	    "Invalid client secret provided."));
	assert_null(strpbrk(cause, "\r\n"));
	assert_true(strlen(cause) < 400);
	free(cause);

	assert_int_equal(parse_file("google_invalid_grant.json", 400, &r,
	    &cause), -1);
	assert_string_equal(cause, "token endpoint refused (HTTP 400): "
	    "invalid_grant: Token has been expired or revoked.");
	free(cause);
}

static void
test_bad_responses(void **state)
{
	static const struct { const char *json; long status; const char *want;
	} v[] = {
		{ "", 503, "HTTP 503, no JSON object" },
		{ "<html>Bad gateway</html>", 502, "HTTP 502, no JSON object" },
		{ "{\"access_token\":\"x\"}", 500, "HTTP 500" },
		{ "{\"token_type\":\"Bearer\"}", 200, "no usable access_token" },
		{ "{\"access_token\":\"a b\"}", 200, "no usable access_token" },
		{ "{\"access_token\":\"x\",\"token_type\":\"mac\"}", 200,
		    "token_type mac" },
		{ "[\"access_token\"]", 200, "no JSON object" },
		/* found by fuzz_oauth2: the server's line ends stay out */
		{ "{\"access_token\":\"x\",\"token_type\":\"Bear \\r\\nX\"}",
		    200, "token_type Bear   X, not Bearer" },
	};
	struct oauth2_response r;
	char *cause;

	for (size_t i = 0; i < nitems(v); i++) {
		cause = NULL;
		assert_int_equal(oauth2_parse_response(v[i].json,
		    strlen(v[i].json), v[i].status, &r, &cause), -1);
		assert_non_null(strstr(cause, v[i].want));
		assert_null(strpbrk(cause, "\r\n"));
		free(cause);
	}
	/* No expires_in: 0, the caller assumes an hour. */
	assert_int_equal(oauth2_parse_response("{\"access_token\":\"abc\"}",
	    22, 200, &r, &cause), 0);
	assert_int_equal(r.expires_in, 0);
	oauth2_response_wipe(&r);
}

static void
test_sasl(void **state)
{
	char *s = oauth2_sasl("OAUTHBEARER", "pagt@example.test", "tok");
	char *x = oauth2_sasl("XOAUTH2", "pagt@example.test", "tok");
	char *e = oauth2_sasl("OAUTHBEARER", "a,b=c@x", "t");

	/* n,a=pagt@example.test,^Aauth=Bearer tok^A^A */
	assert_string_equal(s, "bixhPXBhZ3RAZXhhbXBsZS50ZXN0LAFhdXRoPUJlYXJl"
	    "ciB0b2sBAQ==");
	/* user=pagt@example.test^Aauth=Bearer tok^A^A */
	assert_string_equal(x, "dXNlcj1wYWd0QGV4YW1wbGUudGVzdAFhdXRoPUJlYXJl"
	    "ciB0b2sBAQ==");
	/* n,a=a=2Cb=3Dc@x,^Aauth=Bearer t^A^A */
	assert_string_equal(e, "bixhPWE9MkNiPTNEY0B4LAFhdXRoPUJlYXJlciB0AQE=");
	free(s);
	free(x);
	free(e);
}

static void
test_command(void **state)
{
	struct config c;
	const char *tok;
	char *cause = NULL;

	memset(&c, 0, sizeof c);
	c.imap_user = c.smtp_user = "pagt@example.test";
	c.imap_auth = AUTH_OAUTH2;
	c.oauth2_grant = GRANT_COMMAND;
	c.oauth2_token_command = "printf 'tok-123\\nsecond line\\n'";
	assert_int_equal(oauth2_init(&c, &cause), 0);
	tok = oauth2_token(&c, &cause);
	assert_non_null(tok);
	assert_string_equal(tok, "tok-123");
	/* Kept in memory: the same token until it is refused. */
	assert_ptr_equal(oauth2_token(&c, &cause), tok);
	oauth2_refused(tok);

	c.oauth2_token_command = "echo oops >&2; exit 3";
	assert_null(oauth2_token(&c, &cause));
	assert_non_null(strstr(cause, "exit status 3"));
	assert_non_null(strstr(cause, "next attempt in 5 s"));
	free(cause);
	cause = NULL;
	/* In back-off: not run again, and said so. */
	assert_null(oauth2_token(&c, &cause));
	assert_non_null(strstr(cause, "no access token until"));
	free(cause);
	oauth2_clear();

	/* More than a token: the command is stopped, not waited for. */
	c.oauth2_token_command = "yes aaaaaaaaaaaaaaaa | tr -d '\\n'";
	assert_null(oauth2_token(&c, &cause));
	assert_non_null(strstr(cause, "no token within 15 s"));
	free(cause);
	oauth2_clear();

	c.oauth2_token_command = "";
	assert_int_equal(oauth2_init(&c, &cause), -1);
	assert_non_null(strstr(cause, "token_command"));
	free(cause);
}

static void
test_keys(void **state)
{
	struct config c;
	char *cause = NULL;

	memset(&c, 0, sizeof c);
	c.imap_user = c.smtp_user = "";
	c.smtp_auth = AUTH_OAUTH2;
	assert_int_equal(oauth2_init(&c, &cause), -1);
	assert_non_null(strstr(cause, "[smtp] user"));
	free(cause);
	cause = NULL;
	c.smtp_user = "pagt@example.test";
	c.oauth2_grant = GRANT_CLIENT_CREDENTIALS;
	c.oauth2_client_id = "id";
	c.oauth2_client_certificate_file = "";
	c.oauth2_client_key_file = "";
	c.oauth2_refresh_token_file = "";
	c.oauth2_token_url = "http://login.example.test/token";
	assert_int_equal(oauth2_init(&c, &cause), -1);
	assert_non_null(strstr(cause, "https://"));
	free(cause);
	cause = NULL;

	/* A secret others can read is refused. */
	c.oauth2_token_url = "http://127.0.0.1:8080/token";
	c.oauth2_client_secret_file = tmp("secret");
	spit(c.oauth2_client_secret_file, "s3cret\n", 7);
	chmod(c.oauth2_client_secret_file, 0644);
	assert_int_equal(oauth2_init(&c, &cause), -1);
	assert_non_null(strstr(cause, "readable by others"));
	free(cause);
	cause = NULL;
	chmod(c.oauth2_client_secret_file, 0600);
	assert_int_equal(oauth2_init(&c, &cause), 0);
	/* No core file will hold the secret or a token. */
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	oauth2_clear();
	free(c.oauth2_client_secret_file);

	/* Neither login on OAuth: nothing to check. */
	c.smtp_auth = AUTH_PASSWORD;
	c.oauth2_token_url = "";
	assert_int_equal(oauth2_init(&c, &cause), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_assertion),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_sasl),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
