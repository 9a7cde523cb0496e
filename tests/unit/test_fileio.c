/* Unit tests: the modes of the files pactd writes, whatever the umask.
 * The database, its -wal and -shm and backups are the owner's alone
 * (0600); the public page's files 0644 in a 0755 folder. That they are
 * durable is tests/e2e/test_powercut.py's to show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "store.h"
#include "unit.h"
#include "util.h"

static const mode_t umasks[] = { 000, 022, 077 };

static void
write_loose(const char *name)
{
	char *path = xasprintf("%s/%s", unit_dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fclose(fp);
	chmod(path, 0666);
	free(path);
}

static void
remove_db(void)
{
	static const char *const names[] = { "pactd.db", "pactd.db-wal",
	    "pactd.db-shm" };

	for (size_t i = 0; i < nitems(names); i++) {
		char *path = xasprintf("%s/%s", unit_dir, names[i]);

		unlink(path);
		free(path);
	}
}

/* A new database and its side files: 0600 under every umask. */
static void
test_database_new(void **state)
{
	char *path = xasprintf("%s/pactd.db", unit_dir), *cause = NULL;

	for (size_t i = 0; i < nitems(umasks); i++) {
		mode_t old = umask(umasks[i]);
		struct store *s = store_open(path, 0, &cause);

		umask(old);
		if (s == NULL)
			fail_msg("store_open: %s", cause);
		assert_int_equal(store_exec(s, "CREATE TABLE t (x); "
		    "INSERT INTO t VALUES (1);", &cause), 0);
		assert_int_equal(unit_mode("pactd.db"), 0600);
		assert_int_equal(unit_mode("pactd.db-wal"), 0600);
		assert_int_equal(unit_mode("pactd.db-shm"), 0600);
		store_close(s);
		remove_db();
	}
	free(path);
}

/* Files an older pactd left readable by all are tightened. */
static void
test_database_tightened(void **state)
{
	char *path = xasprintf("%s/pactd.db", unit_dir), *cause = NULL;
	struct store *s = store_open(path, 0, &cause);

	assert_non_null(s);
	store_close(s);
	chmod(path, 0644);
	write_loose("pactd.db-wal");
	write_loose("pactd.db-shm");
	if ((s = store_open(path, 0, &cause)) == NULL)
		fail_msg("store_open: %s", cause);
	assert_int_equal(unit_mode("pactd.db"), 0600);
	assert_int_equal(unit_mode("pactd.db-wal"), 0600);
	assert_int_equal(unit_mode("pactd.db-shm"), 0600);
	store_close(s);
	remove_db();
	free(path);
}

/* file_mode: created, or an existing file (a backup's target) changed;
 * a missing file is no error unless it is to be created. */
static void
test_file_mode(void **state)
{
	char *path = xasprintf("%s/backup.db", unit_dir), *cause = NULL;

	for (size_t i = 0; i < nitems(umasks); i++) {
		mode_t old = umask(umasks[i]);

		assert_int_equal(file_mode(path, 0600, 1, &cause), 0);
		umask(old);
		assert_int_equal(unit_mode("backup.db"), 0600);
		unlink(path);
	}
	write_loose("backup.db");
	assert_int_equal(file_mode(path, 0600, 0, &cause), 0);
	assert_int_equal(unit_mode("backup.db"), 0600);
	unlink(path);
	assert_int_equal(file_mode(path, 0600, 0, &cause), 0);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	path = xasprintf("%s/no/such/unit_dir/x.db", unit_dir);
	assert_int_equal(file_mode(path, 0600, 1, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	free(path);
}

/* The page: a 0755 folder of 0644 files under every umask. */
static void
test_page_files(void **state)
{
	char *pub = xasprintf("%s/public", unit_dir), *cause = NULL;
	char *index = xasprintf("%s/index.html", pub);

	for (size_t i = 0; i < nitems(umasks); i++) {
		mode_t old = umask(umasks[i]);

		assert_int_equal(file_mkdir(pub, 0755, &cause), 0);
		assert_int_equal(file_write_atomic(index, "<p>", 3, 0644,
		    &cause), 0);
		umask(old);
		assert_int_equal(unit_mode("public"), 0755);
		assert_int_equal(unit_mode("public/index.html"), 0644);
		unlink(index);
		rmdir(pub);
	}
	/* A folder the operator made is theirs. */
	assert_int_equal(mkdir(pub, 0750), 0);
	chmod(pub, 0750);
	assert_int_equal(file_mkdir(pub, 0755, &cause), 0);
	assert_int_equal(unit_mode("public"), 0750);
	rmdir(pub);
	free(index);
	free(pub);
}

/* The file as written, no temporary left, also for a name without a
 * folder (the directory fsynced is then "."); a missing folder fails
 * with the temporary's name. */
static void
test_write_atomic(void **state)
{
	char cwd[4096], buf[16] = { 0 }, *cause = NULL;
	char *missing = xasprintf("%s/no/such", unit_dir);
	FILE *fp;

	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(unit_dir), 0);
	assert_int_equal(file_write_atomic("plain.txt", "one", 3, 0644,
	    &cause), 0);
	assert_int_equal(file_write_atomic("plain.txt", "two", 3, 0644,
	    &cause), 0);
	assert_non_null(fp = fopen("plain.txt", "r"));
	assert_int_equal(fread(buf, 1, sizeof buf, fp), 3);
	fclose(fp);
	assert_string_equal(buf, "two");
	assert_int_equal(access("plain.txt.tmp", F_OK), -1);
	unlink("plain.txt");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(file_write_atomic(missing, "x", 1, 0644, &cause), -1);
	assert_non_null(strstr(cause, "/no/such.tmp: No such file"));
	free(cause);
	free(missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_database_new),
		cmocka_unit_test(test_database_tightened),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_page_files),
		cmocka_unit_test(test_write_atomic),
	};

	return cmocka_run_group_tests(tests, unit_dir_setup,
	    unit_dir_teardown);
}
