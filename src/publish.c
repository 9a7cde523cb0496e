/*
 * Publishing the page: a state machine (current, pending, failing) kept
 * in the table publish, and in published what each file was when it last
 * went up to publish_url: its inode, size and modification time. The page
 * is rewritten by rename, so a file whose identity differs from the one
 * uploaded has changed, whoever rendered it (pactd or pactctl render),
 * and a check costs a stat. One log line for each change of state.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "publish.h"
#include "upload.h"
#include "util.h"

#define PUBLISH_FIRST_WAIT	30	/* seconds after the first failure, */
#define PUBLISH_MAX_WAIT	3600	/* doubling up to an hour */
#define PUBLISH_BUDGET		45	/* seconds of uploads a pass */

static const char *const states[] = { "off", "current", "pending",
    "failing" };

struct pubrow {
	enum publish_state state;
	int attempts;
	time_t next_try, last_success, last_error_at;
	char *last_error;
};

const char *
publish_strstate(enum publish_state s)
{
	return (size_t)s < nitems(states) ? states[s] : "?";
}

static enum publish_state
publish_parse_state(const char *s)
{
	for (size_t i = 0; i < nitems(states); i++)
		if (strcmp(s, states[i]) == 0)
			return (enum publish_state)i;
	return PUBLISH_PENDING;
}

/* The state for this URL; another URL's state starts afresh. -1 with
 * *cause (logged when cause is NULL). */
static int
publish_load(const struct config *c, struct store *s, struct pubrow *r,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT state, attempts, "
	    "next_try, last_success, last_error, last_error_at FROM publish "
	    "WHERE id = 1 AND url = ?");
	int row;

	memset(r, 0, sizeof *r);
	r->state = PUBLISH_PENDING;
	sqlite3_bind_text(st, 1, c->publish_url, -1, SQLITE_STATIC);
	if ((row = store_row(st, cause)) > 0) {
		r->state = publish_parse_state((const char *)
		    sqlite3_column_text(st, 0));
		r->attempts = sqlite3_column_int(st, 1);
		r->next_try = sqlite3_column_int64(st, 2);
		r->last_success = sqlite3_column_int64(st, 3);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			r->last_error = store_col(st, 4);
		r->last_error_at = sqlite3_column_int64(st, 5);
	}
	store_done(st);
	return row < 0 ? -1 : 0;
}

static int
publish_save(const struct config *c, struct store *s, const struct pubrow *r,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO "
	    "publish(id, url, state, attempts, next_try, last_success, "
	    "last_error, last_error_at) VALUES(1, ?, ?, ?, ?, ?, ?, ?)");

	sqlite3_bind_text(st, 1, c->publish_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, states[r->state], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->attempts);
	sqlite3_bind_int64(st, 4, r->next_try);
	sqlite3_bind_int64(st, 5, r->last_success);
	sqlite3_bind_text(st, 6, r->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->last_error_at);
	return store_exec_stmt(s, st, cause);
}

/* 30 s after the first failure, doubling, at most an hour. */
static long
publish_wait(int attempts)
{
	long wait = (long)PUBLISH_FIRST_WAIT << (attempts < 8 ? attempts - 1 :
	    7);

	return wait > PUBLISH_MAX_WAIT ? PUBLISH_MAX_WAIT : wait;
}

/* Move to a state, with its one log line; err is the failure's cause. */
static int
publish_enter(const struct config *c, struct store *s, struct pubrow *r,
    enum publish_state to, size_t n, const char *err, char **cause)
{
	time_t now = clock_now();
	enum publish_state from = r->state;

	switch (to) {
	case PUBLISH_FAILING:
		r->attempts++;
		r->next_try = now + publish_wait(r->attempts);
		free(r->last_error);
		r->last_error = xstrdup(err);
		r->last_error_at = now;
		if (from != to)
			log_warnx("publish: %s: %s; retrying in %ld s",
			    c->publish_url, err, (long)(r->next_try - now));
		else
			log_debug("publish: still failing (attempt %d): %s; "
			    "retrying in %ld s", r->attempts, err,
			    (long)(r->next_try - now));
		break;
	case PUBLISH_CURRENT:
		if (from == PUBLISH_FAILING)
			log_info("publish: %zu file(s) uploaded to %s after %d "
			    "failed attempt(s)", n, c->publish_url, r->attempts);
		else if (from != to && n > 0)
			log_info("publish: %zu file(s) uploaded to %s", n,
			    c->publish_url);
		else if (from != to)
			log_debug("publish: nothing to upload to %s",
			    c->publish_url);
		r->attempts = 0;
		r->next_try = 0;
		if (n > 0)
			r->last_success = now;
		break;
	default:
		log_debug("publish: %zu file(s) to upload to %s", n,
		    c->publish_url);
		break;
	}
	r->state = to;
	return publish_save(c, s, r, cause);
}

/* What a local file is now, "" when it is missing. */
static void
publish_ident(const struct stat *sb, char *buf, size_t len)
{
	snprintf(buf, len, "%llu:%llu:%lld:%lld.%09ld",
	    (unsigned long long)sb->st_dev, (unsigned long long)sb->st_ino,
	    (long long)sb->st_size, (long long)sb->st_mtim.tv_sec,
	    sb->st_mtim.tv_nsec);
}

/* What the file was when it last went up to this URL, and when: *ident
 * NULL when it never did; -1 with *cause (logged when cause is NULL). */
static int
publish_uploaded(const struct config *c, struct store *s, const char *name,
    time_t *at, char **ident, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT ident, at FROM published "
	    "WHERE url = ? AND name = ?");
	int r;

	*ident = NULL;
	sqlite3_bind_text(st, 1, c->publish_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0) {
		*ident = store_col(st, 0);
		if (at != NULL)
			*at = sqlite3_column_int64(st, 1);
	}
	store_done(st);
	return r < 0 ? -1 : 0;
}

static int
publish_record(const struct config *c, struct store *s, const char *name,
    const char *ident, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO published(url, name, "
	    "ident, at) VALUES(?, ?, ?, ?) ON CONFLICT(url, name) DO UPDATE "
	    "SET ident = excluded.ident, at = excluded.at");

	sqlite3_bind_text(st, 1, c->publish_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ident, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, clock_now());
	return store_exec_stmt(s, st, cause);
}

static int
publish_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files to publish, in the order they go up: the status PDFs the page
 * links, then the feed, pact.json and last index.html, so that the page
 * never links to what is not there yet. */
static void
publish_names(const struct config *c, struct strv *names)
{
	static const char *const page[] = { "feed.atom", "pact.json",
	    "index.html" };
	DIR *d = opendir(c->output_dir);
	struct dirent *de;
	size_t len;

	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "status-", 7) == 0 && len > 11 &&
		    strcmp(de->d_name + len - 4, ".pdf") == 0)
			strv_add(names, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof *names->v, publish_cmp);
	for (size_t i = 0; i < nitems(page); i++)
		strv_add(names, page[i]);
}

/* Whether the server lacks the file as it is here; a missing local file
 * is nothing to upload. -1 with *cause. */
static int
publish_stale(const struct config *c, struct store *s, const char *name,
    char **cause)
{
	char *path = xasprintf("%s/%s", c->output_dir, name), ident[128];
	char *up;
	struct stat sb;
	int stale = 0;

	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		publish_ident(&sb, ident, sizeof ident);
		if (publish_uploaded(c, s, name, NULL, &up, cause) != 0)
			stale = -1;
		else
			stale = up == NULL || strcmp(up, ident) != 0;
		free(up);
	}
	free(path);
	return stale;
}

/* The files that changed since they went up; -1 with *cause. */
static int
publish_changed(const struct config *c, struct store *s, struct strv *out,
    char **cause)
{
	struct strv names = { NULL, 0 };
	int stale = 0;

	publish_names(c, &names);
	for (size_t i = 0; stale >= 0 && i < names.n; i++)
		if ((stale = publish_stale(c, s, names.v[i], cause)) > 0)
			strv_add(out, names.v[i]);
	strv_free(&names);
	return stale < 0 ? -1 : 0;
}

/* Upload one file and record what went up: 0, 1 when it vanished since,
 * -1 with *err when it did not go up, -2 with *cause when the store
 * failed. */
static int
publish_file(const struct config *c, struct store *s, struct upload *u,
    const char *name, char **err, char **cause)
{
	char *path = xasprintf("%s/%s", c->output_dir, name), ident[128];
	struct stat sb;
	FILE *fp;
	int rc;

	/* The identity of what is read: a render that replaces the file
	 * meanwhile gives it a new one, and it goes up again. */
	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) != 0) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc == -1)
			*err = xasprintf("%s: %s", path, strerror(errno));
	} else {
		publish_ident(&sb, ident, sizeof ident);
		rc = upload_put(u, name, fp, sb.st_size, err);
		if (rc == 0 && publish_record(c, s, name, ident, cause) != 0)
			rc = -2;
	}
	if (fp != NULL)
		fclose(fp);
	free(path);
	return rc;
}

/* Seconds since start, on a clock no one sets. */
static time_t
publish_elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec;
}

/* One attempt at the changed files, stopping at the first failure or when
 * the pass's budget is spent (the rest go at the next pass). */
static int
publish_attempt(const struct config *c, struct store *s, struct pubrow *r,
    const struct strv *changed, volatile sig_atomic_t *stop, char **cause)
{
	struct upload *u;
	struct timespec start;
	char *err = NULL;
	size_t i;
	int rc = 0;

	if ((u = upload_open(c, stop, &err)) == NULL)
		goto failed;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < changed->n && rc >= 0; i++) {
		if ((stop != NULL && *stop) ||
		    publish_elapsed(&start) >= PUBLISH_BUDGET)
			break;
		rc = publish_file(c, s, u, changed->v[i], &err, cause);
	}
	upload_close(u);
	if (rc == -2)
		return -1;
	if (rc == -1 && stop != NULL && *stop) {
		free(err);	/* stopped, not failed: the rest goes later */
		return 0;
	}
	if (rc == -1)
		goto failed;
	if (i == changed->n)
		return publish_enter(c, s, r, PUBLISH_CURRENT, i, NULL, cause);
	return 0;
failed:
	rc = publish_enter(c, s, r, PUBLISH_FAILING, 0, err, cause);
	free(err);
	return rc;
}

int
publish_run(const struct config *c, struct store *s,
    volatile sig_atomic_t *stop, char **cause)
{
	struct strv changed = { NULL, 0 };
	struct pubrow r;
	int rc = 0;

	if (*c->publish_url == '\0')
		return 0;
	if (publish_load(c, s, &r, cause) != 0)
		return -1;
	if (publish_changed(c, s, &changed, cause) != 0) {
		rc = -1;
		goto out;
	}
	if (changed.n == 0 && r.state != PUBLISH_CURRENT)
		rc = publish_enter(c, s, &r, PUBLISH_CURRENT, 0, NULL, cause);
	if (changed.n == 0 || (r.state == PUBLISH_FAILING &&
	    clock_now() < r.next_try))
		goto out;	/* nothing new, or waiting for the retry */
	if (r.state == PUBLISH_CURRENT)
		rc = publish_enter(c, s, &r, PUBLISH_PENDING, changed.n, NULL,
		    cause);
	if (rc == 0)
		rc = publish_attempt(c, s, &r, &changed, stop, cause);
out:
	strv_free(&changed);
	free(r.last_error);
	return rc;
}

time_t
publish_next_due(const struct config *c, struct store *s)
{
	struct pubrow r;
	time_t due = 0;

	if (*c->publish_url == '\0' || publish_load(c, s, &r, NULL) != 0)
		return 0;	/* a failed read was logged */
	if (r.state == PUBLISH_FAILING)
		due = r.next_try;
	else if (r.state == PUBLISH_PENDING)
		due = clock_now();
	free(r.last_error);
	return due;
}

/* Whether pactd has made the tables yet (pactctl does not migrate). */
static int
publish_tables(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'table' AND name IN ('publish', "
	    "'published')");
	int n = 0;

	if (store_row(st, NULL) > 0)
		n = sqlite3_column_int(st, 0);
	store_done(st);
	return n == 2;
}

void
publish_status(const struct config *c, struct store *s,
    struct publish_status *ps)
{
	struct strv names = { NULL, 0 };
	struct pubrow r;
	char *up;

	memset(ps, 0, sizeof *ps);
	if (*c->publish_url == '\0')
		return;
	ps->state = PUBLISH_PENDING;
	if (!publish_tables(s) || publish_load(c, s, &r, NULL) != 0)
		return;	/* a failed read was logged */
	ps->state = r.state;
	ps->attempts = r.attempts;
	ps->next_try = r.state == PUBLISH_FAILING ? r.next_try : 0;
	ps->last_success = r.last_success;
	ps->last_error = r.last_error;
	ps->last_error_at = r.last_error_at;
	publish_names(c, &names);
	ps->files = xcalloc(names.n, sizeof *ps->files);
	for (size_t i = 0; i < names.n; i++) {
		struct publish_file *f;
		char *path = xasprintf("%s/%s", c->output_dir, names.v[i]);
		int here = access(path, F_OK) == 0;

		free(path);
		if (!here)
			continue;	/* not rendered yet */
		f = &ps->files[ps->nfiles++];
		f->name = xstrdup(names.v[i]);
		f->current = publish_stale(c, s, f->name, NULL) == 0;
		if (publish_uploaded(c, s, f->name, &f->uploaded, &up,
		    NULL) == 0)
			free(up);
		/* Rendered since pactd last looked: it goes up next. */
		if (!f->current && ps->state == PUBLISH_CURRENT)
			ps->state = PUBLISH_PENDING;
	}
	strv_free(&names);
}

void
publish_status_free(struct publish_status *ps)
{
	for (size_t i = 0; i < ps->nfiles; i++)
		free(ps->files[i].name);
	free(ps->files);
	free(ps->last_error);
	memset(ps, 0, sizeof *ps);
}
