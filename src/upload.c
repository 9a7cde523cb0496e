/*
 * Uploading the page with libcurl. Over WebDAV a file is PUT as
 * NAME.pactd-new and then MOVEd onto NAME (Overwrite: T), which the server
 * does with a rename. Over SFTP the file goes up as NAME.pactd-new and
 * quote commands rename it after the transfer; OpenSSH's sftp-server
 * (SFTP version 3) refuses to rename onto a file that exists, and curl
 * asks for no posix-rename, so the old file is first renamed aside to
 * NAME.pactd-old (kept until the next upload): for one request a reader
 * may miss the file (a web server can serve NAME.pactd-old then, see
 * pactd.conf(5)), never read part of it. Every request is bounded in
 * time so that the mail loop is never held long.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "upload.h"
#include "util.h"

#define UPLOAD_CONNECT_TIMEOUT	10L	/* seconds to reach the server */
#define UPLOAD_TIMEOUT		90L	/* seconds for one request */
#define UPLOAD_LOW_SPEED	1024L	/* bytes a second, at least ... */
#define UPLOAD_LOW_SPEED_TIME	20L	/* ... over this many seconds */

enum upload_kind { UPLOAD_SFTP, UPLOAD_DAV };

struct upload {
	enum upload_kind kind;
	char *base;		/* publish_url, ending in '/' */
	char *dir;		/* SFTP: the folder for quote commands */
	char *user;
	char *password;		/* or NULL */
	char *keyfile;		/* SFTP: a private key instead, or NULL */
	char *known_hosts;
	int khmatch;		/* curl_khmatch of the last host key */
	volatile sig_atomic_t *stop;	/* SIGTERM: end the transfer */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

char *
upload_known_hosts(const struct config *c)
{
	const char *slash = strrchr(c->path, '/');

	if (slash == NULL)
		return xstrdup("known_hosts");
	return xasprintf("%.*s/known_hosts", (int)(slash - c->path), c->path);
}

/* Where the login is read: systemd's credential publish-password, else
 * publish_password_file (as secret_read looks). */
static char *
upload_secret_path(const struct config *c)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path;

	if (dir != NULL && *dir != '\0') {
		path = xasprintf("%s/publish-password", dir);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return xstrdup(c->publish_password_file);
}

static void
secret_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* The login: a password, or for SFTP a private key (a file that begins
 * "-----BEGIN"), which curl reads by its path. */
static int
upload_secret(struct upload *u, const struct config *c, struct strv *errors,
    struct strv *warnings)
{
	char *s = NULL;

	if (*c->publish_user == '\0')
		return 0;
	if (secret_read("publish-password", c->publish_password_file, &s,
	    errors, warnings) != 0)
		return -1;
	if (u == NULL) {
		secret_free(s);	/* only checked */
		return 0;
	}
	if (u->kind == UPLOAD_SFTP && strncmp(s, "-----BEGIN ", 11) == 0) {
		u->keyfile = upload_secret_path(c);
		secret_free(s);
	} else
		u->password = s;
	return 0;
}

void
upload_check(const struct config *c, struct strv *errors,
    struct strv *warnings)
{
	if (*c->publish_url != '\0')
		upload_secret(NULL, c, errors, warnings);
}

/* The folder of sftp://host[:port]/path/ as a path on the server: "/~/"
 * is the login's home, that is a relative path. */
static char *
upload_sftp_dir(CURL *h, const char *url)
{
	const char *p = strchr(url + strlen("sftp://"), '/');
	char *dec, *dir;

	if (p == NULL)
		return xstrdup("/");
	if ((dec = curl_easy_unescape(h, p, 0, NULL)) == NULL)
		fatalx("curl_easy_unescape");
	dir = xstrdup(strncmp(dec, "/~/", 3) == 0 ? dec + 3 : dec);
	curl_free(dec);
	return dir;
}

struct upload *
upload_open(const struct config *c, volatile sig_atomic_t *stop,
    char **cause)
{
	struct upload *u = xcalloc(1, sizeof *u);
	struct strv errors = { NULL, 0 };
	size_t len = strlen(c->publish_url);

	u->stop = stop;
	u->kind = strncmp(c->publish_url, "sftp://", 7) == 0 ? UPLOAD_SFTP :
	    UPLOAD_DAV;
	u->base = len > 0 && c->publish_url[len - 1] == '/' ?
	    xstrdup(c->publish_url) : xasprintf("%s/", c->publish_url);
	u->user = xstrdup(c->publish_user);
	u->known_hosts = upload_known_hosts(c);
	if ((u->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init");
	if (u->kind == UPLOAD_SFTP)
		u->dir = upload_sftp_dir(u->curl, u->base);
	if (upload_secret(u, c, &errors, NULL) != 0) {
		*cause = xstrdup(errors.n > 0 ? errors.v[0] :
		    "the publish login cannot be read");
		strv_free(&errors);
		upload_close(u);
		return NULL;
	}
	return u;
}

void
upload_close(struct upload *u)
{
	if (u == NULL)
		return;
	if (u->curl != NULL)
		curl_easy_cleanup(u->curl);
	secret_free(u->password);
	free(u->keyfile);
	free(u->known_hosts);
	free(u->user);
	free(u->dir);
	free(u->base);
	free(u);
}

/* Only a host key that known_hosts holds for this host is accepted. */
static int
upload_hostkey(CURL *h, const struct curl_khkey *known,
    const struct curl_khkey *found, enum curl_khmatch match, void *arg)
{
	struct upload *u = arg;

	u->khmatch = match;
	return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

static size_t
upload_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

/* A stop (SIGTERM) ends a transfer at once: systemd waits 20 s, not 90. */
static int
upload_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct upload *u = arg;

	return u->stop != NULL && *u->stop;
}

/* The login for SFTP: the key, else the password. */
static void
upload_ssh_login(struct upload *u)
{
	CURL *h = u->curl;

	curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, u->known_hosts);
	curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, upload_hostkey);
	curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, u);
	curl_easy_setopt(h, CURLOPT_NEW_FILE_PERMS, 0644L);
	curl_easy_setopt(h, CURLOPT_NEW_DIRECTORY_PERMS, 0755L);
	curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
	    (long)CURLFTP_CREATE_DIR);
	if (u->keyfile != NULL) {
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
		    (long)CURLSSH_AUTH_PUBLICKEY);
		curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, u->keyfile);
		/* Empty: libssh2 derives the public key from the private. */
		curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE, "");
	} else
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
		    (long)(CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD));
}

/* A fresh request on the kept handle (curl keeps the connection). */
static void
upload_setup(struct upload *u, const char *url)
{
	CURL *h = u->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp,https,http");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, u->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, UPLOAD_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, UPLOAD_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, UPLOAD_LOW_SPEED);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, UPLOAD_LOW_SPEED_TIME);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, upload_discard);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, upload_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (*u->user != '\0')
		curl_easy_setopt(h, CURLOPT_USERNAME, u->user);
	if (u->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, u->password);
	if (u->kind == UPLOAD_SFTP)
		upload_ssh_login(u);
	else
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	u->errbuf[0] = '\0';
	u->khmatch = CURLKHMATCH_OK;
}

/* "name: what failed", from curl's code and the server's answer. */
static char *
upload_error(struct upload *u, const char *name, const char *what,
    CURLcode rc)
{
	long code = 0;

	if (rc == CURLE_PEER_FAILED_VERIFICATION &&
	    u->khmatch == CURLKHMATCH_MISSING)
		return xasprintf("%s: the SFTP server's host key is not in %s "
		    "(add it there once checked: ssh-keyscan)", name,
		    u->known_hosts);
	if (rc == CURLE_PEER_FAILED_VERIFICATION &&
	    u->khmatch == CURLKHMATCH_MISMATCH)
		return xasprintf("%s: the SFTP server's host key differs from "
		    "the one in %s", name, u->known_hosts);
	if (rc != CURLE_OK)
		return xasprintf("%s: %s: %s", name, what, u->errbuf[0] ?
		    u->errbuf : curl_easy_strerror(rc));
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &code);
	return xasprintf("%s: %s: the server answered HTTP %ld", name, what,
	    code);
}

/* A request done: curl succeeded and, over HTTP, the server said 2xx. */
static int
upload_done(struct upload *u, const char *name, const char *what,
    CURLcode rc, char **cause)
{
	long code = 0;

	if (rc == CURLE_OK && u->kind == UPLOAD_DAV)
		curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && (u->kind == UPLOAD_SFTP || code / 100 == 2))
		return 0;
	*cause = upload_error(u, name, what, rc);
	/* A connection in an unknown state is not reused. */
	curl_easy_cleanup(u->curl);
	if ((u->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init");
	return -1;
}

/* A path for a quote command, in double quotes with " and \ escaped. */
static char *
upload_quote_path(const char *dir, const char *name, const char *suffix)
{
	struct buf b;
	char *path = xasprintf("%s%s%s", dir, name, suffix);

	buf_init(&b);
	buf_addc(&b, '"');
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '"');
	free(path);
	return buf_steal(&b);
}

/*
 * The commands that put NAME.pactd-new in place once it is up; '*' lets
 * the sequence go on when there is nothing to remove or move aside. The
 * old file stays as NAME.pactd-old until the next upload: a web server
 * that found NAME missing a moment ago still finds it there.
 */
static struct curl_slist *
upload_sftp_renames(struct upload *u, const char *name)
{
	char *fresh = upload_quote_path(u->dir, name, UPLOAD_NEW);
	char *final = upload_quote_path(u->dir, name, "");
	char *old = upload_quote_path(u->dir, name, UPLOAD_OLD);
	struct curl_slist *q = NULL;
	char *cmd[3];

	cmd[0] = xasprintf("*rm %s", old);
	cmd[1] = xasprintf("*rename %s %s", final, old);
	cmd[2] = xasprintf("rename %s %s", fresh, final);
	for (size_t i = 0; i < nitems(cmd); i++) {
		q = curl_slist_append(q, cmd[i]);
		free(cmd[i]);
	}
	free(fresh);
	free(final);
	free(old);
	return q;
}

/* A request that sends the file to url: SFTP and WebDAV alike. */
static void
upload_setup_file(struct upload *u, const char *url, FILE *fp, off_t size)
{
	upload_setup(u, url);
	curl_easy_setopt(u->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(u->curl, CURLOPT_READDATA, fp);
	curl_easy_setopt(u->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
}

static int
upload_sftp(struct upload *u, const char *name, FILE *fp, off_t size,
    char **cause)
{
	char *url = xasprintf("%s%s%s", u->base, name, UPLOAD_NEW);
	struct curl_slist *q = upload_sftp_renames(u, name);
	int rc;

	upload_setup_file(u, url, fp, size);
	curl_easy_setopt(u->curl, CURLOPT_POSTQUOTE, q);
	rc = upload_done(u, name, "SFTP", curl_easy_perform(u->curl), cause);
	curl_slist_free_all(q);
	free(url);
	return rc;
}

/* PUT the file under its temporary name. */
static int
upload_dav_put(struct upload *u, const char *name, const char *url,
    FILE *fp, off_t size, char **cause)
{
	upload_setup_file(u, url, fp, size);
	return upload_done(u, name, "PUT", curl_easy_perform(u->curl), cause);
}

/* MOVE it onto the file it replaces: the server renames. Destination is
 * the absolute URI, which Apache's mod_dav insists on. */
static int
upload_dav_move(struct upload *u, const char *name, const char *from,
    const char *to, char **cause)
{
	struct curl_slist *hdr = NULL;
	char *dest = xasprintf("Destination: %s", to);
	int rc;

	hdr = curl_slist_append(hdr, dest);
	hdr = curl_slist_append(hdr, "Overwrite: T");
	upload_setup(u, from);
	curl_easy_setopt(u->curl, CURLOPT_CUSTOMREQUEST, "MOVE");
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, hdr);
	rc = upload_done(u, name, "MOVE", curl_easy_perform(u->curl), cause);
	curl_slist_free_all(hdr);
	free(dest);
	return rc;
}

static int
upload_dav(struct upload *u, const char *name, FILE *fp, off_t size,
    char **cause)
{
	char *tmp = xasprintf("%s%s%s", u->base, name, UPLOAD_NEW);
	char *final = xasprintf("%s%s", u->base, name);
	int rc;

	rc = upload_dav_put(u, name, tmp, fp, size, cause);
	if (rc == 0)
		rc = upload_dav_move(u, name, tmp, final, cause);
	free(tmp);
	free(final);
	return rc;
}

int
upload_put(struct upload *u, const char *name, FILE *fp, off_t size,
    char **cause)
{
	if (u->kind == UPLOAD_SFTP)
		return upload_sftp(u, name, fp, size, cause);
	return upload_dav(u, name, fp, size, cause);
}
