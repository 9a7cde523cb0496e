/*
 * OAuth 2.0 access tokens (SPEC section 8): the client-credentials grant
 * with a client secret or a client assertion (an RS256 JWT signed with
 * GnuTLS, as Microsoft's identity platform expects), the refresh-token
 * grant, or a command that prints a token.
 *
 * One token serves both logins. It lives in memory only, is renewed at
 * 80 % of its lifetime and after a refused login, and the token endpoint
 * is left alone for a growing while after each failure. Secrets and
 * tokens are wiped before their memory is freed and the process is made
 * non-dumpable, so that neither reaches a log, a core file or the
 * database.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oauth2.h"
#include "util.h"

#define BACKOFF_MIN	5		/* seconds after the first failure */
#define BACKOFF_MAX	300
#define COMMAND_TTL	300		/* a command's token is asked again */
#define COMMAND_TIMEOUT	15		/* within systemd's TimeoutStopSec */
#define HTTP_TIMEOUT	15
#define MAX_RESPONSE	(64 * 1024)
#define MAX_TOKEN	(16 * 1024)
#define MAX_SECRET_FILE	(64 * 1024)

static const char *const grant_names[] = { "client_credentials",
    "refresh_token", "command" };

static struct oauth2_state {
	char	*secret;	/* client secret, or NULL */
	char	*cert;		/* PEM, for a client assertion */
	size_t	 certlen;
	char	*key;
	size_t	 keylen;
	char	*refresh;	/* replaced when the server rotates it */
	char	*token;
	time_t	 renew;		/* monotonic: fetch another from here on */
	time_t	 expires;	/* monotonic: no use from here on */
	time_t	 retry;		/* monotonic: back-off ends */
	int	 backoff;
} oa;

/* Free a secret string after overwriting it. */
static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
wipe_freen(char *s, size_t len)
{
	if (s != NULL) {
		explicit_bzero(s, len);
		free(s);
	}
}

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* jansson copies tokens into its own strings: wipe those on free too. */
static void
json_wipe_free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

/* Keep tokens and secrets out of core dumps and other users' ptrace. */
static void
oauth2_protect(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	json_set_alloc_funcs(malloc, json_wipe_free);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("oauth2: prctl(PR_SET_DUMPABLE)");
}

char *
oauth2_base64(const void *data, size_t len, int url)
{
	struct buf b;

	buf_init(&b);
	buf_add_base64(&b, data, len);
	if (url) {
		/* base64url (JWT): its own two letters, and no padding. */
		for (size_t i = 0; i < b.len; i++)
			if (b.s[i] == '+')
				b.s[i] = '-';
			else if (b.s[i] == '/')
				b.s[i] = '_';
		while (b.len > 0 && b.s[b.len - 1] == '=')
			b.s[--b.len] = '\0';
	}
	return buf_steal(&b);
}

/* A public file (a certificate), up to MAX_SECRET_FILE bytes. */
static int
public_load(const char *path, char **out, size_t *outlen, char **cause)
{
	char *data;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	data = xmalloc(MAX_SECRET_FILE + 1);
	while (len < MAX_SECRET_FILE &&
	    (n = read(fd, data + len, MAX_SECRET_FILE - len)) > 0)
		len += n;
	close(fd);
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return 0;
}

/* A secret through config.c's secret_read (the credential first; a file
 * others can read is refused); a certificate, which is public, read as it
 * is from the credential or the file. */
static int
secret_load(const char *cred, const char *file, int secret, char **out,
    size_t *outlen, char **cause)
{
	struct strv errors = { NULL, 0 };
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL;
	int rc;

	if (secret) {
		if ((rc = secret_read(cred, file, out, &errors, NULL)) != 0)
			*cause = xstrdup(errors.n ? errors.v[0] : cred);
		else
			*outlen = strlen(*out);
		strv_free(&errors);
		return rc;
	}
	if (dir != NULL) {
		path = xasprintf("%s/%s", dir, cred);
		if (access(path, R_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL && *file == '\0') {
		*cause = xasprintf("no file and no credential %s", cred);
		return -1;
	}
	rc = public_load(path != NULL ? path : file, out, outlen, cause);
	free(path);
	return rc;
}

/* A one-line secret (client secret, refresh token). */
static int
secret_line(const char *cred, const char *file, char **out, char **cause)
{
	char *data;
	size_t len;

	if (secret_load(cred, file, 1, &data, &len, cause) != 0)
		return -1;
	data[strcspn(data, "\r\n")] = '\0';
	*out = xstrdup(data);
	wipe_freen(data, len);
	if (**out == '\0') {
		*cause = xasprintf("%s: empty", file);
		wipe_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* The base64url SHA-1 of the certificate's DER: the JWT's x5t. */
static char *
assertion_x5t(const char *pem, size_t len, char **cause)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	unsigned char sha1[20];
	size_t n = sizeof sha1;
	int r;

	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		*cause = xasprintf("certificate: %s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (r >= 0)
		r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, sha1,
		    &n);
	gnutls_x509_crt_deinit(crt);
	if (r < 0) {
		*cause = xasprintf("client_certificate_file: %s",
		    gnutls_strerror(r));
		return NULL;
	}
	return oauth2_base64(sha1, n, 1);
}

/* RS256 over "header.claims" with the private key. */
static char *
assertion_sign(const char *input, const char *pem, size_t len, char **cause)
{
	gnutls_privkey_t key;
	gnutls_datum_t k = { (unsigned char *)pem, (unsigned)len };
	gnutls_datum_t data = { (unsigned char *)input, strlen(input) };
	gnutls_datum_t sig = { NULL, 0 };
	char *out = NULL;
	int r;

	if ((r = gnutls_privkey_init(&key)) < 0) {
		*cause = xasprintf("key: %s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_privkey_import_x509_raw(key, &k, GNUTLS_X509_FMT_PEM, NULL,
	    0);
	if (r >= 0 && gnutls_privkey_get_pk_algorithm(key, NULL) !=
	    GNUTLS_PK_RSA)
		r = GNUTLS_E_UNKNOWN_PK_ALGORITHM;
	if (r >= 0)
		r = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data,
		    &sig);
	gnutls_privkey_deinit(key);
	if (r < 0) {
		*cause = xasprintf("client_key_file: %s (an RSA key in PEM "
		    "is needed)", gnutls_strerror(r));
		return NULL;
	}
	out = oauth2_base64(sig.data, sig.size, 1);
	gnutls_free(sig.data);
	return out;
}

/* A JSON object as base64url. */
static char *
jwt_part(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT), *b;

	json_decref(o);
	if (s == NULL)
		fatalx("json_dumps");
	b = oauth2_base64(s, strlen(s), 1);
	free(s);
	return b;
}

char *
oauth2_assertion(const char *token_url, const char *client_id,
    const char *cert_pem, size_t cert_len, const char *key_pem,
    size_t key_len, time_t now, char **cause)
{
	unsigned char rnd[16];
	char *x5t, *jti, *head, *claims, *input, *sig, *jwt;

	if ((x5t = assertion_x5t(cert_pem, cert_len, cause)) == NULL)
		return NULL;
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof rnd) != 0)
		fatalx("gnutls_rnd");
	jti = oauth2_base64(rnd, sizeof rnd, 1);
	head = jwt_part(json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ",
	    "JWT", "x5t", x5t));
	/* Five minutes either way absorb clock skew and a slow endpoint. */
	claims = jwt_part(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
	    "aud", token_url, "iss", client_id, "sub", client_id, "jti", jti,
	    "nbf", (json_int_t)(now - 300), "iat", (json_int_t)now, "exp",
	    (json_int_t)(now + 300)));
	input = xasprintf("%s.%s", head, claims);
	jwt = NULL;
	if ((sig = assertion_sign(input, key_pem, key_len, cause)) != NULL)
		jwt = xasprintf("%s.%s", input, sig);
	free(sig);
	free(input);
	free(claims);
	free(head);
	free(jti);
	free(x5t);
	return jwt;
}

void
oauth2_response_wipe(struct oauth2_response *r)
{
	wipe_free(r->access_token);
	wipe_free(r->refresh_token);
	memset(r, 0, sizeof *r);
}

/* The server's words, made safe for one log line. */
static char *
printable(const char *s, size_t max)
{
	size_t n = strlen(s) < max ? strlen(s) : max;
	char *out = xstrndup(s, n);

	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* An error object: "invalid_client: AADSTS7000215: Invalid client ...". */
static int
response_error(json_t *o, long status, char **cause)
{
	const char *err = json_string_value(json_object_get(o, "error"));
	const char *desc = json_string_value(json_object_get(o,
	    "error_description"));
	char *e = printable(err, 64), *d = printable(desc ? desc : "", 240);

	*cause = xasprintf("token endpoint refused (HTTP %ld): %s%s%s", status,
	    e, *d ? ": " : "", d);
	free(e);
	free(d);
	return -1;
}

/* A token is base64-ish printable ASCII, no spaces. */
static int
token_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MAX_TOKEN)
		return 0;
	for (; *t != '\0'; t++)
		if (*t <= 0x20 || *t >= 0x7f)
			return 0;
	return 1;
}

/* expires_in is a number, or a string of digits (Azure AD v1). */
static long
response_expires(json_t *v)
{
	const char *s;
	char *end;
	long n;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? (long)json_integer_value(v) :
		    0;
	if ((s = json_string_value(v)) == NULL)
		return 0;
	n = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && n > 0 ? n : 0;
}

int
oauth2_parse_response(const char *json, size_t len, long status,
    struct oauth2_response *r, char **cause)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	const char *tok, *type, *refresh;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (!json_is_object(o)) {
		*cause = xasprintf("token endpoint: HTTP %ld, no JSON object",
		    status);
		goto out;
	}
	if (json_is_string(json_object_get(o, "error"))) {
		rc = response_error(o, status, cause);
		goto out;
	}
	tok = json_string_value(json_object_get(o, "access_token"));
	type = json_string_value(json_object_get(o, "token_type"));
	refresh = json_string_value(json_object_get(o, "refresh_token"));
	if (status != 200)
		*cause = xasprintf("token endpoint: HTTP %ld", status);
	else if (tok == NULL || !token_valid(tok))
		*cause = xasprintf("token endpoint: no usable access_token");
	else if (type != NULL && strcasecmp(type, "bearer") != 0) {
		char *t = printable(type, 32);

		*cause = xasprintf("token endpoint: token_type %s, not Bearer",
		    t);
		free(t);
	}
	else if (refresh != NULL && !token_valid(refresh))
		*cause = xasprintf("token endpoint: unusable refresh_token");
	else {
		r->access_token = xstrdup(tok);
		r->refresh_token = refresh ? xstrdup(refresh) : NULL;
		r->expires_in = response_expires(json_object_get(o,
		    "expires_in"));
		rc = 0;
	}
out:
	json_decref(o);
	return rc;
}

/* Collect the response body, capped. */
static size_t
http_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > MAX_RESPONSE)
		return 0;
	buf_add(b, ptr, n);
	return n;
}

/* Append "&key=value", the value URL-encoded. */
static void
form_add(struct buf *b, const char *key, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	if (v == NULL)
		fatalx("curl_easy_escape");
	buf_addf(b, "%s%s=%s", b->len ? "&" : "", key, v);
	explicit_bzero(v, strlen(v));
	curl_free(v);
}

/* POST the form to token_url and parse what comes back. */
static int
http_post(const struct config *c, const char *form,
    struct oauth2_response *r, char **cause)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct buf body;
	CURLcode rc;
	long status = 0;
	CURL *h;
	int ret;

	if ((h = curl_easy_init()) == NULL)
		fatalx("curl_easy_init");
	buf_init(&body);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(h, CURLOPT_URL, c->oauth2_token_url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pactd");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		*cause = xasprintf("token endpoint: %s%s%s",
		    curl_easy_strerror(rc), *errbuf ? ": " : "", errbuf);
		ret = -1;
	} else
		ret = oauth2_parse_response(body.s ? body.s : "", body.len,
		    status, r, cause);
	if (body.s != NULL)
		explicit_bzero(body.s, body.len);
	buf_free(&body);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}

/* The client's proof: the secret, or a fresh signed assertion. */
static int
form_client(const struct config *c, struct buf *f, char **cause)
{
	char *jwt;

	form_add(f, "client_id", c->oauth2_client_id);
	if (oa.key == NULL) {
		if (oa.secret != NULL)
			form_add(f, "client_secret", oa.secret);
		return 0;
	}
	jwt = oauth2_assertion(c->oauth2_token_url, c->oauth2_client_id,
	    oa.cert, oa.certlen, oa.key, oa.keylen, time(NULL), cause);
	if (jwt == NULL)
		return -1;
	form_add(f, "client_assertion_type",
	    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	form_add(f, "client_assertion", jwt);
	wipe_free(jwt);
	return 0;
}

/* Ask the token endpoint, by client credentials or refresh token. */
static int
fetch_endpoint(const struct config *c, struct oauth2_response *r,
    char **cause)
{
	struct buf f;
	int rc = -1;

	buf_init(&f);
	if (c->oauth2_grant == GRANT_REFRESH_TOKEN) {
		form_add(&f, "grant_type", "refresh_token");
		form_add(&f, "refresh_token", oa.refresh);
	} else
		form_add(&f, "grant_type", "client_credentials");
	if (*c->oauth2_scope != '\0')
		form_add(&f, "scope", c->oauth2_scope);
	if (form_client(c, &f, cause) == 0)
		rc = http_post(c, f.s, r, cause);
	if (f.s != NULL)
		explicit_bzero(f.s, f.len);
	buf_free(&f);
	return rc;
}

/* Read the child's output until EOF: 0, or -1 when the deadline passed
 * or more than a token came (the child is killed then). */
static int
command_read(int fd, pid_t pid, char *out, size_t max, size_t *len)
{
	time_t deadline = mono_now() + COMMAND_TIMEOUT;
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	*len = 0;
	for (;;) {
		int left = (int)(deadline - mono_now()), r = 0;

		if (left > 0 && (r = poll(&pfd, 1, left * 1000)) == -1 &&
		    errno == EINTR)
			continue;
		if (r > 0 && (n = read(fd, out + *len, max - *len)) == -1 &&
		    errno == EINTR)
			continue;
		if (r > 0 && n <= 0)
			return 0;
		if (r <= 0 || (*len += n) == max) {
			kill(-pid, SIGKILL);
			return -1;
		}
	}
}

/* token_command through /bin/sh; the first line of its output. */
static int
fetch_command(const struct config *c, struct oauth2_response *r,
    char **cause)
{
	char *out = xmalloc(MAX_TOKEN + 2);
	size_t len;
	int p[2], status, failed;
	pid_t pid;

	memset(r, 0, sizeof *r);
	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe2");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);	/* pactd ignores it */
		dup2(p[1], STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", c->oauth2_token_command,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	failed = command_read(p[0], pid, out, MAX_TOKEN + 1, &len);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (failed)
		*cause = xasprintf("token_command: no token within %d s and "
		    "%d bytes", COMMAND_TIMEOUT, MAX_TOKEN);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		*cause = xasprintf("token_command: exit status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
		    WTERMSIG(status));
	else if (!token_valid(out))
		*cause = xasprintf("token_command: no token on its first "
		    "line");
	else {
		r->access_token = xstrdup(out);
		r->expires_in = COMMAND_TTL;
	}
	wipe_freen(out, MAX_TOKEN + 2);
	return r->access_token ? 0 : -1;
}

/* Take a new token; renew it at 80 % of its life. */
static void
token_take(const struct config *c, struct oauth2_response *r, time_t now)
{
	long life = r->expires_in > 0 ? r->expires_in : 3600;

	wipe_free(oa.token);
	oa.token = r->access_token;
	r->access_token = NULL;
	if (r->refresh_token != NULL) {
		wipe_free(oa.refresh);
		oa.refresh = r->refresh_token;
		r->refresh_token = NULL;
	}
	oa.renew = now + (life * 4 / 5 > 0 ? life * 4 / 5 : 1);
	oa.expires = now + life;
	oa.backoff = 0;
	oa.retry = 0;
	log_info("oauth2: new access token (%s grant), valid for %ld s",
	    grant_names[c->oauth2_grant], life);
}

/* A failure: no new attempt for a growing while. */
static void
token_failed(time_t now)
{
	oa.backoff = oa.backoff == 0 ? BACKOFF_MIN : oa.backoff * 2;
	if (oa.backoff > BACKOFF_MAX)
		oa.backoff = BACKOFF_MAX;
	oa.retry = now + oa.backoff;
}

/* Ask for a token now; NULL with the cause (the caller's one log line). */
static const char *
token_fetch(const struct config *c, time_t now, char **cause)
{
	struct oauth2_response r;
	char *err = NULL;
	int rc;

	oauth2_protect();
	if (c->oauth2_grant == GRANT_COMMAND)
		rc = fetch_command(c, &r, &err);
	else
		rc = fetch_endpoint(c, &r, &err);
	if (rc == 0) {
		token_take(c, &r, now);
		oauth2_response_wipe(&r);
		return oa.token;
	}
	token_failed(now);
	/* A token not yet expired still serves while the endpoint rests. */
	if (oa.token != NULL && now < oa.expires) {
		log_warnx("oauth2: %s; the current token serves meanwhile, next "
		    "attempt in %d s", err, oa.backoff);
		free(err);
		return oa.token;
	}
	*cause = xasprintf("oauth2: %s; next attempt in %d s", err,
	    oa.backoff);
	free(err);
	return NULL;
}

const char *
oauth2_token(const struct config *c, char **cause)
{
	time_t now = mono_now();

	if (oa.token != NULL && now < oa.renew)
		return oa.token;
	if (now >= oa.retry)
		return token_fetch(c, now, cause);
	if (oa.token != NULL && now < oa.expires)
		return oa.token;
	*cause = xasprintf("oauth2: no access token until the next attempt "
	    "in %lld s", (long long)(oa.retry - now));
	return NULL;
}

void
oauth2_refused(const char *token)
{
	if (oa.token != NULL && token != NULL && strcmp(oa.token, token) == 0) {
		log_info("oauth2: the server refused the access token; "
		    "fetching another");
		wipe_free(oa.token);
		oa.token = NULL;
	}
}

static void
state_clear(struct oauth2_state *st)
{
	wipe_free(st->secret);
	wipe_freen(st->cert, st->certlen);
	wipe_freen(st->key, st->keylen);
	wipe_free(st->refresh);
	wipe_free(st->token);
	memset(st, 0, sizeof *st);
}

void
oauth2_clear(void)
{
	state_clear(&oa);
}

/* https, or http to this machine only (tests, a local proxy). */
static int
url_ok(const char *u)
{
	static const char *const local[] = { "http://127.0.0.1:",
	    "http://127.0.0.1/", "http://localhost:", "http://localhost/",
	    "http://[::1]:", "http://[::1]/" };

	if (strncasecmp(u, "https://", 8) == 0 && u[8] != '\0')
		return 1;
	for (size_t i = 0; i < nitems(local); i++)
		if (strncasecmp(u, local[i], strlen(local[i])) == 0)
			return 1;
	return 0;
}

/* The keys each grant needs. */
static int
keys_check(const struct config *c, char **cause)
{
	if ((c->imap_auth == AUTH_OAUTH2 && *c->imap_user == '\0') ||
	    (c->smtp_auth == AUTH_OAUTH2 && *c->smtp_user == '\0')) {
		*cause = xasprintf("auth = oauth2 needs the mailbox's address "
		    "as [imap] and [smtp] user");
		return -1;
	}
	if (c->oauth2_grant == GRANT_COMMAND) {
		if (*c->oauth2_token_command == '\0')
			*cause = xasprintf("[oauth2] grant = command needs "
			    "token_command");
		return *cause ? -1 : 0;
	}
	if (!url_ok(c->oauth2_token_url))
		*cause = xasprintf("[oauth2] token_url must be an https:// "
		    "URL");
	else if (*c->oauth2_client_id == '\0')
		*cause = xasprintf("[oauth2] client_id is empty");
	else if ((*c->oauth2_client_certificate_file == '\0') !=
	    (*c->oauth2_client_key_file == '\0'))
		*cause = xasprintf("[oauth2] client_certificate_file and "
		    "client_key_file go together");
	else if (c->oauth2_grant == GRANT_REFRESH_TOKEN &&
	    *c->oauth2_refresh_token_file == '\0' &&
	    getenv("CREDENTIALS_DIRECTORY") == NULL)
		*cause = xasprintf("[oauth2] grant = refresh_token needs "
		    "refresh_token_file");
	return *cause ? -1 : 0;
}

/* Read what the grant needs; the client secret is optional only for a
 * refresh token (public clients have none). */
static int
secrets_read(const struct config *c, char **cause)
{
	char *err = NULL;

	if (c->oauth2_grant == GRANT_COMMAND)
		return 0;
	if (*c->oauth2_client_key_file != '\0') {
		if (secret_load("oauth2-certificate",
		    c->oauth2_client_certificate_file, 0, &oa.cert, &oa.certlen,
		    cause) != 0 || secret_load("oauth2-key",
		    c->oauth2_client_key_file, 1, &oa.key, &oa.keylen,
		    cause) != 0)
			return -1;
	} else if (secret_line("oauth2-secret", c->oauth2_client_secret_file,
	    &oa.secret, &err) != 0) {
		if (c->oauth2_grant != GRANT_REFRESH_TOKEN) {
			*cause = err;
			return -1;
		}
		free(err);
	}
	if (c->oauth2_grant == GRANT_REFRESH_TOKEN &&
	    secret_line("oauth2-refresh-token", c->oauth2_refresh_token_file,
	    &oa.refresh, cause) != 0)
		return -1;
	return 0;
}

int
oauth2_init(const struct config *c, char **cause)
{
	struct oauth2_state old;

	if (c->imap_auth != AUTH_OAUTH2 && c->smtp_auth != AUTH_OAUTH2)
		return 0;
	if (keys_check(c, cause) != 0)
		return -1;
	oauth2_protect();
	/* On SIGHUP a bad new file keeps the old secrets in force. */
	old = oa;
	memset(&oa, 0, sizeof oa);
	if (secrets_read(c, cause) != 0) {
		state_clear(&oa);
		oa = old;
		return -1;
	}
	state_clear(&old);
	return 0;
}

/* RFC 7628 wants ',' and '=' in the authzid escaped. */
static void
gs2_user(struct buf *b, const char *user)
{
	for (; *user != '\0'; user++) {
		if (*user == ',')
			buf_adds(b, "=2C");
		else if (*user == '=')
			buf_adds(b, "=3D");
		else
			buf_addc(b, *user);
	}
}

char *
oauth2_sasl(const char *mech, const char *user, const char *token)
{
	struct buf b;
	char *out;

	buf_init(&b);
	if (strcasecmp(mech, "OAUTHBEARER") == 0) {
		buf_adds(&b, "n,a=");
		gs2_user(&b, user);
		buf_adds(&b, ",\001");
	} else
		buf_addf(&b, "user=%s\001", user);
	buf_addf(&b, "auth=Bearer %s\001\001", token);
	out = oauth2_base64(b.s, b.len, 0);
	explicit_bzero(b.s, b.len);
	buf_free(&b);
	return out;
}
