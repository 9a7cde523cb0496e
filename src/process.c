/*
 * The heart of the mail loop. A message's effect, the mails it causes and
 * the record that it was seen are written in the caller's transaction, so
 * they commit together; the MOVE comes after, so a kill in between only
 * leaves an answered message in INBOX, which the next pass recognises by
 * its key and moves without answering again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "body.h"
#include "bounce.h"
#include "clock.h"
#include "kind.h"
#include "log.h"
#include "mime.h"
#include "notify.h"
#include "outbox.h"
#include "problem.h"
#include "process.h"
#include "screen.h"
#include "util.h"

enum outcome { OUTCOME_PROCESSED, OUTCOME_REJECTED, OUTCOME_QUARANTINE,
    OUTCOME_IGNORED };

static const char *const outcome_names[] = { "processed", "rejected",
    "quarantine", "ignored" };

static const char *
outcome_folder(const struct config *c, enum outcome o)
{
	const char *folders[] = { c->folder_processed, c->folder_rejected,
	    c->folder_quarantine, c->folder_ignored };

	return folders[o];
}

static int
outcome_parse(const char *s)
{
	for (size_t i = 0; i < nitems(outcome_names); i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return (int)i;
	return OUTCOME_PROCESSED;
}

/* What the decision about one message came to. */
struct decision {
	enum outcome outcome;
	const char *kind;
	char *ref;
	char *reason;
};

/* The Message-ID, or a digest of the whole message when it has none. */
static char *
message_id_key(const struct mail *m, const char *raw, size_t len)
{
	char hex[65];

	if (m != NULL && m->message_id != NULL && *m->message_id != '\0' &&
	    strlen(m->message_id) < 900)
		return xstrdup(m->message_id);
	sha256_hex(raw, len, hex);
	return xasprintf("sha256:%s", hex);
}

/* A digest of the From address and the body: the same in every copy of
 * one message, whatever the hops on its way added to the header. */
static void
message_digest(const struct mail *m, const char *raw, size_t len,
    char out[65])
{
	const char *crlf = memmem(raw, len, "\r\n\r\n", 4);
	const char *lf = memmem(raw, len, "\n\n", 2);
	size_t off = len;
	char body[65], *s;

	if (lf != NULL && (crlf == NULL || lf < crlf))
		off = (size_t)(lf - raw) + 2;
	else if (crlf != NULL)
		off = (size_t)(crlf - raw) + 4;
	sha256_hex(raw + off, len - off, body);
	s = xasprintf("%s\n%s", m != NULL && m->from_addr ? m->from_addr : "",
	    body);
	sha256_hex(s, strlen(s), out);
	free(s);
}

/*
 * Whether another message holds key: one whose From and body differ, so
 * that it must not pre-empt this one. A row from before digests were
 * kept is this message when its sender is. 1, 0, or -1 with *cause.
 */
static int
key_taken(struct store *s, const char *key, const char *digest,
    const char *from, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT digest IS NOT ?2 AND "
	    "(digest IS NOT NULL OR sender IS NOT ?3) FROM processed "
	    "WHERE msgkey = ?1");
	int rc, taken = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		taken = sqlite3_column_int(st, 0);
	store_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = store_error(s);
		return -1;
	}
	return taken;
}

/*
 * The key a message is recorded under: its Message-ID; the Message-ID
 * and the digest when another message holds the Message-ID (a sender who
 * reuses one, or a stranger who sent it first to pre-empt the genuine
 * mail); a digest of the whole message when it has none. NULL and *cause
 * when the store failed.
 */
static char *
message_key(struct store *s, const struct mail *m, const char *raw,
    size_t len, const char *digest, char **cause)
{
	char *key = message_id_key(m, raw, len);
	int taken;

	if (strncmp(key, "sha256:", 7) == 0)
		return key;
	if ((taken = key_taken(s, key, digest, m->from_addr, cause)) == 0)
		return key;
	free(key);
	return taken < 0 ? NULL : xasprintf("%s %s", m->message_id, digest);
}

/* The outcome of a message already processed, or -1. */
static int
already_processed(struct store *s, const char *key)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT outcome FROM processed "
	    "WHERE msgkey = ?");
	int o = -1;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = outcome_parse((const char *)sqlite3_column_text(st, 0));
	store_done(st);
	return o;
}

static int
record_processed(struct store *s, const char *key, const char *digest,
    const struct mail *m, const struct decision *d, time_t now, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO processed(msgkey, "
	    "message_id, sender, subject, kind, ref, outcome, reason, at, "
	    "digest) VALUES(?,?,?,?,?,?,?,?,?,?)");
	char *detail;
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m ? m->message_id : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m ? m->from_addr : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m ? m->subject : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, d->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, outcome_names[d->outcome], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, d->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_text(st, 10, digest, -1, SQLITE_STATIC);
	if (store_exec_stmt(s, st, cause) != 0)
		return -1;
	detail = xasprintf("from %s: %s%s%s%s", m && m->from_addr ?
	    m->from_addr : "(unknown)", outcome_names[d->outcome],
	    d->kind ? " " : "", d->kind ? d->kind : "",
	    d->reason ? " " : "");
	if (d->reason != NULL) {
		char *t = xasprintf("%s(%s)", detail, d->reason);

		free(detail);
		detail = t;
	}
	rc = audit_append(s, "mail processed", d->ref, key, detail, cause);
	free(detail);
	return rc;
}

/* Queue a reply to the sender, unless the hourly limit is reached. */
static int
reply_queue(struct pact *p, const struct mail *m, const char *addr,
    const char *name, const char *lang, const char *tmpl,
    const struct tvars *v, const char *ref, const char *key, time_t now,
    char **cause)
{
	struct notice n = {
		.to_addr = addr,
		.to_name = name,
		.lang = lang,
		.tmpl = tmpl,
		.vars = v,
		.kind = "reply",
		.ref = ref,
		.cause_key = key,
		.in_reply_to = m->message_id,
		.references = m->references,
	};

	if (outbox_recent_replies(p->store, addr, now,
	    p->conf->reply_rate_per_hour) >= p->conf->reply_rate_per_hour) {
		log_warnx("<%s>: no reply to %s: %d replies in the last hour",
		    key, addr, p->conf->reply_rate_per_hour);
		return audit_append(p->store, "reply suppressed", ref, key,
		    "reply_rate_per_hour reached", cause);
	}
	return notice_queue(p, &n, now, cause);
}

/* The subject a reply answers, its keyword in normal case. */
static void
reply_subject(struct tvars *v, const char *subject)
{
	char *s = subject_normal_case(subject);

	tvars_set(v, "subject", s);
	free(s);
}

/* The variables every reply template may use. */
static void
common_vars(struct pact *p, const struct submission *sub, struct tvars *v)
{
	const struct config *c = p->conf;
	static const char *const roles[] = { NULL, "is_delegate",
	    "is_associate", "is_advisory", "is_secretariat" };

	tvars_set(v, "pact_name", c->name);
	tvars_set(v, "pact_address", c->address);
	tvars_set(v, "name", sub->from.name);
	tvars_set(v, "address", sub->from.addr);
	tvars_set(v, "org", sub->from.org);
	reply_subject(v, sub->mail->subject);
	if (roles[sub->from.role] != NULL)
		tvars_set(v, roles[sub->from.role], "yes");
}

/* Fill the reply variables that depend on the answer. */
static int
answer_vars(struct pact *p, struct submission *sub, const struct kind *k,
    struct answer *ans, char **cause)
{
	char *form;

	tvars_set(ans->vars, "ref", ans->ref);
	for (size_t i = 0; i < ans->problems.n; i++)
		tvars_add_string(ans->vars, "problems", ans->problems.v[i]);
	for (size_t i = 0; i < ans->warnings.n; i++)
		tvars_add_string(ans->vars, "warnings", ans->warnings.v[i]);
	if (ans->warnings.n > 0)
		tvars_set(ans->vars, "has_warnings", "yes");
	if (ans->verdict != VERDICT_REJECTED || k == NULL || k->form == NULL ||
	    !(k->roles & ROLE_BIT(sub->from.role)))
		return 0;
	if (kind_form(p->conf, sub->lang, k, &form, cause) != 0)
		return -1;
	tvars_set(ans->vars, "form", form);
	free(form);
	return 0;
}

/* Read and run a submission from someone on the roster. */
/* Why the mail could not be read, in the reply's language. */
static char *
mail_problem(const struct submission *sub)
{
	const struct mail *m = sub->mail;
	char n[24];

	snprintf(n, sizeof n, "%zu", m->limit_value);
	switch (m->limit) {
	case MAIL_LIMIT_SIZE:
		return problem_text(sub, "mail-too-big", "n", n, NULL);
	case MAIL_LIMIT_DEPTH:
		return problem_text(sub, "mail-too-deep", "n", n, NULL);
	case MAIL_LIMIT_PARTS:
		return problem_text(sub, "mail-too-many-parts", "n", n, NULL);
	default:
		return problem_text(sub, "mail-unreadable", "why", m->problem,
		    NULL);
	}
}

/* Unknown field names are reported back; the submission still counts.
 * A kind that reads no fields (a vote, OVERVIEW) takes its text as it is. */
static void
warn_unknown(struct submission *sub, const struct kind *k, struct answer *ans)
{
	if (k->fields == 0)
		return;
	for (size_t i = 0; i < sub->fields.unknown.n; i++)
		strv_addn(&ans->warnings, problem_text(sub, "field-unknown",
		    "field", sub->fields.unknown.v[i], NULL));
}

static int
decide_submission(struct pact *p, struct submission *sub,
    struct decision *d, char **cause)
{
	const struct kind *k = kind_decide(sub);
	struct answer ans;
	int rc = -1;

	memset(&ans, 0, sizeof ans);
	ans.vars = tvars_new();
	common_vars(p, sub, ans.vars);
	d->kind = k->name;
	if (sub->mail->problem != NULL) {
		ans.verdict = VERDICT_REJECTED;
		strv_addn(&ans.problems, mail_problem(sub));
	} else if (!(k->roles & ROLE_BIT(sub->from.role))) {
		problem_add(sub, &ans, "not-your-kind", "kind",
		    kind_title(k, sub->lang), "role",
		    role_title(sub->from.role, sub->lang), NULL);
	} else {
		kind_limits(sub, k, &ans);
		if (k->handle(sub, &ans, cause) != 0)
			goto out;
	}
	if (ans.verdict != VERDICT_REJECTED)
		warn_unknown(sub, k, &ans);
	if (ans.verdict == VERDICT_REJECTED) {
		if (ans.template == NULL)
			ans.template = "rejected.txt";
		d->reason = xstrdup(ans.problems.n ? ans.problems.v[0] : "");
	}
	d->outcome = ans.verdict == VERDICT_REJECTED ? OUTCOME_REJECTED :
	    OUTCOME_PROCESSED;
	d->ref = ans.ref ? xstrdup(ans.ref) : NULL;
	if (answer_vars(p, sub, k, &ans, cause) != 0)
		goto out;
	rc = reply_queue(p, sub->mail, sub->from.addr, sub->from.name,
	    sub->lang, ans.template, ans.vars, ans.ref, sub->msgkey, sub->now,
	    cause);
out:
	tvars_free(ans.vars);
	free(ans.ref);
	strv_free(&ans.problems);
	strv_free(&ans.warnings);
	return rc;
}

/* A stranger: quarantined; answered only when DMARC vouches for From,
 * and with sender_auth = dmarc not even told to the secretariat without. */
static int
decide_stranger(struct pact *p, const struct mail *m, const char *key,
    struct decision *d, time_t now, char **cause)
{
	const struct config *c = p->conf;
	char *why = screen_dmarc_why(m, c->trusted_authserv_id);
	struct tvars *v;
	int rc = 0;

	d->outcome = OUTCOME_QUARANTINE;
	if (why == NULL)
		d->reason = xstrdup("sender not on the roster");
	else
		d->reason = xasprintf("sender not on the roster; no reply, no "
		    "DMARC pass: %s", why);
	if ((why == NULL || c->sender_auth != SENDER_AUTH_DMARC) &&
	    rsvp_stranger(p, m, key, now, cause) != 0)
		rc = -1;
	if (why != NULL || rc != 0) {
		free(why);
		return rc;
	}
	v = tvars_new();
	tvars_set(v, "pact_name", c->name);
	tvars_set(v, "pact_address", c->address);
	reply_subject(v, m->subject);
	rc = reply_queue(p, m, m->from_addr, m->from_name, c->default_language,
	    "not-on-roster.txt", v, NULL, key, now, cause);
	tvars_free(v);
	return rc;
}

/* With sender_auth = dmarc a roster address is not enough: mail without
 * the pass is quarantined unanswered, whatever its kind (SPEC section 2). */
static int
sender_unauthenticated(const struct config *c, const struct mail *m,
    const char *key, struct decision *d)
{
	char *why;

	if (c->sender_auth != SENDER_AUTH_DMARC ||
	    (why = screen_dmarc_why(m, c->trusted_authserv_id)) == NULL)
		return 0;
	d->outcome = OUTCOME_QUARANTINE;
	d->reason = xasprintf("sender_auth = dmarc: no DMARC pass: %s", why);
	free(why);
	return 1;
}

/* With sender_auth = dmarc the signed mail must also have been written to
 * the pact: a DKIM-signed reply that a member sent to someone else, sent
 * on to the pact unchanged, passes DMARC but was never meant for it. */
static int
sender_not_addressing(const struct config *c, const struct mail *m,
    struct decision *d)
{
	if (c->sender_auth != SENDER_AUTH_DMARC ||
	    screen_addressed_to(m, c->address, c->subaddress_separator))
		return 0;
	d->outcome = OUTCOME_QUARANTINE;
	d->reason = xasprintf("sender_auth = dmarc: To and Cc do not name %s "
	    "(a signed mail written to someone else?)", c->address);
	return 1;
}

/*
 * A report that a mail of ours was not delivered: the mail is marked and
 * the report ignored, never answered. Reached by its envelope address it
 * may look like anything; named only by a Message-ID that anyone could
 * quote, it must also look automatic. 1 when it was one, else 0 or -1.
 */
static int
decide_bounce(struct pact *p, const struct mail *m, const char *key,
    struct decision *d, time_t now, char **cause)
{
	struct bounce b;
	int rc = 0;

	if (bounce_read(p->conf, m, &b) && (b.envid != NULL ||
	    screen_automatic(m) != NULL) &&
	    (rc = outbox_bounced(p->store, &b, key, now, cause)) > 0) {
		d->outcome = OUTCOME_IGNORED;
		d->kind = "bounce";
		d->reason = xasprintf("bounce: %s %s", b.rcpt ? b.rcpt : "?",
		    b.status);
	}
	bounce_free(&b);
	return rc;
}

static int
decide(struct pact *p, const struct mail *m, const char *key,
    struct decision *d, time_t now, char **cause)
{
	struct submission sub;
	const char *why;
	int rc;

	if (m == NULL) {
		d->outcome = OUTCOME_QUARANTINE;
		d->reason = xstrdup("no readable header");
		return 0;
	}
	if ((rc = decide_bounce(p, m, key, d, now, cause)) != 0)
		return rc < 0 ? -1 : 0;
	if ((why = screen_automatic(m)) != NULL) {
		d->outcome = OUTCOME_IGNORED;
		d->reason = xstrdup(why);
		return 0;
	}
	if ((why = screen_ambiguous_sender(m)) != NULL) {
		d->outcome = OUTCOME_QUARANTINE;
		d->reason = xasprintf("From is not one mailbox: %s", why);
		return 0;
	}
	if ((why = screen_duplicate_field(m)) != NULL) {
		d->outcome = OUTCOME_QUARANTINE;
		d->reason = xasprintf("ambiguous header: %s", why);
		return 0;
	}
	memset(&sub, 0, sizeof sub);
	roster_lookup(p->conf, p->store, m->from_addr, &sub.from);
	if (sub.from.role == ROLE_NONE) {
		sender_free(&sub.from);
		return decide_stranger(p, m, key, d, now, cause);
	}
	if (sender_unauthenticated(p->conf, m, key, d) ||
	    sender_not_addressing(p->conf, m, d)) {
		sender_free(&sub.from);
		return 0;
	}
	sub.pact = p;
	sub.mail = m;
	sub.msgkey = key;
	sub.now = now;
	subject_parse(m->subject, &sub.subj);
	sub.newtext = body_new_text(m->text);
	body_fields(sub.newtext, &sub.fields);
	sub.lang = sub.subj.lang ? sub.subj.lang : sub.from.lang ?
	    sub.from.lang : p->conf->default_language;
	sub.has_tok = token_find(p->conf, p->store, m, &sub.tok);
	rc = decide_submission(p, &sub, d, cause);
	token_free(&sub.tok);
	subject_free(&sub.subj);
	fields_free(&sub.fields);
	free(sub.newtext);
	sender_free(&sub.from);
	return rc;
}

int
process_message(struct pact *p, const char *raw, size_t len, int toobig,
    const char **folder, char **cause)
{
	const struct config *c = p->conf;
	struct mail *m = mail_parse(raw, len, toobig ? 0 : (size_t)c->max_message_bytes);
	struct decision d;
	time_t now = clock_now();
	char digest[65], *key;
	int seen, rc = -1;

	memset(&d, 0, sizeof d);
	message_digest(m, raw, len, digest);
	if ((key = message_key(p->store, m, raw, len, digest, cause)) == NULL)
		goto out;
	if (m != NULL && toobig && m->problem == NULL) {
		m->problem = xasprintf("the message is larger than %d bytes",
		    c->max_message_bytes);
		m->limit = MAIL_LIMIT_SIZE;
		m->limit_value = c->max_message_bytes;
	}
	if ((seen = already_processed(p->store, key)) >= 0) {
		log_info("<%s>: already processed (%s)", key,
		    outcome_names[seen]);
		*folder = outcome_folder(c, seen);
		rc = 0;
		goto out;
	}
	if (decide(p, m, key, &d, now, cause) != 0 ||
	    record_processed(p->store, key, digest, m, &d, now, cause) != 0)
		goto out;
	log_info("<%s> from %s: %s%s%s%s%s%s%s", key, m && m->from_addr ?
	    m->from_addr : "?", outcome_names[d.outcome], d.kind ? " " : "",
	    d.kind ? d.kind : "", d.ref ? " " : "", d.ref ? d.ref : "",
	    d.outcome == OUTCOME_QUARANTINE && d.reason ? ": " : "",
	    d.outcome == OUTCOME_QUARANTINE && d.reason ? d.reason : "");
	*folder = outcome_folder(c, d.outcome);
	rc = 0;
out:
	free(d.ref);
	free(d.reason);
	free(key);
	mail_free(m);
	return rc;
}
