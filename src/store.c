/*
 * SQLite in WAL mode with synchronous=FULL, so that a commit survives a
 * power cut; migrations by PRAGMA user_version; BEGIN IMMEDIATE so that a
 * writer never deadlocks with a reading pactctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* Each step moves the schema from version i to i+1. Never edit a step
 * that has shipped; add one. */
static const char *const migrations[] = {
	/* 1: the mail loop. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE refseq (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);"
	"CREATE TABLE processed ("
	"  id INTEGER PRIMARY KEY,"
	"  msgkey TEXT NOT NULL UNIQUE,"
	"  message_id TEXT,"
	"  uidvalidity INTEGER, uid INTEGER,"
	"  sender TEXT, subject TEXT,"
	"  kind TEXT, ref TEXT,"
	"  outcome TEXT NOT NULL,"	/* processed|rejected|quarantine|ignored */
	"  reason TEXT,"
	"  at INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  rcpt TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"		/* reply|ballot|reminder|invite|... */
	"  ref TEXT,"
	"  subject TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  auto_reply INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'queued',"	/* enum outbox_state */
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  cause TEXT);"
	"CREATE INDEX outbox_due ON outbox(state, next_try);"
	"CREATE INDEX outbox_rcpt ON outbox(rcpt, created);"
	"CREATE TABLE log ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  ref TEXT,"
	"  message_id TEXT,"		/* payload: may be forgotten */
	"  detail TEXT NOT NULL,"	/* payload: may be forgotten */
	"  payload TEXT NOT NULL,"	/* hash of the payload */
	"  forgotten INTEGER NOT NULL DEFAULT 0,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL);",

	/* 2: the pact's workflow. */
	"CREATE TABLE declarations ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  party TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  motivation TEXT NOT NULL,"
	"  objectives TEXT NOT NULL,"	/* one item a line */
	"  contribution TEXT,"
	"  sender TEXT,"
	"  submitted INTEGER NOT NULL);"
	"CREATE TABLE nominations ("
	"  ref TEXT PRIMARY KEY,"
	"  party TEXT NOT NULL,"
	"  organisation TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  cvr TEXT NOT NULL,"
	"  contact_name TEXT,"
	"  contact_addr TEXT NOT NULL,"
	"  dialogue TEXT NOT NULL,"
	"  initiatives TEXT NOT NULL,"
	"  fit TEXT NOT NULL,"
	"  sender TEXT,"
	"  submitted INTEGER NOT NULL);"
	"CREATE TABLE ballots ("
	"  ref TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  opened INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  closed INTEGER,"
	"  reminded INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tokens ("
	"  token TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"		/* vote|comment|rsvp */
	"  ref TEXT NOT NULL,"
	"  party TEXT,"
	"  addr TEXT);"
	"CREATE TABLE votes ("
	"  ref TEXT NOT NULL,"
	"  party TEXT NOT NULL,"
	"  vote TEXT NOT NULL,"		/* yes|no|abstain */
	"  voter TEXT,"
	"  at INTEGER NOT NULL,"
	"  msgkey TEXT,"
	"  PRIMARY KEY(ref, party));"
	"CREATE TABLE associates ("
	"  ref TEXT PRIMARY KEY,"
	"  organisation TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  cvr TEXT NOT NULL,"
	"  contact_name TEXT,"
	"  contact_addr TEXT,"
	"  nominated_by TEXT NOT NULL,"
	"  approved INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'active',"
	"  withdrawn INTEGER);"
	"CREATE TABLE initiatives ("
	"  ref TEXT PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  purposes TEXT NOT NULL,"	/* "1,3" */
	"  partners TEXT,"
	"  link TEXT,"
	"  by_party TEXT,"
	"  by_associate TEXT,"
	"  by_name TEXT NOT NULL,"
	"  sender TEXT,"
	"  submitted INTEGER NOT NULL);"
	"CREATE TABLE statuses ("
	"  ref TEXT PRIMARY KEY,"
	"  year INTEGER NOT NULL,"
	"  text TEXT,"
	"  pdf TEXT,"
	"  deadline INTEGER NOT NULL,"
	"  submitted INTEGER NOT NULL,"
	"  published INTEGER);"
	"CREATE TABLE comments ("
	"  id INTEGER PRIMARY KEY,"
	"  status_ref TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  by_addr TEXT,"
	"  by_name TEXT,"
	"  text TEXT NOT NULL,"
	"  submitted INTEGER NOT NULL);"
	"CREATE TABLE meetings ("
	"  ref TEXT PRIMARY KEY,"
	"  uid TEXT NOT NULL UNIQUE,"
	"  title TEXT,"
	"  start INTEGER NOT NULL,"
	"  end INTEGER NOT NULL,"
	"  location TEXT NOT NULL,"
	"  agenda TEXT,"
	"  state TEXT NOT NULL DEFAULT 'scheduled',"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE attendees ("
	"  ref TEXT NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  name TEXT,"
	"  partstat TEXT NOT NULL DEFAULT 'NEEDS-ACTION',"
	"  PRIMARY KEY(ref, addr));",

	/* 3: lookups that must not grow with the years. reply_seq numbers
	 * the replies to each address, so that the hourly count is two
	 * index seeks: the newest number minus the first in the hour. */
	"CREATE INDEX outbox_queued ON outbox(id) WHERE state = 'queued';"
	"ALTER TABLE outbox ADD COLUMN reply_seq INTEGER;"
	"UPDATE outbox SET reply_seq = r.n FROM (SELECT id, row_number() "
	"  OVER (PARTITION BY rcpt ORDER BY id) AS n FROM outbox "
	"  WHERE auto_reply = 1) AS r WHERE outbox.id = r.id;"
	"CREATE INDEX outbox_replies ON outbox(rcpt, created, reply_seq, "
	"  auto_reply) WHERE auto_reply = 1;"
	"CREATE INDEX outbox_reply_seq ON outbox(rcpt, reply_seq, auto_reply) "
	"  WHERE auto_reply = 1;"
	"CREATE INDEX associates_contact ON associates(contact_addr);"
	"CREATE INDEX initiatives_associate ON initiatives(by_associate, "
	"  submitted);"
	"CREATE INDEX declarations_party ON declarations(party, version);"
	"CREATE INDEX comments_status ON comments(status_ref, submitted);",

	/* 4: the audit chain's scheme per entry (1: fields joined by a
	 * separator; 2: length-prefixed SHA-256; 3: length-prefixed
	 * HMAC-SHA256), and the sent bodies that retention drops. */
	"ALTER TABLE log ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;"
	"CREATE INDEX outbox_bodies ON outbox(coalesce(sent_at, created)) "
	"  WHERE length(data) > 0 AND state IN ('sent', 'failed', 'bounced');",

	/* 5: publishing the page to [page] publish_url: the state, and what
	 * each file was (inode, size, mtime) when it last went up. */
	"CREATE TABLE publish ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  url TEXT NOT NULL,"
	"  state TEXT NOT NULL,"	/* current|pending|failing */
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL DEFAULT 0,"
	"  last_success INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  last_error_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE published ("
	"  url TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  ident TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY(url, name));",

	/* 6: bounces. bounce_tag is the secret half of the envelope sender
	 * pagt+b-ID-TAG@, so that nobody who saw only the row's number
	 * can mark it bounced; noticed is when the secretariat was told. */
	"ALTER TABLE outbox ADD COLUMN bounce_tag TEXT;"
	"ALTER TABLE outbox ADD COLUMN status TEXT;"
	"ALTER TABLE outbox ADD COLUMN diagnostic TEXT;"
	"ALTER TABLE outbox ADD COLUMN bounced_at INTEGER;"
	"ALTER TABLE outbox ADD COLUMN noticed INTEGER;"
	"UPDATE outbox SET bounce_tag = lower(hex(randomblob(6)));"
	"CREATE INDEX outbox_unnoticed ON outbox(id) "
	"  WHERE state = 'bounced' AND noticed IS NULL;",

	/* 7: a digest of each message's From address and body, so that a
	 * mail that takes a Message-ID first does not pre-empt the one the
	 * Message-ID belongs to (process.c message_key). */
	"ALTER TABLE processed ADD COLUMN digest TEXT;",

	/* 8: the advisory board's sparring on initiatives (SPEC section
	 * 11): each member's answer, kept and counted on the page. */
	"CREATE TABLE sparring ("
	"  id INTEGER PRIMARY KEY,"
	"  initiative TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  by_addr TEXT,"
	"  by_name TEXT,"
	"  text TEXT NOT NULL,"
	"  forwarded INTEGER NOT NULL DEFAULT 0,"
	"  submitted INTEGER NOT NULL);"
	"CREATE INDEX sparring_initiative ON sparring(initiative, submitted);",
};

/* Why the database's folder cannot be written, or NULL: SQLite's own
 * last errno is often about a side file (-wal, -shm). */
static const char *
store_why_not_writable(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	const char *why = NULL;
	struct statvfs vfs;

	if (slash != NULL)
		*slash = '\0';
	else {
		free(dir);
		dir = xstrdup(".");
	}
	if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		why = "the file system is read-only";
	else if (statvfs(dir, &vfs) == 0 && vfs.f_bavail == 0)
		why = "the file system is full";
	else if (access(dir, W_OK) != 0)
		why = strerror(errno);
	free(dir);
	return why;
}

/* The database's error, with the system's reason when there is one
 * (ENOSPC, EROFS, EACCES). */
char *
store_error(struct store *s)
{
	int e = s->db ? sqlite3_system_errno(s->db) : 0;
	const char *why = store_why_not_writable(s->path);

	if (why == NULL && e != 0)
		why = strerror(e);
	return xasprintf("%s: %s%s%s%s", s->path, s->db ?
	    sqlite3_errmsg(s->db) : "cannot open", why ? " (" : "",
	    why ? why : "", why ? ")" : "");
}

/* The schema's version, or -1 with *cause. */
static int
store_version(struct store *s, char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "PRAGMA user_version");
	int v, r;

	if ((r = store_row(st, cause)) > 0)
		v = sqlite3_column_int(st, 0);
	store_done(st);
	return r < 0 ? -1 : r > 0 ? v : 0;
}

/* Bring the schema up to date, one transaction a step. */
static int
store_migrate(struct store *s, char **cause)
{
	int v = store_version(s, cause);
	char *sql;

	if (v < 0)
		return -1;
	if (v > (int)nitems(migrations)) {
		*cause = xasprintf("%s: schema version %d is newer than this "
		    "pactd (%zu)", s->path, v, nitems(migrations));
		return -1;
	}
	for (; v < (int)nitems(migrations); v++) {
		if (store_begin(s, cause) != 0)
			return -1;
		sql = xasprintf("%s; PRAGMA user_version = %d;",
		    migrations[v], v + 1);
		if (store_exec(s, sql, cause) != 0) {
			free(sql);
			store_rollback(s);
			return -1;
		}
		free(sql);
		if (store_commit(s, cause) != 0)
			return -1;
		log_info("database %s: schema version %d", s->path, v + 1);
	}
	return 0;
}

/* When the pact's database began: the first reference point of timers. */
static int
store_created(struct store *s, char **cause)
{
	char *v, now[32];
	int rc;

	if ((rc = store_meta_get(s, "created", &v, cause)) < 0)
		return -1;
	rc = 0;
	if (v == NULL) {
		snprintf(now, sizeof now, "%lld", (long long)clock_now());
		rc = store_meta_set(s, "created", now, cause);
	}
	free(v);
	return rc;
}

/* The database and its side files hold the members' mail: owner only,
 * whatever the umask, also when an older pactd left them open. SQLite
 * gives the -wal and -shm it creates the database's mode. */
static int
store_private(const char *path, int create, char **cause)
{
	static const char *const sides[] = { "", "-wal", "-shm" };
	int rc = 0;

	if (*path == '\0' || *path == ':' || strncmp(path, "file:", 5) == 0)
		return 0;	/* in memory, temporary or a URI */
	for (size_t i = 0; i < nitems(sides) && rc == 0; i++) {
		char *f = xasprintf("%s%s", path, sides[i]);

		rc = file_mode(f, 0600, create && i == 0, cause);
		free(f);
	}
	return rc;
}

struct store *
store_open(const char *path, int readonly, char **cause)
{
	struct store *s = xcalloc(1, sizeof *s);
	int flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	s->path = xstrdup(path);
	if (!readonly && store_private(path, 1, cause) != 0) {
		store_close(s);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		*cause = store_error(s);
		store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if (!readonly && (store_exec(s, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", cause) != 0 ||
	    store_private(path, 0, cause) != 0 ||
	    store_migrate(s, cause) != 0)) {
		store_close(s);
		return NULL;
	}
	if (!readonly && store_created(s, cause) != 0) {
		store_close(s);
		return NULL;
	}
	if (readonly) {
		int v = store_version(s, cause);

		if (v == 0)
			*cause = xasprintf("%s: not a pactd database (run "
			    "pactd first)", path);
		if (v <= 0) {
			store_close(s);
			return NULL;
		}
	}
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_stmts_free(s);
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	if (s->audit_key != NULL)
		explicit_bzero(s->audit_key, s->audit_keylen);
	free(s->audit_key);
	free(s->path);
	free(s);
}

int
store_exec(struct store *s, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sqlite3_free(err);
		*cause = store_error(s);
		return -1;
	}
	return 0;
}

int
store_begin(struct store *s, char **cause)
{
	return store_exec(s, "BEGIN IMMEDIATE", cause);
}

int
store_commit(struct store *s, char **cause)
{
	if (store_exec(s, "COMMIT", cause) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_exec_stmt(struct store *s, sqlite3_stmt *st, char **cause)
{
	int rc = sqlite3_step(st);

	store_done(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*cause = store_error(s);
		return -1;
	}
	return 0;
}

char *
store_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return xstrdup(t ? (const char *)t : "");
}

const char *
store_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int
store_meta_get(struct store *s, const char *key, char **value,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s,
	    "SELECT value FROM meta WHERE key = ?");
	int r;

	*value = NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((r = store_row(st, cause)) > 0)
		*value = store_col(st, 0);
	store_done(st);
	return r;
}

int
store_meta_set(struct store *s, const char *key, const char *value,
    char **cause)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO meta(key, value) "
	    "VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return store_exec_stmt(s, st, cause);
}

char *
store_next_ref(struct store *s, time_t now, char **cause)
{
	struct tm tm;
	sqlite3_stmt *st;
	int n = 0, r;

	gmtime_r(&now, &tm);
	st = store_prepare(s, "INSERT INTO refseq(year, last) VALUES(?, 1) "
	    "ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last");
	sqlite3_bind_int(st, 1, tm.tm_year + 1900);
	if ((r = store_row(st, cause)) > 0)
		n = sqlite3_column_int(st, 0);
	store_done(st);
	if (r < 0)
		return NULL;
	if (n == 0) {
		*cause = xasprintf("%s: no reference for %d", s->path,
		    tm.tm_year + 1900);
		return NULL;
	}
	return xasprintf("PAGT-%04d-%04d", tm.tm_year + 1900, n);
}
