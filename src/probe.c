/*
 * pactd --check-config --connect (SPEC section 9): log in to both servers
 * with the real credentials, show what the IMAP server offers, send a
 * probe to pagt+probe-...@ and wait for it in the mailbox, then remove it.
 * An operator learns in one command whether login, TLS, folders and
 * subaddress delivery work; each failure is one line naming the cause and
 * the config keys to look at.
 */
#include <gnutls/crypto.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "imap.h"
#include "probe.h"
#include "smtp.h"
#include "util.h"

#define PROBE_SECONDS	30	/* PACTD_PROBE_SECONDS for the tests */

/* The keys behind an IMAP or SMTP failure, from the words of its cause. */
static const char *
probe_keys(const struct config *c, const char *sect, const char *cause,
    int auth)
{
	static char keys[160];

	if (strstr(cause, "certificate") != NULL || strstr(cause, "TLS") !=
	    NULL || strstr(cause, "SSL") != NULL)
		snprintf(keys, sizeof keys, "[%s] url, starttls, ca_file", sect);
	else if (strstr(cause, "oauth2:") != NULL)
		snprintf(keys, sizeof keys, "[oauth2] %s",
		    c->oauth2_grant == GRANT_COMMAND ? "token_command" :
		    c->oauth2_grant == GRANT_REFRESH_TOKEN ?
		    "token_url, client_id, refresh_token_file, scope" :
		    *c->oauth2_client_key_file ? "token_url, client_id, "
		    "client_certificate_file, client_key_file, scope" :
		    "token_url, client_id, client_secret_file, scope");
	else if (strstr(cause, "LOGIN") != NULL || strstr(cause,
	    "AUTHENTICATE") != NULL || strstr(cause, "Login denied") != NULL)
		snprintf(keys, sizeof keys, "[%s] user, %s", sect,
		    auth == AUTH_OAUTH2 ? "auth, and the mailbox's permission "
		    "for the [oauth2] application" : "password_file");
	else if (strstr(cause, "SELECT") != NULL)
		snprintf(keys, sizeof keys, "[imap] mailbox");
	else
		snprintf(keys, sizeof keys, "[%s] url", sect);
	return keys;
}

/* The server's capabilities on one line. */
static void
probe_capabilities(mailimap *s, FILE *out)
{
	struct mailimap_capability_data *caps = NULL;
	clistiter *it;

	fprintf(out, "imap: capabilities:");
	if (mailimap_capability(s, &caps) == MAILIMAP_NO_ERROR) {
		for (it = clist_begin(caps->cap_list); it; it = clist_next(it)) {
			struct mailimap_capability *cap = clist_content(it);

			if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE)
				fprintf(out, " AUTH=%s",
				    cap->cap_data.cap_auth_type);
			else
				fprintf(out, " %s", cap->cap_data.cap_name);
		}
		mailimap_capability_data_free(caps);
	}
	fprintf(out, "\n");
}

/* Every folder, so that the operator sees pactd's own were made. */
static void
probe_folders(mailimap *s, FILE *out)
{
	clist *list = NULL;
	clistiter *it;
	const char *sep = " ";

	fprintf(out, "imap: folders:");
	if (mailimap_list(s, "", "*", &list) == MAILIMAP_NO_ERROR &&
	    list != NULL) {
		for (it = clist_begin(list); it; it = clist_next(it)) {
			struct mailimap_mailbox_list *mb = clist_content(it);

			fprintf(out, "%s%s", sep, mb->mb_name);
			sep = ", ";
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	fprintf(out, "\n");
}

/* The UID of the probe in the selected mailbox, 0 when not there. */
static uint32_t
probe_find(mailimap *s, const char *msgid)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	uint32_t uid = 0;

	mailimap_noop(s);
	key = mailimap_search_key_new_header(xstrdup("Message-ID"),
	    xstrdup(msgid));
	if (mailimap_uid_search(s, NULL, key, &res) == MAILIMAP_NO_ERROR &&
	    res != NULL && clist_begin(res) != NULL)
		uid = *(uint32_t *)clist_content(clist_begin(res));
	if (res != NULL)
		mailimap_search_result_free(res);
	mailimap_search_key_free(key);
	return uid;
}

/* A running pactd may have filed the probe first: look in its folder,
 * named with the server's delimiter. */
static uint32_t
probe_find_filed(mailimap *s, const struct config *c, const char *msgid)
{
	struct mailimap_mailbox_list *mb;
	char *folder = xstrdup(c->folder_ignored), delim = '/';
	clist *list = NULL;
	uint32_t uid = 0;

	if (mailimap_list(s, "", "", &list) == MAILIMAP_NO_ERROR &&
	    list != NULL && clist_begin(list) != NULL) {
		mb = clist_content(clist_begin(list));
		if (mb->mb_delimiter != 0)
			delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	for (char *p = folder; *p != '\0'; p++)
		if (*p == '/')
			*p = delim;
	if (mailimap_select(s, folder) == MAILIMAP_NO_ERROR)
		uid = probe_find(s, msgid);
	free(folder);
	return uid;
}

/* Remove the probe and only it: UID EXPUNGE needs UIDPLUS, else it is
 * filed with the ignored mail. */
static const char *
probe_remove(struct imap *im, mailimap *s, const struct config *c,
    uint32_t uid, int filed)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sf;
	struct mailimap_set *set = mailimap_set_new_single(uid);
	const char *how = "removed";
	char *cause = NULL;
	int r;

	if (!mailimap_has_extension(s, "UIDPLUS")) {
		mailimap_set_free(set);
		mailimap_flag_list_free(fl);
		if (filed)
			return "left there (no UIDPLUS to remove it alone)";
		if (imap_move(im, &uid, 1, c->folder_ignored, &cause) == 0)
			return "filed in [folders] ignored";
		free(cause);
		return "left in the mailbox (it could not be moved)";
	}
	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(s, set, sf);
	if (r != MAILIMAP_NO_ERROR || mailimap_uid_expunge(s, set) !=
	    MAILIMAP_NO_ERROR)
		how = "left in the mailbox (it could not be removed)";
	mailimap_store_att_flags_free(sf);
	mailimap_set_free(set);
	return how;
}

/* The probe's address: the pact's, with +probe-HEX as its detail. */
static char *
probe_rcpt(const struct config *c, const char *hex)
{
	const char *at = strrchr(c->address, '@');

	return xasprintf("%.*s%sprobe-%s%s", (int)(at - c->address),
	    c->address, c->subaddress_separator, hex, at);
}

static char *
probe_mail(const struct config *c, const char *rcpt, const char *msgid)
{
	char date[64];

	clock_format_rfc5322(time(NULL), date, sizeof date);
	return xasprintf("From: %s\r\nTo: <%s>\r\nSubject: pactd connection "
	    "probe\r\nDate: %s\r\nMessage-ID: <%s>\r\nAuto-Submitted: "
	    "auto-generated\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\n\r\nThis mail tests pactd's connection; pactd "
	    "--check-config --connect removes it at once.\r\n", c->smtp_from,
	    rcpt, date, msgid);
}

/* Wait for the probe in the mailbox, and every two seconds in the
 * ignored folder too; its UID (*filed says where), or 0 after the time. */
static uint32_t
probe_wait(mailimap *s, const struct config *c, const char *msgid,
    int *filed, double *waited)
{
	const char *env = getenv("PACTD_PROBE_SECONDS");
	int limit = env != NULL && atoi(env) > 0 ? atoi(env) : PROBE_SECONDS;
	struct timespec t0, t1;
	uint32_t uid;

	*waited = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 1;; i++) {
		*filed = 0;
		if ((uid = probe_find(s, msgid)) == 0 && i % 8 == 0) {
			*filed = (uid = probe_find_filed(s, c, msgid)) != 0;
			if (uid == 0 && mailimap_select(s, c->imap_mailbox) !=
			    MAILIMAP_NO_ERROR)
				return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) /
		    1e9;
		if (uid != 0 || *waited >= limit)
			return uid;
		usleep(250 * 1000);
	}
}

/* Send the probe to ourselves and find it in the mailbox. */
static int
probe_mailbox(const struct config *c, struct imap *im, mailimap *s,
    FILE *out)
{
	unsigned char rnd[8];
	char hex[17], *rcpt, *msgid, *mail, *cause = NULL;
	struct smtp *smtp = smtp_new(c);
	enum smtp_result r;
	double waited;
	uint32_t uid;
	int filed;

	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof rnd) != 0)
		return EX_SOFTWARE;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	rcpt = probe_rcpt(c, hex);
	msgid = xasprintf("probe-%s%s", hex, strrchr(c->address, '@'));
	mail = probe_mail(c, rcpt, msgid);
	r = smtp_send(smtp, NULL, rcpt, mail, strlen(mail), NULL, NULL, &cause);
	smtp_free(smtp);
	free(mail);
	if (r != SMTP_OK) {
		fprintf(out, "smtp: %s: the probe to %s was not taken: %s "
		    "(see %s%s)\n", c->smtp_url, rcpt, cause, probe_keys(c,
		    "smtp", cause, c->smtp_auth), r == SMTP_PERMFAIL ?
		    ", [pact] address, subaddress_separator" : "");
		free(cause);
		free(rcpt);
		free(msgid);
		return EX_UNAVAILABLE;
	}
	fprintf(out, "smtp: %s: logged in (auth = %s), the probe to %s taken\n",
	    c->smtp_url, c->smtp_auth == AUTH_OAUTH2 ? "oauth2" : *c->smtp_user ?
	    "password" : "none", rcpt);
	if ((uid = probe_wait(s, c, msgid, &filed, &waited)) != 0)
		fprintf(out, "probe: arrived in %s after %.1f s; %s\n",
		    filed ? c->folder_ignored : c->imap_mailbox, waited,
		    probe_remove(im, s, c, uid, filed));
	else
		fprintf(out, "probe: the mail to %s did not reach %s within "
		    "%.0f s: does the provider deliver subaddresses to the "
		    "mailbox? (see [pact] address, subaddress_separator, "
		    "[imap] mailbox)\n", rcpt, c->imap_mailbox, waited);
	free(rcpt);
	free(msgid);
	return uid != 0 ? EX_OK : EX_UNAVAILABLE;
}

int
probe_run(const struct config *c, FILE *out)
{
	struct imap *im = imap_new(c);
	char *cause = NULL;
	mailimap *s;
	int rc;

	if (imap_connect(im, &cause) != 0) {
		fprintf(out, "imap: %s (see %s)\n", cause, probe_keys(c, "imap",
		    cause, c->imap_auth));
		free(cause);
		imap_free(im);
		return EX_UNAVAILABLE;
	}
	s = imap_session(im);
	fprintf(out, "imap: %s: logged in as %s (auth = %s), %s selected\n",
	    c->imap_url, c->imap_user, c->imap_auth == AUTH_OAUTH2 ? "oauth2" :
	    "password", c->imap_mailbox);
	probe_capabilities(s, out);
	probe_folders(s, out);
	rc = probe_mailbox(c, im, s, out);
	imap_free(im);
	if (rc == EX_OK)
		fprintf(out, "connect: ok\n");
	return rc;
}
