/* MØDE / MEETING, MØDE ÆNDRING REF / MEETING UPDATE REF, MØDE AFLYS REF /
 * MEETING CANCEL REF: the secretariat calls, changes and cancels the
 * pact's meetings. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "meeting.h"
#include "problem.h"
#include "util.h"
#include "validate.h"

static int meeting_new(struct submission *, struct answer *, char **);
static int kind_meeting_update(struct submission *, struct answer *,
    char **);
static int kind_meeting_cancel(struct submission *, struct answer *,
    char **);

#define MEETING_FIELDS	(FIELD_BIT(F_TITLE) | FIELD_BIT(F_START) | \
    FIELD_BIT(F_END) | FIELD_BIT(F_LOCATION) | FIELD_BIT(F_AGENDA))

const struct kind kind_meeting_entry = {
	.name = "meeting",
	.keyword = { "MØDE", "MEETING" },
	.roles = ROLE_BIT(ROLE_SECRETARIAT),
	.form = "form-meeting.txt",
	.fields = MEETING_FIELDS,
	.handle = meeting_new,
};

const struct kind kind_meeting_update_entry = {
	.name = "meeting",
	.keyword = { "MØDE ÆNDRING", "MEETING UPDATE" },
	.keyword_ref = 1,
	.roles = ROLE_BIT(ROLE_SECRETARIAT),
	.form = "form-meeting.txt",
	.fields = MEETING_FIELDS,
	.handle = kind_meeting_update,
};

const struct kind kind_meeting_cancel_entry = {
	.name = "meeting",
	.keyword = { "MØDE AFLYS", "MEETING CANCEL" },
	.keyword_ref = 1,
	.roles = ROLE_BIT(ROLE_SECRETARIAT),
	.form = "form-meeting.txt",
	.fields = MEETING_FIELDS,
	.handle = kind_meeting_cancel,
};

/* Read a local time field into *t; 1 when present and good. */
static int
meeting_time(struct submission *sub, struct answer *ans, enum field_id id,
    time_t *t)
{
	const char *v = sub->fields.f[id].value;

	if (v == NULL)
		return 0;
	if (datetime_parse_local(v, t) != 0) {
		problem_add(sub, ans, "bad-time", "field", field_name(sub, id),
		    "value", v, NULL);
		return 0;
	}
	return 1;
}

/* Apply the fields given to m; returns how many changed, *times set when
 * start or end did. */
static int
meeting_fields(struct submission *sub, struct answer *ans, struct meeting *m,
    int *times)
{
	const struct fields *f = &sub->fields;
	time_t start, end;
	int n = 0, has_end;

	*times = 0;
	if (meeting_time(sub, ans, F_START, &start)) {
		if (m->end > m->start)
			m->end = start + (m->end - m->start);
		m->start = start;
		*times = 1;
		n++;
	}
	if ((has_end = meeting_time(sub, ans, F_END, &end))) {
		m->end = end;
		*times = 1;
		n++;
	}
	if (m->end == 0 || (!has_end && m->end <= m->start))
		m->end = m->start + (time_t)
		    sub->pact->conf->default_duration_minutes * 60;
	if (f->f[F_LOCATION].value != NULL) {
		free(m->location);
		m->location = xstrdup(f->f[F_LOCATION].value);
		n++;
	}
	if (f->f[F_TITLE].value != NULL) {
		free(m->title);
		m->title = xstrdup(f->f[F_TITLE].value);
		n++;
	}
	if (f->f[F_AGENDA].items.n > 0) {
		free(m->agenda);
		m->agenda = list_join(&f->f[F_AGENDA].items);
		n++;
	}
	return n;
}

/* The times must make sense and lie ahead. */
static void
meeting_check(struct submission *sub, struct answer *ans,
    const struct meeting *m)
{
	if (m->end <= m->start)
		problem_add(sub, ans, "meeting-ends-first", NULL);
	else if (m->start <= sub->now)
		problem_add(sub, ans, "meeting-not-future", NULL);
}

static int
meeting_new(struct submission *sub, struct answer *ans, char **cause)
{
	struct meeting m;
	int times, rc = 0;

	memset(&m, 0, sizeof m);
	kind_require(sub, ans, F_START);
	kind_require(sub, ans, F_LOCATION);
	meeting_fields(sub, ans, &m, &times);
	if (ans->problems.n == 0)
		meeting_check(sub, ans, &m);
	if (ans->problems.n > 0)
		goto out;
	rc = -1;
	if (kind_new_ref(sub, ans, cause) != 0)
		goto out;
	m.ref = xstrdup(ans->ref);
	if (meeting_create(sub->pact, &m, sub->now, cause) != 0)
		goto out;
	meeting_vars(&m, sub->lang, ans->vars);
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "meeting-receipt.txt";
	rc = 0;
out:
	meeting_free(&m);
	return rc;
}

/* The meeting an update or cancellation names, while it can change. */
static int
meeting_named(struct submission *sub, struct answer *ans, struct meeting *m)
{
	const char *ref = sub->subj.ref;

	if (ref == NULL) {
		problem_add(sub, ans, "meeting-ref-missing", NULL);
		return -1;
	}
	if (meeting_load(sub->pact->store, ref, NULL, m) != 0) {
		problem_add(sub, ans, "no-meeting", "ref", ref, NULL);
		return -1;
	}
	ans->ref = xstrdup(m->ref);
	if (m->state == MEETING_CANCELLED)
		problem_add(sub, ans, "meeting-cancelled", "ref", ref, NULL);
	else if (m->end <= sub->now)
		problem_add(sub, ans, "meeting-over", "ref", ref, NULL);
	return ans->problems.n > 0 ? -1 : 0;
}

static int
meeting_change(struct submission *sub, struct answer *ans, int cancel,
    char **cause)
{
	struct meeting m;
	int times = 0, rc = 0;

	memset(&m, 0, sizeof m);
	if (meeting_named(sub, ans, &m) != 0)
		goto out;
	if (!cancel && meeting_fields(sub, ans, &m, &times) == 0 &&
	    ans->problems.n == 0)
		problem_add(sub, ans, "meeting-no-changes", NULL);
	if (!cancel && ans->problems.n == 0)
		meeting_check(sub, ans, &m);
	if (ans->problems.n > 0)
		goto out;
	rc = cancel ? meeting_cancel(sub->pact, &m, sub->now, cause) :
	    meeting_update(sub->pact, &m, times, sub->now, cause);
	if (rc != 0)
		goto out;
	meeting_vars(&m, sub->lang, ans->vars);
	if (cancel)
		tvars_set(ans->vars, "cancelled", "yes");
	ans->verdict = VERDICT_ACCEPTED;
	ans->template = "meeting-receipt.txt";
out:
	meeting_free(&m);
	return rc;
}

static int
kind_meeting_update(struct submission *sub, struct answer *ans,
    char **cause)
{
	return meeting_change(sub, ans, 0, cause);
}

static int
kind_meeting_cancel(struct submission *sub, struct answer *ans,
    char **cause)
{
	return meeting_change(sub, ans, 1, cause);
}
