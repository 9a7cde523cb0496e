/*
 * An incoming message: the headers pactd decides on and one UTF-8 text.
 *
 * libetpan reads the structured fields (addresses, message ids, content
 * types, dispositions) and base64. The MIME tree itself is walked here, one
 * level at a time, with the depth and part limits checked before each step
 * down: libetpan's own tree parser recurses without a bound, and a message
 * is hostile input.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "address.h"
#include "mime.h"
#include "util.h"

#define MIME_PARAM_MAX_SECTIONS	100	/* RFC 2231 continuations read */

struct hdr {
	char *name;
	char *value;		/* unfolded, trimmed, without NUL bytes */
};

struct hdrs {
	struct hdr *v;
	size_t n;
};

enum cte { CTE_IDENTITY, CTE_QP, CTE_BASE64 };

/* One MIME entity: headers read, body still transfer-encoded. */
struct entity {
	struct hdrs h;
	char *type;		/* lower case, "text/plain" */
	char *charset;
	char *boundary;
	char *method;
	char *filename;
	int flowed;
	int delsp;
	int attachment;
	enum cte cte;
	const char *body;
	size_t len;
};

/* A parameter name and value, from Content-Type or Content-Disposition. */
struct param {
	const char *name;
	const char *value;
};

struct params {
	struct param *v;
	size_t n;
};

/* The walk over the tree: the text so far, the parts seen, the limit hit. */
struct walk {
	struct mail *m;
	struct buf text;
	size_t count;
	char *problem;
};

/* The parts of a multipart body, one at a time. */
struct msplit {
	const char *s;
	size_t len;
	const char *b;
	size_t blen;
	size_t pos;
	int done;
};

static void walk_entity(struct walk *, struct entity *, int);

/* Header fields */

/* Whether s[i] starts a "Name:" line; sets where the name ends and the
 * offset of the colon. */
static int
hdr_name(const char *s, size_t len, size_t i, size_t *ne, size_t *colon)
{
	size_t j = i;

	while (j < len && s[j] > ' ' && s[j] < 0x7f && s[j] != ':')
		j++;
	if (j == i)
		return 0;
	*ne = j;
	while (j < len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j >= len || s[j] != ':')
		return 0;
	*colon = j;
	return 1;
}

static void
hdrs_add(struct hdrs *h, const char *name, size_t nlen, struct buf *v)
{
	char *value = buf_steal(v);

	h->v = xrealloc(h->v, (h->n + 1) * sizeof *h->v);
	h->v[h->n].name = xstrndup(name, nlen);
	h->v[h->n].value = xstrdup(str_trim(value));
	h->n++;
	free(value);
}

/* Append one physical header line, without CR and NUL bytes. */
static void
hdr_append(struct buf *v, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		for (k = i; k < n && s[k] != '\r' && s[k] != '\0'; k++)
			;
		buf_add(v, s + i, k - i);
		i = k + 1;
	}
}

/* Read one field at s[i] with its continuation lines; returns the offset
 * after it. */
static size_t
hdr_field(const char *s, size_t len, size_t i, struct hdrs *h)
{
	size_t ne, colon, e, le;
	const char *nl;
	struct buf v;

	if (!hdr_name(s, len, i, &ne, &colon))
		return i;
	buf_init(&v);
	buf_adds(&v, "");
	for (e = colon + 1;; e = le + 1) {
		nl = memchr(s + e, '\n', len - e);
		le = nl != NULL ? (size_t)(nl - s) : len;
		hdr_append(&v, s + e, le - e);
		if (le + 1 >= len || (s[le + 1] != ' ' && s[le + 1] != '\t'))
			break;
	}
	hdrs_add(h, s + i, ne - i, &v);
	return le < len ? le + 1 : len;
}

/* Read the header fields at the start of s; returns where the body starts
 * (after the empty line, or at the first line that is no field). */
static size_t
hdrs_parse(const char *s, size_t len, struct hdrs *h)
{
	size_t i = 0, next;
	const char *nl;

	h->v = NULL;
	h->n = 0;
	if (len >= 5 && strncmp(s, "From ", 5) == 0) {	/* mbox separator */
		nl = memchr(s, '\n', len);
		i = nl != NULL ? (size_t)(nl - s) + 1 : len;
	}
	while (i < len) {
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			return i + 2;
		if ((next = hdr_field(s, len, i, h)) == i)
			return i;
		i = next;
	}
	return len;
}

static const char *
hdrs_get(const struct hdrs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

static void
hdrs_free(struct hdrs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Addresses */

static int
rest_blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static void
recipient_add(struct mail *m, const char *addr)
{
	char *a;

	if (addr == NULL || strchr(addr, '@') == NULL ||
	    m->recipients.n >= MIME_MAX_RECIPIENTS)
		return;
	a = xstrdup(addr);
	str_lower(a);
	if (strv_contains_case(&m->recipients, a))
		free(a);
	else
		strv_addn(&m->recipients, a);
}

/* One address from a list that libetpan could not read ("a@b; c@d", bare
 * 8-bit names): the part in <>, else the token itself. */
static char *
addr_token(const char *s, size_t n)
{
	const char *lt, *gt;
	char *tok, *addr;

	tok = xstrndup(s, n);
	if ((lt = strchr(tok, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL)
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		addr = xstrdup(tok);
	free(tok);
	tok = addr;
	addr = xstrdup(str_trim(tok));
	free(tok);
	str_lower(addr);
	return addr;
}

/* Split an address list at commas and semicolons outside quotes and <>. */
static size_t
addr_split(const char *s, size_t i)
{
	int quoted = 0, angle = 0;

	for (; s[i] != '\0'; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '<')
			angle = 1;
		else if (!quoted && s[i] == '>')
			angle = 0;
		else if (!quoted && !angle && (s[i] == ',' || s[i] == ';'))
			break;
	}
	return i;
}

static void
recipients_fallback(struct mail *m, const char *value)
{
	size_t i = 0, e;
	char *a;

	while (value[i] != '\0') {
		e = addr_split(value, i);
		a = addr_token(value + i, e - i);
		recipient_add(m, a);
		free(a);
		i = value[e] != '\0' ? e + 1 : e;
	}
}

static void
mailbox_list_add(struct mail *m, struct mailimf_mailbox_list *ml)
{
	clistiter *it;
	struct mailimf_mailbox *mb;

	if (ml == NULL)
		return;
	for (it = clist_begin(ml->mb_list); it != NULL; it = clist_next(it)) {
		mb = clist_content(it);
		recipient_add(m, mb->mb_addr_spec);
	}
}

/* To and Cc addresses into m->recipients, groups included. */
static void
recipients_add(struct mail *m, const char *value)
{
	struct mailimf_address_list *al = NULL;
	struct mailimf_address *ad;
	clistiter *it;
	size_t idx = 0;

	if (mailimf_address_list_parse(value, strlen(value), &idx, &al) !=
	    MAILIMF_NO_ERROR || !rest_blank(value + idx)) {
		if (al != NULL)
			mailimf_address_list_free(al);
		recipients_fallback(m, value);
		return;
	}
	for (it = clist_begin(al->ad_list); it != NULL; it = clist_next(it)) {
		ad = clist_content(it);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			recipient_add(m, ad->ad_data.ad_mailbox->mb_addr_spec);
		else if (ad->ad_type == MAILIMF_ADDRESS_GROUP)
			mailbox_list_add(m, ad->ad_data.ad_group->grp_mb_list);
	}
	mailimf_address_list_free(al);
}

/* From: exactly one field holding exactly one mailbox (SPEC section 2);
 * anything else leaves from_addr NULL and from_problem saying why. */
static void
from_parse(struct mail *m, const struct hdrs *h)
{
	struct address a;
	const char *value = NULL, *why;
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, "From") == 0 && n++ == 0)
			value = h->v[i].value;
	if (n != 1) {
		m->from_problem = n == 0 ? "no From field" :
		    "more than one From field";
		return;
	}
	if (address_parse(value, &a, &why) != 0) {
		m->from_problem = why;
		return;
	}
	m->from_addr = a.addr;
	m->from_name = a.name;
}

/* "<id@host>" to "id@host". */
static char *
msgid_parse(const char *value)
{
	char *id = NULL, *r;
	size_t idx = 0, n;

	if (value == NULL)
		return NULL;
	if (mailimf_msg_id_parse(value, strlen(value), &idx, &id) ==
	    MAILIMF_NO_ERROR) {
		r = xstrdup(id);
		mailimf_msg_id_free(id);
		return r;
	}
	while (*value == '<' || isspace((unsigned char)*value))
		value++;
	n = strcspn(value, "> \t");
	return n > 0 ? xstrndup(value, n) : NULL;
}

/* Return-Path: "" for the null path <>, else the lower-case address. */
static char *
return_path_parse(const char *value)
{
	const char *s, *gt, *colon;
	char *r, *t;

	if (value == NULL)
		return NULL;
	s = value;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '<') {
		s++;
		gt = strchr(s, '>');
		t = gt != NULL ? xstrndup(s, (size_t)(gt - s)) : xstrdup(s);
	} else
		t = xstrdup(s);
	s = str_trim(t);
	if (*s == '@' && (colon = strchr(s, ':')) != NULL)
		s = colon + 1;	/* source route */
	r = xstrdup(s);
	free(t);
	str_lower(str_trim(r));
	return r;
}

/* Every header pactd looks at, from the top-level fields. */
static void
mail_headers(struct mail *m, const struct hdrs *h)
{
	const struct hdr *f;

	for (size_t i = 0; i < h->n; i++) {
		f = &h->v[i];
		strv_addn(&m->headers_raw, xasprintf("%s: %s", f->name,
		    f->value));
		if (strcasecmp(f->name, "Authentication-Results") == 0)
			strv_add(&m->auth_results, f->value);
		else if (strcasecmp(f->name, "List-Id") == 0)
			m->has_list_id = 1;
		else if (strcasecmp(f->name, "To") == 0 ||
		    strcasecmp(f->name, "Cc") == 0)
			recipients_add(m, f->value);
	}
	m->message_id = msgid_parse(hdrs_get(h, "Message-ID"));
	m->in_reply_to = dup_or_null(hdrs_get(h, "In-Reply-To"));
	m->references = dup_or_null(hdrs_get(h, "References"));
	m->subject = mime_decode_header(hdrs_get(h, "Subject"));
	from_parse(m, h);
	m->return_path = return_path_parse(hdrs_get(h, "Return-Path"));
	m->date = dup_or_null(hdrs_get(h, "Date"));
	m->auto_submitted = dup_or_null(hdrs_get(h, "Auto-Submitted"));
	m->precedence = dup_or_null(hdrs_get(h, "Precedence"));
}

/* Parameters (RFC 2045, RFC 2231) */

static void
params_add(struct params *p, const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return;
	p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
	p->v[p->n].name = name;
	p->v[p->n].value = value;
	p->n++;
}

static const char *
params_find(const struct params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
pct_decode(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (s[0] == '%' && hexval((unsigned char)s[1]) != -1 &&
		    hexval((unsigned char)s[2]) != -1) {
			buf_addc(b, hexval((unsigned char)s[1]) * 16 +
			    hexval((unsigned char)s[2]));
			s += 2;
		} else
			buf_addc(b, *s);
	}
}

/* One RFC 2231 section onto b; the first may carry charset'lang'. */
static void
section_add(struct buf *b, const char *v, int extended, int first,
    char *charset, size_t csz)
{
	const char *q1, *q2;

	if (extended && first && (q1 = strchr(v, '\'')) != NULL &&
	    (q2 = strchr(q1 + 1, '\'')) != NULL) {
		snprintf(charset, csz, "%.*s", (int)(q1 - v), v);
		v = q2 + 1;
	}
	if (extended)
		pct_decode(b, v);
	else
		buf_adds(b, v);
}

/* The RFC 2231 sections name*0, name*1*, ... joined onto b; returns how
 * many there were. */
static int
param_sections(const struct params *p, const char *name, struct buf *b,
    char *charset, size_t csz)
{
	char key[128];
	const char *v;
	int sec;

	for (sec = 0; sec < MIME_PARAM_MAX_SECTIONS; sec++) {
		snprintf(key, sizeof key, "%s*%d*", name, sec);
		if ((v = params_find(p, key)) != NULL) {
			section_add(b, v, 1, sec == 0, charset, csz);
			continue;
		}
		snprintf(key, sizeof key, "%s*%d", name, sec);
		if ((v = params_find(p, key)) == NULL)
			break;
		section_add(b, v, 0, sec == 0, charset, csz);
	}
	return sec;
}

/* A parameter by name, with RFC 2231 charsets and continuations; UTF-8. */
static char *
param_get(const struct params *p, const char *name)
{
	struct buf b;
	char key[128], charset[64] = "";
	const char *v;
	char *r;

	if ((v = params_find(p, name)) != NULL)
		return xstrdup(v);
	buf_init(&b);
	snprintf(key, sizeof key, "%s*", name);
	if ((v = params_find(p, key)) != NULL)
		section_add(&b, v, 1, 1, charset, sizeof charset);
	else if (param_sections(p, name, &b, charset, sizeof charset) == 0) {
		buf_free(&b);
		return NULL;
	}
	r = charset_to_utf8(charset, b.s != NULL ? b.s : "", b.len);
	buf_free(&b);
	return r;
}

/* Entity headers */

static char *
type_token(const struct mailmime_type *t)
{
	static const char *discrete[] = { "text", "text", "image", "audio",
	    "video", "application" };

	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		if (t->tp_data.tp_discrete_type->dt_type ==
		    MAILMIME_DISCRETE_TYPE_EXTENSION)
			return t->tp_data.tp_discrete_type->dt_extension;
		if (t->tp_data.tp_discrete_type->dt_type >= 0 &&
		    (size_t)t->tp_data.tp_discrete_type->dt_type <
		    nitems(discrete))
			return (char *)discrete[
			    t->tp_data.tp_discrete_type->dt_type];
		return "text";
	}
	if (t->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MESSAGE)
		return "message";
	if (t->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MULTIPART)
		return "multipart";
	return t->tp_data.tp_composite_type->ct_token;
}

/* Content-Type: type, charset, boundary, method, name, format. */
static void
entity_ctype(struct entity *e, const char *value)
{
	struct mailmime_content *c = NULL;
	struct mailmime_parameter *pa;
	struct params p = { NULL, 0 };
	clistiter *it;
	size_t idx = 0;
	const char *fmt, *delsp, *tok;

	if (value == NULL || strcspn(value, "/") > strcspn(value, ";") ||
	    mailmime_content_parse(value, strlen(value), &idx, &c) !=
	    MAILIMF_NO_ERROR || (tok = type_token(c->ct_type)) == NULL) {
		if (c != NULL)
			mailmime_content_free(c);
		e->type = xstrdup("text/plain");
		return;
	}
	e->type = xasprintf("%s/%s", tok, c->ct_subtype);
	str_lower(e->type);
	for (it = clist_begin(c->ct_parameters); it != NULL;
	    it = clist_next(it)) {
		pa = clist_content(it);
		params_add(&p, pa->pa_name, pa->pa_value);
	}
	e->charset = param_get(&p, "charset");
	e->boundary = dup_or_null(params_find(&p, "boundary"));
	e->method = param_get(&p, "method");
	e->filename = param_get(&p, "name");
	fmt = params_find(&p, "format");
	delsp = params_find(&p, "delsp");
	e->flowed = fmt != NULL && strcasecmp(fmt, "flowed") == 0;
	e->delsp = delsp != NULL && strcasecmp(delsp, "yes") == 0;
	free(p.v);
	mailmime_content_free(c);
}

/* Content-Disposition: attachment or not, and the filename. */
static void
entity_disposition(struct entity *e, const char *value)
{
	struct mailmime_disposition *d = NULL;
	struct mailmime_disposition_parm *dp;
	struct params p = { NULL, 0 };
	clistiter *it;
	size_t idx = 0;
	char *fn;

	if (value == NULL)
		return;
	if (mailmime_disposition_parse(value, strlen(value), &idx, &d) !=
	    MAILIMF_NO_ERROR) {
		e->attachment = str_startcase(value, "attachment");
		return;
	}
	e->attachment = d->dsp_type->dsp_type ==
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	for (it = clist_begin(d->dsp_parms); it != NULL; it = clist_next(it)) {
		dp = clist_content(it);
		if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
			params_add(&p, "filename", dp->pa_data.pa_filename);
		else if (dp->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER)
			params_add(&p, dp->pa_data.pa_parameter->pa_name,
			    dp->pa_data.pa_parameter->pa_value);
	}
	if ((fn = param_get(&p, "filename")) != NULL) {
		free(e->filename);
		e->filename = fn;
	}
	free(p.v);
	mailmime_disposition_free(d);
}

/* The file name decoded and without any directory part. */
static void
filename_clean(struct entity *e)
{
	char *t, *base;

	if (e->filename == NULL)
		return;
	t = mime_decode_header(e->filename);
	base = t + strlen(t);
	while (base > t && base[-1] != '/' && base[-1] != '\\')
		base--;
	free(e->filename);
	e->filename = *base != '\0' ? xstrdup(base) : NULL;
	free(t);
}

static enum cte
cte_parse(const char *value)
{
	char *t;
	enum cte c = CTE_IDENTITY;

	if (value == NULL)
		return c;
	t = xstrdup(value);
	str_lower(t);
	if (strcmp(str_trim(t), "base64") == 0)
		c = CTE_BASE64;
	else if (strcmp(str_trim(t), "quoted-printable") == 0)
		c = CTE_QP;
	free(t);
	return c;
}

/* Read an entity's headers from its raw bytes; 0 when it has none. */
static int
entity_read(struct entity *e, const char *s, size_t len)
{
	size_t off;

	memset(e, 0, sizeof *e);
	off = hdrs_parse(s, len, &e->h);
	e->body = s + off;
	e->len = len - off;
	entity_ctype(e, hdrs_get(&e->h, "Content-Type"));
	entity_disposition(e, hdrs_get(&e->h, "Content-Disposition"));
	filename_clean(e);
	if (e->filename != NULL && strncmp(e->type, "text/", 5) == 0)
		e->attachment = 1;	/* a text file, not the text */
	e->cte = cte_parse(hdrs_get(&e->h, "Content-Transfer-Encoding"));
	return e->h.n > 0;
}

static void
entity_free(struct entity *e)
{
	hdrs_free(&e->h);
	free(e->type);
	free(e->charset);
	free(e->boundary);
	free(e->method);
	free(e->filename);
}

/* Transfer decoding */

/* Quoted-printable, lenient: an "=" that starts no escape stays as is. */
static void
qp_decode(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, e, le, k;
	const char *nl;
	int soft, cr;

	while (i < n) {
		nl = memchr(s + i, '\n', n - i);
		e = nl != NULL ? (size_t)(nl - s) : n;
		le = e;
		cr = le > i && s[le - 1] == '\r';
		le -= cr;
		while (le > i && (s[le - 1] == ' ' || s[le - 1] == '\t'))
			le--;
		if ((soft = le > i && s[le - 1] == '='))
			le--;
		for (k = i; k < le; k++) {
			if (s[k] == '=' && k + 2 < le &&
			    hexval((unsigned char)s[k + 1]) != -1 &&
			    hexval((unsigned char)s[k + 2]) != -1) {
				buf_addc(b, hexval((unsigned char)s[k + 1]) *
				    16 + hexval((unsigned char)s[k + 2]));
				k += 2;
			} else
				buf_addc(b, s[k]);
		}
		if (nl != NULL && !soft)
			buf_adds(b, cr ? "\r\n" : "\n");
		i = e + 1;
	}
}

/* The body's bytes with the transfer encoding undone, NUL-terminated. */
static char *
entity_decode(const struct entity *e, size_t *len)
{
	struct buf b;
	char *r;
	size_t idx = 0, rl;

	buf_init(&b);
	if (e->cte == CTE_QP)
		qp_decode(&b, e->body, e->len);
	else if (e->cte == CTE_BASE64) {
		if (mailmime_part_parse(e->body, e->len, &idx,
		    MAILMIME_MECHANISM_BASE64, &r, &rl) == MAILIMF_NO_ERROR) {
			buf_add(&b, r, rl);
			mailmime_decoded_part_free(r);
		}
	} else
		buf_add(&b, e->body, e->len);
	*len = b.len;
	return buf_steal(&b);
}

/* Text */

/* LF line ends only. */
static void
eol_norm(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			buf_addc(b, '\n');
			if (s[1] == '\n')
				s++;
		} else
			buf_addc(b, *s);
	}
}

/* Undo format=flowed (RFC 3676): soft line breaks joined, space
 * stuffing removed, so that a wrapped list item stays one line. */
static char *
unflow(const char *s, int delsp)
{
	struct buf b;
	size_t n, q, oq = 0;
	const char *c;
	int open = 0, sig;

	buf_init(&b);
	while (*s != '\0') {
		n = strcspn(s, "\n");
		for (q = 0; q < n && s[q] == '>'; q++)
			;
		c = s + q;
		if (q < n && *c == ' ')
			c++;
		n -= (size_t)(c - s);
		sig = q == 0 && n == 3 && strncmp(c, "-- ", 3) == 0;
		if (!open || q != oq || sig) {
			if (open)
				buf_addc(&b, '\n');
			for (size_t k = 0; k < q; k++)
				buf_addc(&b, '>');
			if (q > 0)
				buf_addc(&b, ' ');
		}
		buf_add(&b, c, n);
		open = !sig && n > 0 && c[n - 1] == ' ';
		oq = q;
		if (open && delsp)
			b.s[--b.len] = '\0';
		if (!open)
			buf_addc(&b, '\n');
		s = c + n;
		if (*s == '\n')
			s++;
	}
	if (open)
		buf_addc(&b, '\n');
	return buf_steal(&b);
}

/* Add a text/plain or text/html part to the text, ending in a line end. */
static void
text_add(struct walk *w, const struct entity *e)
{
	struct buf b;
	char *raw, *u, *t;
	size_t n;

	raw = entity_decode(e, &n);
	u = charset_to_utf8(e->charset, raw, n);
	free(raw);
	buf_init(&b);
	eol_norm(&b, u);
	free(u);
	u = buf_steal(&b);
	if (strcmp(e->type, "text/html") == 0)
		t = html_to_text(u, strlen(u));
	else if (e->flowed)
		t = unflow(u, e->delsp);
	else
		t = xstrdup(u);
	free(u);
	buf_adds(&w->text, t);
	free(t);
	if (w->text.len > 0 && w->text.s[w->text.len - 1] != '\n')
		buf_addc(&w->text, '\n');
}

/* Keep a part that is not the text: a calendar, a PDF, a message. */
static void
part_keep(struct walk *w, const struct entity *e)
{
	struct mail *m = w->m;
	struct mime_part *p;

	m->parts = xrealloc(m->parts, (m->nparts + 1) * sizeof *m->parts);
	p = &m->parts[m->nparts++];
	p->content_type = xstrdup(e->type);
	p->method = dup_or_null(e->method);
	p->filename = dup_or_null(e->filename);
	p->data = entity_decode(e, &p->len);
}

static int
is_text(const struct entity *e)
{
	return !e->attachment && (strcmp(e->type, "text/plain") == 0 ||
	    strcmp(e->type, "text/html") == 0);
}

static int
is_multipart(const struct entity *e)
{
	return strncmp(e->type, "multipart/", 10) == 0;
}

/* Multipart bodies */

/* Whether a delimiter line "--boundary" or "--boundary--" starts at
 * s[i]; sets the offset after its line. */
static int
delim_at(const struct msplit *sp, size_t i, size_t *after, int *close)
{
	const char *s = sp->s;
	size_t j;

	if (sp->len - i < 2 + sp->blen || s[i] != '-' || s[i + 1] != '-' ||
	    memcmp(s + i + 2, sp->b, sp->blen) != 0)
		return 0;
	j = i + 2 + sp->blen;
	*close = j + 1 < sp->len && s[j] == '-' && s[j + 1] == '-';
	if (*close)
		j += 2;
	while (j < sp->len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
		j++;
	if (j < sp->len && s[j] != '\n')
		return 0;
	*after = j < sp->len ? j + 1 : j;
	return 1;
}

/* The offset of the next delimiter line at or after from, or len. */
static size_t
delim_find(const struct msplit *sp, size_t from, size_t *after, int *close)
{
	const char *nl;
	size_t i = from;

	while (i < sp->len) {
		if (sp->s[i] == '-' && delim_at(sp, i, after, close))
			return i;
		if ((nl = memchr(sp->s + i, '\n', sp->len - i)) == NULL)
			break;
		i = (size_t)(nl - sp->s) + 1;
	}
	return sp->len;
}

/* Skip the preamble; a body without any delimiter has no parts. */
static void
msplit_init(struct msplit *sp, const struct entity *e)
{
	size_t after = 0;
	int close = 0;

	sp->s = e->body;
	sp->len = e->len;
	sp->b = e->boundary;
	sp->blen = strlen(e->boundary);
	sp->pos = 0;
	sp->done = delim_find(sp, 0, &after, &close) == sp->len || close;
	sp->pos = after;
}

/* The next part; a body whose closing delimiter never comes ends with
 * the data. */
static int
msplit_next(struct msplit *sp, const char **p, size_t *n)
{
	size_t at, after = sp->len, end;
	int close = 0;

	if (sp->done)
		return 0;
	at = delim_find(sp, sp->pos, &after, &close);
	*p = sp->s + sp->pos;
	end = at;
	if (at < sp->len && end > sp->pos && sp->s[end - 1] == '\n')
		end--;
	if (at < sp->len && end > sp->pos && sp->s[end - 1] == '\r')
		end--;
	*n = end - sp->pos;
	sp->pos = after;
	sp->done = at == sp->len || close;
	return 1;
}

/* Count a part against the limit; 0 once it is passed. */
static int
walk_count(struct walk *w)
{
	if (w->problem != NULL)
		return 0;
	if (++w->count > MIME_MAX_PARTS) {
		w->problem = xasprintf("the message has more than %d parts",
		    MIME_MAX_PARTS);
		w->m->limit = MAIL_LIMIT_PARTS;
		w->m->limit_value = MIME_MAX_PARTS;
		return 0;
	}
	return 1;
}

/* How much an alternative is wanted: the plain text first. */
static int
alt_rank(const struct entity *e)
{
	if (e->attachment)
		return 0;
	if (strcmp(e->type, "text/plain") == 0)
		return 3;
	if (is_multipart(e))
		return 2;
	if (strcmp(e->type, "text/html") == 0)
		return 1;
	return 0;
}

/* multipart/alternative: one text version, and the non-text parts beside
 * it (an invitation's text/calendar). */
static void
walk_alternative(struct walk *w, const struct entity *e, int depth)
{
	struct msplit sp;
	struct entity c;
	const char *p;
	size_t n, i, pick = 0;
	int best = 0, r;

	msplit_init(&sp, e);
	for (i = 0; msplit_next(&sp, &p, &n) && walk_count(w); i++) {
		entity_read(&c, p, n);
		if ((r = alt_rank(&c)) > best) {
			best = r;
			pick = i;
		}
		entity_free(&c);
	}
	msplit_init(&sp, e);
	for (i = 0; w->problem == NULL && msplit_next(&sp, &p, &n); i++) {
		entity_read(&c, p, n);
		if (best > 0 && i == pick)
			walk_entity(w, &c, depth);
		else if (!is_multipart(&c) && !is_text(&c))
			part_keep(w, &c);
		entity_free(&c);
	}
}

/* multipart/mixed and every other kind: each part in turn. */
static void
walk_mixed(struct walk *w, const struct entity *e, int depth)
{
	struct msplit sp;
	struct entity c;
	const char *p;
	size_t n;

	msplit_init(&sp, e);
	while (msplit_next(&sp, &p, &n) && walk_count(w)) {
		entity_read(&c, p, n);
		walk_entity(w, &c, depth);
		entity_free(&c);
	}
}

static void
walk_entity(struct walk *w, struct entity *e, int depth)
{
	if (w->problem != NULL)
		return;
	if (!is_multipart(e)) {
		if (is_text(e))
			text_add(w, e);
		else
			part_keep(w, e);
		return;
	}
	if (depth + 1 > MIME_MAX_DEPTH) {
		w->problem = xasprintf("the message has more than %d nested "
		    "multipart levels", MIME_MAX_DEPTH);
		w->m->limit = MAIL_LIMIT_DEPTH;
		w->m->limit_value = MIME_MAX_DEPTH;
		return;
	}
	if (e->boundary == NULL || *e->boundary == '\0')
		return;
	if (strcmp(e->type, "multipart/alternative") == 0)
		walk_alternative(w, e, depth + 1);
	else
		walk_mixed(w, e, depth + 1);
}

static void
parts_free(struct mail *m)
{
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].method);
		free(m->parts[i].filename);
		free(m->parts[i].data);
	}
	free(m->parts);
	m->parts = NULL;
	m->nparts = 0;
}

struct mail *
mail_parse(const char *raw, size_t len, size_t max_bytes)
{
	struct entity top;
	struct walk w;
	struct mail *m;

	if (raw == NULL || !entity_read(&top, raw, len)) {
		if (raw != NULL)
			entity_free(&top);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	mail_headers(m, &top.h);
	m->content_type = xstrdup(top.type);
	m->is_report = strcmp(top.type, "multipart/report") == 0;
	memset(&w, 0, sizeof w);
	w.m = m;
	buf_init(&w.text);
	if (max_bytes > 0 && len > max_bytes) {
		w.problem = xasprintf("the message is larger than %zu bytes",
		    max_bytes);
		m->limit = MAIL_LIMIT_SIZE;
		m->limit_value = max_bytes;
	} else
		walk_entity(&w, &top, 0);
	if (w.problem != NULL) {
		buf_free(&w.text);
		parts_free(m);
		m->problem = w.problem;
	}
	m->text = buf_steal(&w.text);
	entity_free(&top);
	return m;
}

void
mail_free(struct mail *m)
{
	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	free(m->subject);
	free(m->from_addr);
	free(m->from_name);
	free(m->return_path);
	free(m->date);
	strv_free(&m->recipients);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->content_type);
	strv_free(&m->auth_results);
	strv_free(&m->headers_raw);
	free(m->text);
	parts_free(m);
	free(m->problem);
	free(m);
}
