/* Template mail into the outbox. */
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "outbox.h"
#include "util.h"

struct tvars *
notice_vars(const struct pact *p)
{
	struct tvars *v = tvars_new();

	tvars_set(v, "pact_name", p->conf->name);
	tvars_set(v, "pact_address", p->conf->address);
	tvars_set(v, "base_url", p->conf->base_url);
	return v;
}

const char *
notice_lang(const struct config *c, const char *lang)
{
	return lang != NULL ? lang : c->default_language;
}

char *
notice_subaddress(const struct config *c, const char *detail)
{
	const char *at = strchr(c->address, '@');

	return xasprintf("%.*s%s%s%s", (int)(at - c->address), c->address,
	    c->subaddress_separator, detail, at);
}

/* A template: a "Subject:" line, a blank line, the text. */
int
notice_render_text(const struct config *c, const char *lang,
    const char *tmpl, const struct tvars *v, char **subject, char **body,
    char **cause)
{
	char *out, *nl;

	if (template_render(c->templates, lang, tmpl, v, TEMPLATE_TEXT, &out,
	    cause) != 0)
		return -1;
	if (strncmp(out, "Subject: ", 9) != 0 ||
	    (nl = strchr(out, '\n')) == NULL) {
		*cause = xasprintf("%s/%s/%s: first line must be 'Subject: ...'",
		    c->templates, lang, tmpl);
		free(out);
		return -1;
	}
	*subject = xstrndup(out + 9, nl - out - 9);
	str_trim(*subject);
	while (*nl == '\n')
		nl++;
	/* Wrapped now that names and values are in, not before. */
	*body = template_wrap(nl, TEMPLATE_WIDTH);
	free(out);
	return 0;
}

void (*notice_observer)(const struct notice *);

int
notice_queue(struct pact *p, const struct notice *n, time_t now,
    char **cause)
{
	struct outmail om;
	char *subject, *body;
	int rc;

	if (notice_render_text(p->conf, n->lang, n->tmpl, n->vars, &subject,
	    &body, cause) != 0)
		return -1;
	memset(&om, 0, sizeof om);
	om.to_addr = n->to_addr;
	om.to_name = n->to_name;
	om.subject = subject;
	om.body = body;
	om.in_reply_to = n->in_reply_to;
	om.references = n->references;
	om.reply_to = n->reply_to;
	om.reply_to_name = n->reply_to_name;
	om.message_id = n->message_id;
	om.auto_generated = n->auto_generated;
	om.calendar = n->calendar;
	om.method = n->method;
	rc = outbox_queue(p->store, p->conf, &om, n->kind, n->ref,
	    n->cause_key, now, cause);
	if (rc == 0 && notice_observer != NULL)
		notice_observer(n);
	free(subject);
	free(body);
	return rc;
}

int
notice_group(struct pact *p, const struct group *g, struct notice *n,
    time_t now, char **cause)
{
	n->lang = notice_lang(p->conf, g->lang);
	for (size_t i = 0; i < g->nmembers; i++) {
		n->to_addr = g->members[i].addr;
		n->to_name = g->members[i].name;
		if (notice_queue(p, n, now, cause) != 0)
			return -1;
	}
	return 0;
}
