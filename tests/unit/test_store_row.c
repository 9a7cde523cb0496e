/* store_row: 1 with a row, 0 when done, -1 with the database's error when
 * a read fails, whether SQLite's own (a file that cannot be read, through
 * a VFS here that fails reads on demand) or the tests' PACTD_FAULT_READ.
 * A failed read must never look like "no row". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "unit.h"
#include "util.h"

/* A VFS that passes everything to the default one, but fails reads of
 * every file while fail_reads is set, as a bad disk would. */
static sqlite3_vfs *base_vfs;
static sqlite3_vfs fault_vfs;
static int fail_reads;

struct fault_file {
	sqlite3_file	 base;	/* must be first: SQLite sees this */
	sqlite3_file	*real;	/* the default VFS's file, after this */
};

#define REAL(f)	(((struct fault_file *)(f))->real)

static int
f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	if (fail_reads)
		return SQLITE_IOERR_READ;
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int
f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int
f_check(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
f_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
f_caps(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}

static int
f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods fault_io = {
	.iVersion = 2,
	.xClose = f_close,
	.xRead = f_read,
	.xWrite = f_write,
	.xTruncate = f_truncate,
	.xSync = f_sync,
	.xFileSize = f_size,
	.xLock = f_lock,
	.xUnlock = f_unlock,
	.xCheckReservedLock = f_check,
	.xFileControl = f_control,
	.xSectorSize = f_sector,
	.xDeviceCharacteristics = f_caps,
	.xShmMap = f_shm_map,
	.xShmLock = f_shm_lock,
	.xShmBarrier = f_shm_barrier,
	.xShmUnmap = f_shm_unmap,
};

static int
f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = base_vfs->xOpen(base_vfs, name, ff->real, flags, out);
	ff->base.pMethods = rc == SQLITE_OK ? &fault_io : NULL;
	return rc;
}

static int
f_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	return base_vfs->xDelete(base_vfs, name, sync);
}

static int
f_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return base_vfs->xAccess(base_vfs, name, flags, out);
}

static int
f_fullname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return base_vfs->xFullPathname(base_vfs, name, n, out);
}

static int
f_random(sqlite3_vfs *vfs, int n, char *out)
{
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int
f_sleep(sqlite3_vfs *vfs, int us)
{
	return base_vfs->xSleep(base_vfs, us);
}

static int
f_time(sqlite3_vfs *vfs, double *out)
{
	return base_vfs->xCurrentTime(base_vfs, out);
}

static int
f_lasterror(sqlite3_vfs *vfs, int n, char *out)
{
	return base_vfs->xGetLastError(base_vfs, n, out);
}

/* The fault VFS as the default, so that store_open uses it. */
static int
setup_vfs(void **state)
{
	(void)state;
	base_vfs = sqlite3_vfs_find(NULL);
	fault_vfs = (sqlite3_vfs){
		.iVersion = 1,
		.szOsFile = (int)sizeof(struct fault_file) +
		    base_vfs->szOsFile,
		.mxPathname = base_vfs->mxPathname,
		.zName = "pactd-test-faults",
		.xOpen = f_open,
		.xDelete = f_delete,
		.xAccess = f_access,
		.xFullPathname = f_fullname,
		.xRandomness = f_random,
		.xSleep = f_sleep,
		.xCurrentTime = f_time,
		.xGetLastError = f_lasterror,
	};
	return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0 : -1;
}

static struct store *
open_at(const char *path)
{
	char *cause = NULL;
	struct store *s = store_open(path, 0, &cause);

	if (s == NULL)
		fail_msg("store_open: %s", cause);
	return s;
}

static struct store *
open_temp(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/pactd-test-row-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return open_at(path);
}

static void
test_rows_then_done(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path);
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(store_exec(s, "CREATE TABLE t(x); INSERT INTO t "
	    "VALUES (1), (2)", &cause), 0);
	st = store_prepare(s, "SELECT x FROM t ORDER BY x");
	assert_int_equal(store_row(st, &cause), 1);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(store_row(st, &cause), 1);
	assert_int_equal(store_row(st, &cause), 0);
	assert_null(cause);
	store_done(st);
	/* No row at all is 0, not an error. */
	st = store_prepare(s, "SELECT x FROM t WHERE x > 5");
	assert_int_equal(store_row(st, &cause), 0);
	assert_null(cause);
	store_done(st);
	unit_store_close(s, path);
}

/* An error while stepping is -1 with the database's words and path. */
static void
test_error_is_not_no_row(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path);
	sqlite3_stmt *st;

	(void)state;
	st = store_prepare(s, "SELECT abs(-9223372036854775807 - 1)");
	assert_int_equal(store_row(st, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "integer overflow"));
	assert_non_null(strstr(cause, path));
	free(cause);
	store_done(st);
	unit_store_close(s, path);
}

/* The disk fails a read: SQLite's I/O error comes back as -1, and once
 * the disk reads again so do the rows. */
static void
test_failed_read(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path);
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(store_exec(s, "CREATE TABLE t(x); INSERT INTO t "
	    "VALUES (1), (2), (3)", &cause), 0);
	store_close(s);
	/* Opened afresh, nothing of t is in the page cache yet. */
	s = open_at(path);
	fail_reads = 1;
	st = store_prepare(s, "SELECT count(*) FROM t");
	assert_int_equal(store_row(st, &cause), -1);
	fail_reads = 0;
	assert_non_null(cause);
	assert_non_null(strstr(cause, "I/O error"));
	free(cause);
	cause = NULL;
	store_done(st);
	st = store_prepare(s, "SELECT count(*) FROM t");
	assert_int_equal(store_row(st, &cause), 1);
	assert_int_equal(sqlite3_column_int(st, 0), 3);
	store_done(st);
	unit_store_close(s, path);
}

/* The tests' read fault: the first matching statement fails, once. */
static void
test_fault_read(void **state)
{
	char path[4096], *cause = NULL;
	struct store *s = open_temp(path, sizeof path);
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(store_exec(s, "CREATE TABLE t(x); INSERT INTO t "
	    "VALUES (1)", &cause), 0);
	setenv("PACTD_FAULT_READ", "FROM t WHERE", 1);
	st = store_prepare(s, "SELECT x FROM t");
	assert_int_equal(store_row(st, &cause), 1);	/* not this one */
	store_done(st);
	st = store_prepare(s, "SELECT x FROM t WHERE x = 1");
	assert_int_equal(store_row(st, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	store_done(st);
	st = store_prepare(s, "SELECT x FROM t WHERE x = 1");
	assert_int_equal(store_row(st, &cause), 1);
	store_done(st);
	unsetenv("PACTD_FAULT_READ");
	unit_store_close(s, path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_then_done),
		cmocka_unit_test(test_error_is_not_no_row),
		cmocka_unit_test(test_failed_read),
		cmocka_unit_test(test_fault_read),
	};

	return cmocka_run_group_tests(tests, setup_vfs, NULL);
}
