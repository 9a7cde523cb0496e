/*
 * SMTP with libcurl. One easy handle lives for a run of the outbox so that
 * curl reuses the connection; a server that limits mails per session
 * (OpenSMTPD answers the 101st MAIL FROM with 452) gets a fresh one.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oauth2.h"
#include "notify.h"
#include "smtp.h"
#include "util.h"
#include "watchdog.h"

struct smtp {
	const struct config *conf;
	CURL *curl;
	const char *token;	/* the access token of the last try */
	char *tokerr;		/* why there was none */
	char errbuf[CURL_ERROR_SIZE];
	char reply[512];	/* the server's last refusal, one line */
	char *last_error;	/* why the last mail did not go; NULL */
};

struct upload {
	const char *data;
	size_t len, off;
	int (*before_end)(void *);
	void *arg;
	int ended;
};

/*
 * Hand curl the message. curl asks again only once it has sent what it
 * had, so when it asks after the last byte the whole message is on the
 * wire: before_end runs then, and curl's final dot is the next thing it
 * sends. Nothing else lies between the two.
 */
static size_t
smtp_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb, left = u->len - u->off;

	if (left == 0) {
		if (!u->ended) {
			u->ended = 1;
			if (u->before_end != NULL && u->before_end(u->arg) != 0)
				return CURL_READFUNC_ABORT;
		}
		return 0;
	}
	if (n > left)
		n = left;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

struct smtp *
smtp_new(const struct config *c)
{
	static int inited;
	struct smtp *s = xcalloc(1, sizeof *s);

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	s->conf = c;
	return s;
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->tokerr);
	free(s->last_error);
	free(s);
}

/*
 * Keep the server's last refusal (4xx or 5xx): curl tells only its code,
 * and a bounce is to say why; the QUIT's 221 that follows is not it. Only
 * what the server sent is looked at, never what went out (the login).
 */
static int
smtp_debug(CURL *h, curl_infotype type, char *data, size_t len, void *arg)
{
	struct smtp *s = arg;
	size_t n;

	if (type != CURLINFO_HEADER_IN || len < 3 ||
	    (data[0] != '4' && data[0] != '5'))
		return 0;
	n = strcspn(data, "\r\n");
	if (n > len)
		n = len;
	if (n >= sizeof s->reply)
		n = sizeof s->reply - 1;
	memcpy(s->reply, data, n);
	s->reply[n] = '\0';
	return 0;
}

/* Set the options that stay the same for every mail. */
static void
smtp_setup(struct smtp *s)
{
	const struct config *c = s->conf;
	CURL *h = s->curl;

	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	/* Bounded so that the loop feeds the watchdog in time; a server that
	 * stalls is given up after the same time. */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, watchdog_io_ms(20000));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2 * watchdog_io_ms(60000));
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
	    watchdog_io_ms(60000) / 1000);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->smtp_starttls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (*c->smtp_ca_file != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file);
	if (*c->smtp_user != '\0')
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
	/* Either bearer mechanism, whichever the server offers; no
	 * CURLOPT_SASL_IR, as a long token must go on the 334 line. */
	if (c->smtp_auth == AUTH_OAUTH2)
		curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS,
		    "AUTH=OAUTHBEARER;AUTH=XOAUTH2");
	else if (*c->smtp_user != '\0')
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    c->smtp_password ? c->smtp_password : "");
}

/* Hand curl the current access token; NULL when there is none. */
static const char *
smtp_bearer(struct smtp *s, char **cause)
{
	const char *tok;

	if ((tok = oauth2_token(s->conf, cause)) != NULL)
		curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, tok);
	return tok;
}

/* One attempt; returns the curl code and the last SMTP reply code. */
static CURLcode
smtp_try(struct smtp *s, const char *from, const char *rcpt,
    struct upload *u, int fresh, long *code)
{
	struct curl_slist *rcpts = NULL;
	char *to = xasprintf("<%s>", rcpt);
	CURLcode rc;

	*code = 0;
	if (s->curl == NULL) {
		if ((s->curl = curl_easy_init()) == NULL)
			fatalx("curl_easy_init");
		smtp_setup(s);
	}
	if (s->conf->smtp_auth == AUTH_OAUTH2 &&
	    (s->token = smtp_bearer(s, &s->tokerr)) == NULL) {
		free(to);
		return CURLE_LOGIN_DENIED;
	}
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	rcpts = curl_slist_append(rcpts, to);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts);
	u->off = 0;
	u->ended = 0;
	/* No CURLOPT_INFILESIZE: curl would count dot-stuffed bytes against
	 * it and end the data early; it reads until we say EOF. */
	curl_easy_setopt(s->curl, CURLOPT_READDATA, u);
	curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, (long)fresh);
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, code);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	free(to);
	return rc;
}

/*
 * Whether a permanent refusal concerns this recipient or this message (at
 * RCPT, at DATA or after the data): a bounce. A refusal of the sender or
 * the login is the pact's own problem and a failure.
 */
static int
smtp_refused(const struct smtp *s, CURLcode rc, const struct upload *u)
{
	return strncmp(s->errbuf, "RCPT failed", 11) == 0 ||
	    strncmp(s->errbuf, "DATA failed", 11) == 0 ||
	    (u->ended && rc != CURLE_ABORTED_BY_CALLBACK);
}

/* The envelope sender: the pact's address, or its subaddress. */
static char *
smtp_from(const struct smtp *s, const char *detail)
{
	char *a, *from;

	if (detail == NULL)
		return xasprintf("<%s>", s->conf->address);
	a = notice_subaddress(s->conf, detail);
	from = xasprintf("<%s>", a);
	free(a);
	return from;
}

enum smtp_result
smtp_send(struct smtp *s, const char *detail, const char *rcpt,
    const char *data, size_t len, int (*before_end)(void *), void *arg,
    char **cause)
{
	struct upload u = { data, len, 0, before_end, arg, 0 };
	char *from = smtp_from(s, detail);
	CURLcode rc;
	long code;

	rc = smtp_try(s, from, rcpt, &u, 0, &code);
	if (rc != CURLE_OK && rc != CURLE_ABORTED_BY_CALLBACK && code != 0 &&
	    code < 500) {
		/* 421/452: the session is used up; a new one may take it. */
		rc = smtp_try(s, from, rcpt, &u, 1, &code);
	}
	free(s->last_error);
	s->last_error = NULL;
	if (rc == CURLE_LOGIN_DENIED && code >= 500 && s->token != NULL) {
		/* A refused token is replaced once (revoked, expired early). */
		oauth2_refused(s->token);
		rc = smtp_try(s, from, rcpt, &u, 1, &code);
	}
	free(from);
	if (s->tokerr != NULL) {
		*cause = s->tokerr;
		s->last_error = xstrdup(*cause);
		s->tokerr = NULL;
		return SMTP_TEMPFAIL;
	}
	if (rc == CURLE_OK)
		return SMTP_OK;
	*cause = xasprintf("%s%s%s (SMTP %ld)", curl_easy_strerror(rc),
	    s->errbuf[0] ? ": " : "", s->errbuf, code);
	s->last_error = xstrdup(*cause);
	if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		return smtp_refused(s, rc, &u) ? SMTP_REFUSED : SMTP_PERMFAIL;
	/* A connection in an unknown state is not reused. */
	curl_easy_cleanup(s->curl);
	s->curl = NULL;
	return SMTP_TEMPFAIL;
}

const char *
smtp_last_error(const struct smtp *s)
{
	return s->last_error != NULL ? s->last_error : "no answer";
}

const char *
smtp_last_reply(const struct smtp *s)
{
	return s->reply;
}
