/*
 * The IMAP session, as an explicit state machine:
 *
 *   DISCONNECTED -> CONNECTED (greeting, TLS verified) -> AUTHENTICATED
 *   -> SELECTED <-> IDLING, and back to DISCONNECTED on any error.
 *
 * TLS certificates are verified here with GnuTLS against the system's
 * trust store or [imap] ca_file, before the password is sent; libetpan
 * itself does not verify them.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_oauth2.h"
#include "log.h"
#include "util.h"
#include "watchdog.h"

enum imap_state { IMAP_DISCONNECTED, IMAP_CONNECTED, IMAP_AUTHENTICATED,
    IMAP_SELECTED, IMAP_IDLING };

struct imap {
	const struct config *conf;
	mailimap *session;
	enum imap_state state;
	char *host;
	uint16_t port;
	int tls;		/* implicit TLS (imaps://) */
	char delim;		/* the server's hierarchy delimiter */
	uint32_t uidvalidity;
	int has_move, has_uidplus, has_idle;
};

static const char *
strstate(enum imap_state s)
{
	static const char *const names[] = { "disconnected", "connected",
	    "authenticated", "selected", "idling" };

	return names[s];
}

static void
enter_state(struct imap *im, enum imap_state s)
{
	log_debug("imap %s:%u: %s -> %s", im->host ? im->host : "?",
	    im->port, strstate(im->state), strstate(s));
	im->state = s;
}

/* Parse imap[s]://host[:port][/], host also an [IPv6] address. */
static int
imap_parse_url(struct imap *im, const char *url, char **cause)
{
	const char *p = url + (strncmp(url, "imaps://", 8) == 0 ? 8 : 7);
	const char *colon, *end, *h = p, *hend;
	char *e;
	long port;

	im->tls = strncmp(url, "imaps://", 8) == 0;
	end = p + strcspn(p, "/");
	if (*p == '[' && (hend = memchr(p, ']', end - p)) != NULL) {
		h = p + 1;
		p = hend + 1;
	}
	colon = memchr(p, ':', end - p);
	hend = h == p ? (colon ? colon : end) : p - 1;
	free(im->host);
	im->host = xstrndup(h, hend - h);
	port = im->tls ? 993 : 143;
	if (colon != NULL) {
		port = strtol(colon + 1, &e, 10);
		if (e != end || port < 1 || port > 65535) {
			*cause = xasprintf("%s: bad port", url);
			return -1;
		}
	}
	if (*im->host == '\0') {
		*cause = xasprintf("%s: no host", url);
		return -1;
	}
	im->port = (uint16_t)port;
	return 0;
}

struct imap *
imap_new(const struct config *c)
{
	struct imap *im = xcalloc(1, sizeof *im);

	im->conf = c;
	im->delim = '/';
	return im;
}

void
imap_free(struct imap *im)
{
	if (im == NULL)
		return;
	imap_disconnect(im);
	free(im->host);
	free(im);
}

int
imap_connected(const struct imap *im)
{
	return im->state >= IMAP_SELECTED;
}

uint32_t
imap_uidvalidity(const struct imap *im)
{
	return im->uidvalidity;
}

void
imap_disconnect(struct imap *im)
{
	if (im->session != NULL) {
		if (im->state >= IMAP_AUTHENTICATED && im->state != IMAP_IDLING)
			mailimap_logout(im->session);
		mailimap_free(im->session);
		im->session = NULL;
	}
	if (im->state != IMAP_DISCONNECTED)
		enter_state(im, IMAP_DISCONNECTED);
}

/* libetpan's words for its error codes, with the server's last reply. */
static char *
imap_error(struct imap *im, const char *what, int r)
{
	const char *resp = NULL;

	if (im->session != NULL && im->session->imap_response != NULL)
		resp = im->session->imap_response;
	return xasprintf("%s:%u: %s failed%s (libetpan error %d%s%s)",
	    im->host, im->port, what, r == MAILIMAP_ERROR_STREAM ?
	    ": no answer in time or connection lost" :
	    r == MAILIMAP_ERROR_CONNECTION_REFUSED ? ": connection refused" :
	    "", r, resp ? ", server said: " : "", resp ? resp : "");
}

static void
tls_callback(struct mailstream_ssl_context *ctx, void *arg)
{
	mailstream_ssl_set_server_name(ctx, arg);
}

/* Check the server's certificate chain against the trust store and the
 * host name. */
static int
tls_verify(struct imap *im, char **cause)
{
	carray *chain = mailstream_get_certificate_chain(
	    im->session->imap_stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0, status = 0;
	int rc = -1, r;
	gnutls_typed_vdata_st vd[2];

	if (chain == NULL || carray_count(chain) == 0) {
		*cause = xasprintf("%s: no TLS certificate", im->host);
		goto out;
	}
	n = carray_count(chain);
	crts = xcalloc(n, sizeof *crts);
	for (unsigned i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str, der->len };

		gnutls_x509_crt_init(&crts[i]);
		if (gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER)) {
			*cause = xasprintf("%s: unreadable TLS certificate",
			    im->host);
			goto out;
		}
	}
	gnutls_x509_trust_list_init(&tl, 0);
	if (*im->conf->imap_ca_file != '\0')
		r = gnutls_x509_trust_list_add_trust_file(tl,
		    im->conf->imap_ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		*cause = xasprintf("%s: no CA certificates in %s", im->host,
		    *im->conf->imap_ca_file ? im->conf->imap_ca_file :
		    "the system trust store");
		goto out;
	}
	vd[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vd[0].data = (unsigned char *)im->host;
	vd[0].size = 0;
	vd[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vd[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vd[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vd, 2, 0, &status,
	    NULL);
	if (r < 0 || status != 0) {
		gnutls_datum_t msg = { NULL, 0 };

		gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &msg, 0);
		*cause = xasprintf("%s: TLS certificate not trusted: %s",
		    im->host, msg.data ? (char *)msg.data : gnutls_strerror(r));
		gnutls_free(msg.data);
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; crts != NULL && i < n; i++)
		if (crts[i] != NULL)
			gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* TCP (and TLS) up to the greeting, TLS verified. */
static int
imap_open(struct imap *im, char **cause)
{
	int r;

	im->session = mailimap_new(0, NULL);
	/* Connect, TLS and every read: under a server that does not answer,
	 * the loop still feeds the watchdog in time. */
	mailimap_set_timeout(im->session, watchdog_io_ms(60 * 1000) / 1000);
	if (im->tls)
		r = mailimap_ssl_connect_with_callback(im->session, im->host,
		    im->port, tls_callback, im->host);
	else
		r = mailimap_socket_connect(im->session, im->host, im->port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		*cause = imap_error(im, "connect", r);
		return -1;
	}
	if (!im->tls && im->conf->imap_starttls) {
		r = mailimap_socket_starttls_with_callback(im->session,
		    tls_callback, im->host);
		if (r != MAILIMAP_NO_ERROR) {
			*cause = imap_error(im, "STARTTLS", r);
			return -1;
		}
	}
	if ((im->tls || im->conf->imap_starttls) && tls_verify(im, cause) != 0)
		return -1;
	enter_state(im, IMAP_CONNECTED);
	return 0;
}

/* Whether the capability list names cap. */
static int
caps_have(struct mailimap_capability_data *caps, const char *cap)
{
	for (clistiter *it = clist_begin(caps->cap_list); it != NULL;
	    it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);

		if (c->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    strcasecmp(c->cap_data.cap_name, cap) == 0)
			return 1;
	}
	return 0;
}

/* What the server advertises after login decides how mail leaves INBOX
 * and how new mail is noticed; without an answer, assume none of it. A
 * server may serve more than it advertises, but only what it
 * advertises is used. */
static void
imap_learn_caps(struct imap *im)
{
	struct mailimap_capability_data *caps = NULL;

	im->has_move = im->has_uidplus = im->has_idle = 0;
	if (mailimap_capability(im->session, &caps) != MAILIMAP_NO_ERROR ||
	    caps == NULL) {
		log_warnx("imap %s:%u: no CAPABILITY answer; using neither "
		    "MOVE, UIDPLUS nor IDLE", im->host, im->port);
		return;
	}
	im->has_move = caps_have(caps, "MOVE");
	im->has_uidplus = caps_have(caps, "UIDPLUS");
	im->has_idle = caps_have(caps, "IDLE");
	mailimap_capability_data_free(caps);
}

/* How this session moves and waits, said once a login for the operator. */
static void
imap_log_mode(const struct imap *im)
{
	const char *move;

	if (im->has_move)
		move = "UID MOVE";
	else if (im->has_uidplus)
		move = "UID COPY, \\Deleted and UID EXPUNGE (no MOVE)";
	else
		move = "UID COPY and \\Deleted, the originals left in the "
		    "mailbox for the server's own expunge (no MOVE, no UIDPLUS)";
	if (im->conf->imap_idle && im->has_idle)
		log_info("imap %s:%u: moving with %s; waiting with IDLE",
		    im->host, im->port, move);
	else
		log_info("imap %s:%u: moving with %s; polling every %d s (%s)",
		    im->host, im->port, move, im->conf->poll_interval,
		    im->has_idle ? "idle = no" : "no IDLE");
}

/* LOGIN or AUTHENTICATE, then learn what the server can do. */
static int
imap_login(struct imap *im, char **cause)
{
	const struct config *c = im->conf;
	char *err = NULL;
	int r;

	if (c->imap_auth == AUTH_OAUTH2) {
		if (imap_oauth2_login(im->session, c, &err) != IMAP_OAUTH2_OK) {
			*cause = xasprintf("%s:%u: %s", im->host, im->port, err);
			free(err);
			return -1;
		}
	} else if ((r = mailimap_login(im->session, c->imap_user,
	    c->imap_password ? c->imap_password : "")) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "LOGIN", r);
		return -1;
	}
	enter_state(im, IMAP_AUTHENTICATED);
	imap_learn_caps(im);
	imap_log_mode(im);
	return 0;
}

/* The server's hierarchy delimiter, from LIST "" "". */
static void
imap_learn_delim(struct imap *im)
{
	clist *list = NULL;

	if (mailimap_list(im->session, "", "", &list) != MAILIMAP_NO_ERROR)
		return;
	if (list != NULL && clist_begin(list) != NULL) {
		struct mailimap_mailbox_list *mb =
		    clist_content(clist_begin(list));

		if (mb->mb_delimiter != 0)
			im->delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
}

/* The configured folder name with the server's delimiter. */
static char *
imap_folder(struct imap *im, const char *folder)
{
	char *f = xstrdup(folder);

	for (char *p = f; *p != '\0'; p++)
		if (*p == '/')
			*p = im->delim;
	return f;
}

/* Create a folder and its parents unless they exist. */
static void
imap_create(struct imap *im, const char *folder)
{
	char *f = imap_folder(im, folder);
	clist *list = NULL;
	int exists = 0;

	if (mailimap_list(im->session, "", f, &list) == MAILIMAP_NO_ERROR &&
	    list != NULL)
		exists = clist_begin(list) != NULL;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (!exists) {
		if (mailimap_create(im->session, f) == MAILIMAP_NO_ERROR)
			log_info("imap: created folder %s", f);
		else
			log_warnx("imap: cannot create folder %s: %s", f,
			    im->session->imap_response ?
			    im->session->imap_response : "");
	}
	free(f);
}

static int
imap_select(struct imap *im, char **cause)
{
	int r = mailimap_select(im->session, im->conf->imap_mailbox);

	if (r != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "SELECT", r);
		return -1;
	}
	im->uidvalidity = im->session->imap_selection_info ?
	    im->session->imap_selection_info->sel_uidvalidity : 0;
	enter_state(im, IMAP_SELECTED);
	return 0;
}

int
imap_connect(struct imap *im, char **cause)
{
	const struct config *c = im->conf;

	imap_disconnect(im);
	if (imap_parse_url(im, c->imap_url, cause) != 0 ||
	    imap_open(im, cause) != 0) {
		imap_disconnect(im);
		return -1;
	}
	watchdog_feed();
	if (imap_login(im, cause) != 0) {
		imap_disconnect(im);
		return -1;
	}
	watchdog_feed();
	imap_learn_delim(im);
	imap_create(im, c->folder_processed);
	imap_create(im, c->folder_rejected);
	imap_create(im, c->folder_quarantine);
	imap_create(im, c->folder_ignored);
	if (imap_select(im, cause) != 0) {
		imap_disconnect(im);
		return -1;
	}
	log_info("imap: connected to %s:%u%s, %s selected (uidvalidity %u%s%s)",
	    im->host, im->port, im->tls ? " (TLS)" : c->imap_starttls ?
	    " (STARTTLS)" : "", c->imap_mailbox, im->uidvalidity,
	    im->has_idle ? ", IDLE" : "", im->has_move ? ", MOVE" : "");
	return 0;
}

/* The UIDs as an IMAP set, runs of consecutive UIDs as ranges. */
static struct mailimap_set *
uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; i < n; ) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* The slot of uid in the ascending uids, or n. */
static size_t
uid_slot(const uint32_t *uids, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && uids[lo] == uid ? lo : n;
}

/* UNDELETED, which libetpan has no short constructor for. */
static struct mailimap_search_key *
search_undeleted(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
	    NULL);
}

/* A message flagged \Deleted is on its way out: one pactd copied on a
 * server without UIDPLUS, or one another client deleted. Neither is
 * read. */
int
imap_uids(struct imap *im, uint32_t **uids, size_t *n, char **cause)
{
	struct mailimap_search_key *key = search_undeleted();
	clist *res = NULL;
	clistiter *it;
	int r;

	*uids = NULL;
	*n = 0;
	r = mailimap_uid_search(im->session, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID SEARCH", r);
		imap_disconnect(im);
		return -1;
	}
	*uids = xcalloc(clist_count(res) + 1, sizeof **uids);
	for (it = clist_begin(res); it != NULL; it = clist_next(it))
		(*uids)[(*n)++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	/* Servers answer in ascending order, but nothing requires it. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && (*uids)[j - 1] > (*uids)[j]; j--) {
			uint32_t t = (*uids)[j];

			(*uids)[j] = (*uids)[j - 1];
			(*uids)[j - 1] = t;
		}
	return 0;
}

/* An answer's UID, size and body section, whichever it carries. */
static uint32_t
att_scan(struct mailimap_msg_att *ma, uint32_t *size,
    struct mailimap_msg_att_body_section **sec)
{
	uint32_t uid = 0;

	for (clistiter *a = clist_begin(ma->att_list); a; a = clist_next(a)) {
		struct mailimap_msg_att_item *item = clist_content(a);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			*sec = st->att_data.att_body_section;
			break;
		}
	}
	return uid;
}

/* Each answer's size into its UID's slot, found by binary search: one
 * pass over the answers, whatever the mailbox holds. */
static void
imap_sizes_fill(clist *res, const uint32_t *uids, size_t n, uint32_t *sizes)
{
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct mailimap_msg_att_body_section *sec = NULL;
		uint32_t sz = 0, uid = att_scan(clist_content(it), &sz, &sec);
		size_t i = uid_slot(uids, n, uid);

		if (i < n)
			sizes[i] = sz;
	}
}

int
imap_sizes(struct imap *im, const uint32_t *uids, size_t n, uint32_t *sizes,
    char **cause)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	int r;

	if (n == 0)
		return 0;
	set = uid_set(uids, n);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(im->session, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID FETCH RFC822.SIZE", r);
		imap_disconnect(im);
		return -1;
	}
	memset(sizes, 0, n * sizeof *sizes);
	imap_sizes_fill(res, uids, n, sizes);
	mailimap_fetch_list_free(res);
	return 0;
}

int
imap_fetch(struct imap *im, const uint32_t *uids, size_t n, int header_only,
    struct imap_msg *out, char **cause)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft;
	clist *res = NULL;
	int r;

	memset(out, 0, n * sizeof *out);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(header_only ?
	    mailimap_section_new_header() : mailimap_section_new(NULL)));
	r = mailimap_uid_fetch(im->session, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID FETCH", r);
		imap_disconnect(im);
		return -1;
	}
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct mailimap_msg_att_body_section *sec = NULL;
		uint32_t sz = 0, uid = att_scan(clist_content(it), &sz, &sec);
		size_t i = uid_slot(uids, n, uid);

		if (i == n || sec == NULL || sec->sec_body_part == NULL ||
		    out[i].raw != NULL)
			continue;
		out[i].raw = xstrndup(sec->sec_body_part, sec->sec_length);
		out[i].len = sec->sec_length;
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* COPY, \Deleted, UID EXPUNGE: MOVE for servers without it. Without
 * UIDPLUS there is no UID EXPUNGE, and a plain EXPUNGE would also remove
 * other clients' deleted mail: the originals stay flagged, unread by
 * imap_uids, for the server's own expunge. */
static int
imap_copy_delete(struct imap *im, struct mailimap_set *set, const char *f,
    char **cause)
{
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sf;
	int r;

	if ((r = mailimap_uid_copy(im->session, set, f)) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID COPY", r);
		return -1;
	}
	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(im->session, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID STORE", r);
		return -1;
	}
	if (!im->has_uidplus)
		return 0;
	if ((r = mailimap_uid_expunge(im->session, set)) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "UID EXPUNGE", r);
		return -1;
	}
	return 0;
}

int
imap_move(struct imap *im, const uint32_t *uids, size_t n, const char *folder,
    char **cause)
{
	struct mailimap_set *set = uid_set(uids, n);
	char *f = imap_folder(im, folder);
	int r, rc = 0;

	if (im->has_move) {
		r = mailimap_uid_move(im->session, set, f);
		if (r != MAILIMAP_NO_ERROR) {
			*cause = imap_error(im, "UID MOVE", r);
			rc = -1;
		}
	} else
		rc = imap_copy_delete(im, set, f, cause);
	mailimap_set_free(set);
	free(f);
	if (rc != 0)
		imap_disconnect(im);
	return rc;
}

/* Sleep on the signal pipe only: the polling way. */
static enum imap_wake
imap_sleep(struct imap *im, int timeout_ms, int sigfd, char **cause)
{
	struct pollfd pfd = { sigfd, POLLIN, 0 };
	int poll_ms = im->conf->poll_interval * 1000;
	int r;

	if (timeout_ms < 0 || timeout_ms > poll_ms)
		timeout_ms = poll_ms;
	r = poll(&pfd, 1, timeout_ms);
	if (r > 0)
		return IMAP_WAKE_SIGNAL;
	if (r < 0 && errno != EINTR) {
		*cause = xasprintf("poll: %s", strerror(errno));
		return IMAP_WAKE_ERROR;
	}
	if (mailimap_noop(im->session) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "NOOP", -1);
		imap_disconnect(im);
		return IMAP_WAKE_ERROR;
	}
	return timeout_ms == poll_ms ? IMAP_WAKE_MAIL : IMAP_WAKE_TIMEOUT;
}

/* IDLE until the server speaks, a signal comes or the timeout ends. */
static enum imap_wake
imap_idle(struct imap *im, int timeout_ms, int sigfd, char **cause)
{
	struct pollfd pfd[2];
	enum imap_wake w = IMAP_WAKE_TIMEOUT;
	int r;

	/* RFC 2177: re-issue IDLE at least every 29 minutes. */
	if (timeout_ms < 0 || timeout_ms > 25 * 60 * 1000)
		timeout_ms = 25 * 60 * 1000;
	if ((r = mailimap_idle(im->session)) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "IDLE", r);
		imap_disconnect(im);
		return IMAP_WAKE_ERROR;
	}
	enter_state(im, IMAP_IDLING);
	/* Dovecot may send "* n EXISTS" in the packet with "+ idling";
	 * libetpan then holds it in its buffer and poll() would not see it. */
	if (im->session->imap_stream->read_buffer_len > 0)
		w = IMAP_WAKE_MAIL;
	else {
		pfd[0].fd = mailimap_idle_get_fd(im->session);
		pfd[0].events = POLLIN;
		pfd[1].fd = sigfd;
		pfd[1].events = POLLIN;
		r = poll(pfd, 2, timeout_ms);
		if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			w = IMAP_WAKE_MAIL;
		else if (r > 0)
			w = IMAP_WAKE_SIGNAL;
	}
	if ((r = mailimap_idle_done(im->session)) != MAILIMAP_NO_ERROR) {
		*cause = imap_error(im, "IDLE DONE", r);
		imap_disconnect(im);
		return IMAP_WAKE_ERROR;
	}
	enter_state(im, IMAP_SELECTED);
	return w;
}

enum imap_wake
imap_wait(struct imap *im, int timeout_ms, int sigfd, char **cause)
{
	if (im->conf->imap_idle && im->has_idle)
		return imap_idle(im, timeout_ms, sigfd, cause);
	return imap_sleep(im, timeout_ms, sigfd, cause);
}

struct mailimap *
imap_session(struct imap *im)
{
	return im->session;
}
