/*
 * IMAP login with an OAuth 2.0 bearer token: AUTHENTICATE OAUTHBEARER
 * (RFC 7628) or XOAUTH2, whichever the server advertises, with the
 * initial response on the command line where the server offers SASL-IR
 * (Microsoft 365, Gmail and Dovecot do, and take tokens of several KB that
 * way), else after its "+".
 *
 * libetpan's mailimap_oauth2_authenticate() speaks XOAUTH2 only and
 * hides the response code, and a temporary failure (NO [UNAVAILABLE]:
 * the server could not check the token) must not count as a refused
 * token; so the command is sent here with libetpan's lower layer.
 */
#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_oauth2.h"
#include "oauth2.h"
#include "util.h"

/* OAUTHBEARER when offered (the standard), else XOAUTH2. */
static const char *
imap_oauth2_mech(mailimap *s)
{
	struct mailimap_capability_data *caps = NULL;

	if (mailimap_capability(s, &caps) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(caps);
	if (mailimap_has_authentication(s, "OAUTHBEARER"))
		return "OAUTHBEARER";
	if (mailimap_has_authentication(s, "XOAUTH2"))
		return "XOAUTH2";
	return NULL;
}

/* Write a line that holds a token, and wipe it. */
static int
imap_oauth2_write(mailimap *s, char *line)
{
	int r = MAILIMAP_NO_ERROR;

	if (mailstream_write(s->imap_stream, line, strlen(line)) == -1 ||
	    mailstream_flush(s->imap_stream) == -1)
		r = MAILIMAP_ERROR_STREAM;
	explicit_bzero(line, strlen(line));
	free(line);
	return r;
}

/* The tagged command with the stream's logger kept away; without SASL-IR
 * the response goes after the server's "+". */
static int
imap_oauth2_send(mailimap *s, const char *mech, const char *ir)
{
	int sasl_ir = mailimap_has_extension(s, "SASL-IR"), r;
	char *line;

	mailstream_set_privacy(s->imap_stream, 0);
	r = mailimap_send_current_tag(s);
	if (r == MAILIMAP_NO_ERROR && sasl_ir)
		r = imap_oauth2_write(s, xasprintf("AUTHENTICATE %s %s\r\n",
		    mech, ir));
	else if (r == MAILIMAP_NO_ERROR) {
		r = imap_oauth2_write(s, xasprintf("AUTHENTICATE %s\r\n",
		    mech));
		if (r == MAILIMAP_NO_ERROR && ((line = mailimap_read_line(s)) ==
		    NULL || line[0] != '+'))
			r = MAILIMAP_ERROR_STREAM;
		if (r == MAILIMAP_NO_ERROR)
			r = imap_oauth2_write(s, xasprintf("%s\r\n", ir));
	}
	mailstream_set_privacy(s->imap_stream, 1);
	return r;
}

/* Whether a tagged NO carries [UNAVAILABLE]: the server's fault. */
static int
imap_oauth2_unavailable(struct mailimap_response *resp)
{
	struct mailimap_resp_text *t = resp->rsp_resp_done->rsp_data.
	    rsp_tagged->rsp_cond_state->rsp_text;

	return t != NULL && t->rsp_code != NULL && t->rsp_code->rc_type ==
	    MAILIMAP_RESP_TEXT_CODE_OTHER && t->rsp_code->rc_data.rc_atom.
	    atom_name != NULL && strcasecmp(t->rsp_code->rc_data.rc_atom.
	    atom_name, "UNAVAILABLE") == 0;
}

/* One AUTHENTICATE. A refusal arrives as a "+" challenge carrying the
 * error, which the client must answer before the NO comes. */
static enum imap_oauth2_result
imap_oauth2_try(mailimap *s, const char *mech, const char *user,
    const char *token)
{
	struct mailimap_response *resp;
	char *ir = oauth2_sasl(mech, user, token), *line;
	const char *ack = strcmp(mech, "OAUTHBEARER") == 0 ? "AQ==\r\n" :
	    "\r\n";
	int r, type, unavailable;

	r = imap_oauth2_send(s, mech, ir);
	explicit_bzero(ir, strlen(ir));
	free(ir);
	if (r != MAILIMAP_NO_ERROR || (line = mailimap_read_line(s)) == NULL)
		return IMAP_OAUTH2_ERROR;
	if (line[0] == '+' && (mailstream_write(s->imap_stream, ack,
	    strlen(ack)) == -1 || mailstream_flush(s->imap_stream) == -1))
		return IMAP_OAUTH2_ERROR;
	if (mailimap_parse_response(s, &resp) != MAILIMAP_NO_ERROR)
		return IMAP_OAUTH2_ERROR;
	type = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->
	    rsp_type;
	unavailable = imap_oauth2_unavailable(resp);
	mailimap_response_free(resp);
	if (type == MAILIMAP_RESP_COND_STATE_OK) {
		s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		return IMAP_OAUTH2_OK;
	}
	return unavailable ? IMAP_OAUTH2_ERROR : IMAP_OAUTH2_REFUSED;
}

enum imap_oauth2_result
imap_oauth2_login(mailimap *s, const struct config *c, char **cause)
{
	enum imap_oauth2_result r = IMAP_OAUTH2_REFUSED;
	const char *mech = imap_oauth2_mech(s), *tok;

	if (mech == NULL) {
		*cause = xasprintf("the server offers neither AUTH=OAUTHBEARER "
		    "nor AUTH=XOAUTH2 ([imap] auth = oauth2)");
		return IMAP_OAUTH2_ERROR;
	}
	/* A refused token is replaced once: it may have been revoked or
	 * have expired early. */
	for (int i = 0; i < 2 && r == IMAP_OAUTH2_REFUSED; i++) {
		if ((tok = oauth2_token(c, cause)) == NULL)
			return IMAP_OAUTH2_ERROR;
		if ((r = imap_oauth2_try(s, mech, c->imap_user, tok)) ==
		    IMAP_OAUTH2_REFUSED)
			oauth2_refused(tok);
	}
	if (r != IMAP_OAUTH2_OK)
		*cause = xasprintf("AUTHENTICATE %s %s: %s", mech, r ==
		    IMAP_OAUTH2_REFUSED ? "refused" : "failed",
		    s->imap_response ? s->imap_response : "no answer");
	return r;
}
