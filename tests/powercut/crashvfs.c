/*
 * The crash VFS, after SQLite's own crash tests (src/test6.c): a shim over
 * the default VFS, registered as "crash" and made the default. Before each
 * write it keeps what the write overwrites (its pre-image); a sync forgets
 * the file's pre-images, as what was written is now on the disk. At the
 * cut the pre-images go back in reverse order and each file is truncated
 * to its size at its last sync, so it holds exactly what was synced; in
 * tear mode the last write then lands half, as a page cut by the power
 * in the middle. Records are kept by path, not by handle: closing a file
 * does not make its writes durable.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "power.h"

struct undo {
	struct undo *prev;
	sqlite3_int64 off;
	int len;
	unsigned char data[];	/* what was there before the write */
};

struct crec {
	struct crec *next;
	char *path;
	sqlite3_int64 synced;	/* size at the last sync */
	int dirty;		/* written or truncated since */
	struct undo *undo;	/* newest first */
};

struct cfile {
	sqlite3_file base;
	struct crec *rec;	/* NULL for a nameless temporary file */
	sqlite3_file *real;	/* follows this structure */
};

/* The last write to a tracked file, for the tear. */
static struct {
	struct crec *rec;
	sqlite3_int64 off;
	int len;
	unsigned char *data;
} crash_last;

static sqlite3_vfs *crash_real;
static struct crec *crash_recs;

/* The record of path, made when first seen. */
static struct crec *
crash_rec(const char *path, sqlite3_int64 size)
{
	struct crec *r;

	for (r = crash_recs; r != NULL; r = r->next)
		if (strcmp(r->path, path) == 0)
			return r;
	r = calloc(1, sizeof *r);
	r->path = strdup(path);
	r->synced = size;
	r->next = crash_recs;
	crash_recs = r;
	return r;
}

static void
crash_forget(struct crec *r)
{
	while (r->undo != NULL) {
		struct undo *u = r->undo;

		r->undo = u->prev;
		free(u);
	}
	r->dirty = 0;
	if (crash_last.rec == r)
		crash_last.rec = NULL;
}

/* Keep len bytes at off as they are now (the part inside the file). */
static int
crash_keep(struct cfile *f, sqlite3_int64 off, sqlite3_int64 len)
{
	sqlite3_int64 size;
	struct undo *u;

	f->rec->dirty = 1;
	if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK)
		return SQLITE_IOERR;
	if (off >= size || len <= 0)
		return SQLITE_OK;
	if (off + len > size)
		len = size - off;
	u = malloc(sizeof *u + len);
	u->off = off;
	u->len = (int)len;
	if (f->real->pMethods->xRead(f->real, u->data, (int)len, off) !=
	    SQLITE_OK) {
		free(u);
		return SQLITE_IOERR;
	}
	u->prev = f->rec->undo;
	f->rec->undo = u;
	return SQLITE_OK;
}

static int
crash_close(sqlite3_file *file)
{
	struct cfile *f = (struct cfile *)file;
	int rc;

	power_lock();
	power_inside = 1;
	rc = f->real->pMethods->xClose(f->real);
	power_inside = 0;
	power_unlock();
	return rc;
}

static int
crash_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int
crash_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)file;
	int rc = SQLITE_OK;

	power_lock();
	power_inside = 1;
	if (f->rec != NULL) {
		power_point(0);
		rc = crash_keep(f, off, amt);
		free(crash_last.data);
		crash_last.rec = f->rec;
		crash_last.off = off;
		crash_last.len = amt;
		crash_last.data = malloc(amt);
		memcpy(crash_last.data, buf, amt);
	}
	if (rc == SQLITE_OK)
		rc = f->real->pMethods->xWrite(f->real, buf, amt, off);
	power_inside = 0;
	power_unlock();
	return rc;
}

static int
crash_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct cfile *f = (struct cfile *)file;
	int rc = SQLITE_OK;

	power_lock();
	power_inside = 1;
	if (f->rec != NULL)
		rc = crash_keep(f, size, (sqlite3_int64)1 << 40);
	if (rc == SQLITE_OK)
		rc = f->real->pMethods->xTruncate(f->real, size);
	power_inside = 0;
	power_unlock();
	return rc;
}

static int
crash_sync(sqlite3_file *file, int flags)
{
	struct cfile *f = (struct cfile *)file;
	sqlite3_int64 size;
	int rc;

	power_lock();
	power_inside = 1;
	if (f->rec != NULL)
		power_point(1);
	rc = f->real->pMethods->xSync(f->real, flags);
	if (rc == SQLITE_OK && f->rec != NULL &&
	    f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK) {
		crash_forget(f->rec);
		f->rec->synced = size;
	}
	power_inside = 0;
	power_unlock();
	return rc;
}

static int
crash_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xFileSize(f->real, size);
}

static int
crash_lock(sqlite3_file *file, int lock)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xLock(f->real, lock);
}

static int
crash_unlock(sqlite3_file *file, int lock)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xUnlock(f->real, lock);
}

static int
crash_reserved(sqlite3_file *file, int *out)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

/* Memory-mapped I/O would write behind the VFS's back: refused. */
static int
crash_fcntl(sqlite3_file *file, int op, void *arg)
{
	struct cfile *f = (struct cfile *)file;

	if (op == SQLITE_FCNTL_MMAP_SIZE) {
		*(sqlite3_int64 *)arg = 0;
		return SQLITE_OK;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
crash_sector(sqlite3_file *file)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
crash_device(sqlite3_file *file)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
crash_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
    void volatile **pp)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int
crash_shm_lock(sqlite3_file *file, int off, int n, int flags)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void
crash_shm_barrier(sqlite3_file *file)
{
	struct cfile *f = (struct cfile *)file;

	f->real->pMethods->xShmBarrier(f->real);
}

static int
crash_shm_unmap(sqlite3_file *file, int del)
{
	struct cfile *f = (struct cfile *)file;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int
crash_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	*pp = NULL;
	return SQLITE_OK;
}

static int
crash_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return SQLITE_OK;
}

static const sqlite3_io_methods crash_methods = {
	3, crash_close, crash_read, crash_write, crash_truncate, crash_sync,
	crash_file_size, crash_lock, crash_unlock, crash_reserved, crash_fcntl,
	crash_sector, crash_device, crash_shm_map, crash_shm_lock,
	crash_shm_barrier, crash_shm_unmap, crash_fetch, crash_unfetch
};

static int
crash_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
    int flags, int *out)
{
	struct cfile *f = (struct cfile *)file;
	sqlite3_int64 size = 0;
	int rc;

	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	power_lock();
	power_inside = 1;
	rc = crash_real->xOpen(crash_real, name, f->real, flags, out);
	if (rc == SQLITE_OK && name != NULL &&
	    f->real->pMethods->xFileSize(f->real, &size) == SQLITE_OK)
		f->rec = crash_rec(name, size);
	power_inside = 0;
	power_unlock();
	if (f->real->pMethods != NULL)
		file->pMethods = &crash_methods;
	return rc;
}

/* A deleted file has nothing to lose any more. */
static int
crash_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	struct crec *r;
	int rc;

	power_lock();
	power_inside = 1;
	rc = crash_real->xDelete(crash_real, name, dirsync);
	for (r = crash_recs; r != NULL; r = r->next)
		if (strcmp(r->path, name) == 0) {
			crash_forget(r);
			r->synced = 0;
		}
	power_inside = 0;
	power_unlock();
	return rc;
}

static int
crash_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return crash_real->xAccess(crash_real, name, flags, out);
}

static int
crash_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return crash_real->xFullPathname(crash_real, name, n, out);
}

static int
crash_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return crash_real->xRandomness(crash_real, n, out);
}

static int
crash_sleep(sqlite3_vfs *vfs, int us)
{
	return crash_real->xSleep(crash_real, us);
}

static int
crash_time(sqlite3_vfs *vfs, double *out)
{
	return crash_real->xCurrentTime(crash_real, out);
}

static int
crash_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return crash_real->xGetLastError(crash_real, n, out);
}

static int
crash_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return crash_real->xCurrentTimeInt64(crash_real, out);
}

static sqlite3_vfs crash_vfs;

int
crashvfs_register(void)
{
	if ((crash_real = sqlite3_vfs_find(NULL)) == NULL)
		return -1;
	crash_vfs.iVersion = 2;
	crash_vfs.szOsFile = sizeof(struct cfile) + crash_real->szOsFile;
	crash_vfs.mxPathname = crash_real->mxPathname;
	crash_vfs.zName = "crash";
	crash_vfs.xOpen = crash_open;
	crash_vfs.xDelete = crash_delete;
	crash_vfs.xAccess = crash_access;
	crash_vfs.xFullPathname = crash_full_path;
	crash_vfs.xRandomness = crash_randomness;
	crash_vfs.xSleep = crash_sleep;
	crash_vfs.xCurrentTime = crash_time;
	crash_vfs.xGetLastError = crash_last_error;
	crash_vfs.xCurrentTimeInt64 = crash_time64;
	return sqlite3_vfs_register(&crash_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* Put back what one file held at its last sync; the tear is then the
 * first half of the last write over it. */
static void
crash_restore(struct crec *r, int tear)
{
	int fd;

	if (!r->dirty)
		return;
	if ((fd = open(r->path, O_WRONLY | O_CLOEXEC)) == -1)
		return;
	for (struct undo *u = r->undo; u != NULL; u = u->prev)
		if (pwrite(fd, u->data, u->len, u->off) != u->len)
			break;
	if (ftruncate(fd, r->synced) != 0)
		r->synced = -1;
	if (tear && crash_last.rec == r && crash_last.len > 1 &&
	    pwrite(fd, crash_last.data, crash_last.len / 2, crash_last.off) < 0)
		r->synced = -1;
	close(fd);
}

void
crashvfs_cut(int tear)
{
	for (struct crec *r = crash_recs; r != NULL; r = r->next)
		crash_restore(r, tear);
}
