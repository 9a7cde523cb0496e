/*
 * cutfs: what a power cut does to plain files, for the directories named
 * in PACTD_TEST_CUTFS, by wrapping libc's open, write, fsync, fdatasync,
 * rename, unlink and close. Two things are lost at the cut:
 *
 *  - data: a file written since its last fsync is left empty (what ext4
 *    gives a new file whose blocks were never allocated);
 *  - names: each watched directory loses every create, rename and unlink
 *    since its own last fsync, undone newest first, so that a renamed
 *    file is back under its temporary name and the file it replaced is
 *    back with the content it had.
 *
 * SQLite's own files are the crash VFS's: opened inside it, they are
 * never tracked here. A directory fsync by anyone (SQLite's too) makes
 * its names durable, as on a real disk.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "power.h"

#define CUTFS_DIRS	8
#define CUTFS_FDS	1024
#define CUTFS_KEEP	(64 * 1024 * 1024)	/* largest file kept for undo */

enum op { OP_CREATE, OP_RENAME, OP_UNLINK };

/* One change to a directory's names since its last fsync. */
struct dirop {
	struct dirop *prev;
	enum op op;
	char *from, *to;	/* base names; from only for a rename */
	char *old;		/* the replaced file's content, or NULL */
	size_t oldlen;
	mode_t oldmode;
};

struct wdir {
	char *path;
	dev_t dev;
	ino_t ino;
	struct dirop *ops;	/* newest first */
};

/* A file written since its last fsync: a descriptor of our own keeps it
 * to empty at the cut, whatever name it has by then. */
struct dirty {
	struct dirty *next;
	dev_t dev;
	ino_t ino;
	int fd;
};

static struct wdir cutfs_dirs[CUTFS_DIRS];
static int cutfs_ndirs = -1;		/* -1: not active */
static signed char cutfs_tracked[CUTFS_FDS];
static struct dirty *cutfs_dirty;

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_unlink)(const char *);
static int (*real_close)(int);

/* libc's function, looked up on first use (also before the constructor). */
static void *
cutfs_sym(void **slot, const char *name)
{
	if (*slot == NULL)
		*slot = dlsym(RTLD_NEXT, name);
	return *slot;
}

#define REAL(f) ((__typeof__(real_##f))cutfs_sym((void **)&real_##f, #f))

void
cutfs_init(const char *dirs)
{
	char *copy, *d, *save = NULL;
	struct stat st;

	cutfs_ndirs = 0;
	if (dirs == NULL)
		return;
	copy = strdup(dirs);
	for (d = strtok_r(copy, ":", &save); d != NULL &&
	    cutfs_ndirs < CUTFS_DIRS; d = strtok_r(NULL, ":", &save)) {
		if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "powercut: PACTD_TEST_CUTFS: %s: not a "
			    "directory\n", d);
			_exit(2);
		}
		cutfs_dirs[cutfs_ndirs].path = strdup(d);
		cutfs_dirs[cutfs_ndirs].dev = st.st_dev;
		cutfs_dirs[cutfs_ndirs].ino = st.st_ino;
		cutfs_ndirs++;
	}
	free(copy);
}

/* Whether cutfs has anything to do with calls from this thread. */
static int
cutfs_on(void)
{
	return cutfs_ndirs > 0 && !power_inside;
}

/* The watched directory holding path, and path's base name there. */
static struct wdir *
cutfs_dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".") : slash == path ? strdup("/") :
	    strndup(path, slash - path);
	struct stat st;
	struct wdir *w = NULL;

	*base = slash == NULL ? path : slash + 1;
	if (stat(dir, &st) == 0)
		for (int i = 0; i < cutfs_ndirs; i++)
			if (cutfs_dirs[i].dev == st.st_dev &&
			    cutfs_dirs[i].ino == st.st_ino)
				w = &cutfs_dirs[i];
	free(dir);
	return w;
}

static char *
cutfs_path(const struct wdir *w, const char *base)
{
	size_t n = strlen(w->path) + strlen(base) + 2;
	char *p = malloc(n);

	snprintf(p, n, "%s/%s", w->path, base);
	return p;
}

/* The content of a file about to be replaced or removed, for the undo. */
static char *
cutfs_slurp(const char *path, size_t *len, mode_t *mode)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = REAL(open)(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CUTFS_KEEP) {
		REAL(close)(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	*len = read(fd, buf, st.st_size) == st.st_size ? (size_t)st.st_size : 0;
	*mode = st.st_mode & 07777;
	REAL(close)(fd);
	return buf;
}

static void
cutfs_record(struct wdir *w, enum op op, const char *from, const char *to)
{
	struct dirop *o = calloc(1, sizeof *o);
	char *path = cutfs_path(w, to);

	o->op = op;
	o->from = from ? strdup(from) : NULL;
	o->to = strdup(to);
	if (op != OP_CREATE)
		o->old = cutfs_slurp(path, &o->oldlen, &o->oldmode);
	free(path);
	o->prev = w->ops;
	w->ops = o;
}

static void
cutfs_track(int fd)
{
	if (fd >= 0 && fd < CUTFS_FDS)
		cutfs_tracked[fd] = 1;
}

/* An open for writing in a watched directory: a new name is recorded. */
static int
cutfs_open(int dirfd, const char *path, int flags, mode_t mode)
{
	int writes = (flags & O_ACCMODE) != O_RDONLY;
	struct wdir *w = NULL;
	const char *base;
	struct stat st;
	int fd;

	if (!cutfs_on() || !writes || (dirfd != AT_FDCWD && *path != '/'))
		return REAL(openat)(dirfd, path, flags, mode);
	power_lock();
	w = cutfs_dir_of(path, &base);
	if (w != NULL && (flags & O_CREAT) && stat(path, &st) != 0)
		cutfs_record(w, OP_CREATE, NULL, base);
	fd = REAL(openat)(dirfd, path, flags, mode);
	if (w != NULL)
		cutfs_track(fd);
	power_unlock();
	return fd;
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return cutfs_open(AT_FDCWD, path, flags, mode);
}

int open64(const char *, int, ...) __attribute__((alias("open")));

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return cutfs_open(dirfd, path, flags, mode);
}

int openat64(int, const char *, int, ...) __attribute__((alias("openat")));

static int
cutfs_is_tracked(int fd)
{
	return cutfs_on() && fd >= 0 && fd < CUTFS_FDS && cutfs_tracked[fd];
}

/* A write to a tracked file: its inode is dirty until its fsync. */
static void
cutfs_dirty_add(int fd)
{
	struct dirty *d;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return;
	for (d = cutfs_dirty; d != NULL; d = d->next)
		if (d->dev == st.st_dev && d->ino == st.st_ino)
			return;
	d = calloc(1, sizeof *d);
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->fd = fcntl(fd, F_DUPFD_CLOEXEC, 512);
	d->next = cutfs_dirty;
	cutfs_dirty = d;
}

static void
cutfs_dirty_clear(int fd)
{
	struct dirty **dp, *d;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return;
	for (dp = &cutfs_dirty; (d = *dp) != NULL; dp = &d->next)
		if (d->dev == st.st_dev && d->ino == st.st_ino) {
			*dp = d->next;
			REAL(close)(d->fd);
			free(d);
			return;
		}
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t rc;

	if (!cutfs_is_tracked(fd))
		return REAL(write)(fd, buf, n);
	power_lock();
	power_point(0);
	cutfs_dirty_add(fd);
	rc = REAL(write)(fd, buf, n);
	power_unlock();
	return rc;
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t rc;

	if (!cutfs_is_tracked(fd))
		return REAL(pwrite)(fd, buf, n, off);
	power_lock();
	power_point(0);
	cutfs_dirty_add(fd);
	rc = REAL(pwrite)(fd, buf, n, off);
	power_unlock();
	return rc;
}

ssize_t pwrite64(int, const void *, size_t, off_t)
    __attribute__((alias("pwrite")));

/* The watched directory fd is, if it is one. */
static struct wdir *
cutfs_dir_fd(int fd)
{
	struct stat st;

	if (cutfs_ndirs <= 0 || fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	for (int i = 0; i < cutfs_ndirs; i++)
		if (cutfs_dirs[i].dev == st.st_dev &&
		    cutfs_dirs[i].ino == st.st_ino)
			return &cutfs_dirs[i];
	return NULL;
}

static void
cutfs_ops_free(struct wdir *w)
{
	while (w->ops != NULL) {
		struct dirop *o = w->ops;

		w->ops = o->prev;
		free(o->from);
		free(o->to);
		free(o->old);
		free(o);
	}
}

/* fsync and fdatasync: a sync point; after it the data (a file) or the
 * names (a directory) are durable. SQLite's directory syncs count too. */
static int
cutfs_sync(int fd, int (*sync)(int))
{
	struct wdir *w;
	int inside = power_inside, rc;

	if (cutfs_ndirs <= 0)
		return sync(fd);
	if (!inside)
		power_lock();
	w = cutfs_dir_fd(fd);
	if (!inside && (w != NULL || cutfs_is_tracked(fd)))
		power_point(1);
	if ((rc = sync(fd)) == 0) {
		if (w != NULL)
			cutfs_ops_free(w);
		else if (!inside && cutfs_is_tracked(fd))
			cutfs_dirty_clear(fd);
	}
	if (!inside)
		power_unlock();
	return rc;
}

int
fsync(int fd)
{
	return cutfs_sync(fd, REAL(fsync));
}

int
fdatasync(int fd)
{
	return cutfs_sync(fd, REAL(fdatasync));
}

int
rename(const char *from, const char *to)
{
	struct wdir *wf, *wt;
	const char *bf, *bt;
	int rc;

	if (!cutfs_on())
		return REAL(rename)(from, to);
	power_lock();
	wf = cutfs_dir_of(from, &bf);
	wt = cutfs_dir_of(to, &bt);
	if (wt != NULL && wt == wf)
		cutfs_record(wt, OP_RENAME, bf, bt);
	else if (wt != NULL)	/* from elsewhere: a new name here */
		cutfs_record(wt, OP_UNLINK, NULL, bt);
	rc = REAL(rename)(from, to);
	power_unlock();
	return rc;
}

int
unlink(const char *path)
{
	struct wdir *w;
	const char *base;
	int rc;

	if (!cutfs_on())
		return REAL(unlink)(path);
	power_lock();
	if ((w = cutfs_dir_of(path, &base)) != NULL)
		cutfs_record(w, OP_UNLINK, NULL, base);
	rc = REAL(unlink)(path);
	power_unlock();
	return rc;
}

int
close(int fd)
{
	if (fd >= 0 && fd < CUTFS_FDS && !power_inside)
		cutfs_tracked[fd] = 0;
	return REAL(close)(fd);
}

/* Give a replaced or removed file back its content under its name. */
static void
cutfs_put_back(const struct wdir *w, const struct dirop *o)
{
	char *path = cutfs_path(w, o->to);
	int fd;

	REAL(unlink)(path);
	if (o->old != NULL && (fd = REAL(open)(path, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, o->oldmode)) != -1) {
		if (REAL(write)(fd, o->old, o->oldlen) < 0)
			errno = EIO;
		REAL(close)(fd);
	}
	free(path);
}

/* Undo one change to a directory's names. */
static void
cutfs_undo(const struct wdir *w, const struct dirop *o)
{
	char *to = cutfs_path(w, o->to), *from;

	switch (o->op) {
	case OP_CREATE:
		REAL(unlink)(to);
		break;
	case OP_RENAME:
		from = cutfs_path(w, o->from);
		REAL(rename)(to, from);
		free(from);
		cutfs_put_back(w, o);
		break;
	case OP_UNLINK:
		cutfs_put_back(w, o);
		break;
	}
	free(to);
}

void
cutfs_cut(void)
{
	for (struct dirty *d = cutfs_dirty; d != NULL; d = d->next)
		if (d->fd != -1 && ftruncate(d->fd, 0) != 0)
			errno = EIO;
	for (int i = 0; i < cutfs_ndirs; i++)
		for (struct dirop *o = cutfs_dirs[i].ops; o != NULL;
		    o = o->prev)
			cutfs_undo(&cutfs_dirs[i], o);
}
