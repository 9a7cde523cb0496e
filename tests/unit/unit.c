/* What the unit binaries share; see unit.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"
#include "util.h"

char unit_dir[] = "/tmp/pactd-unit-XXXXXX";

int
unit_dir_setup(void **state)
{
	return mkdtemp(unit_dir) == NULL ? -1 : 0;
}

int
unit_dir_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", unit_dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

mode_t
unit_mode(const char *name)
{
	char *path = xasprintf("%s/%s", unit_dir, name);
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("%s: missing", path);
	free(path);
	return st.st_mode & 07777;
}

struct store *
unit_store_open(char *path, size_t len)
{
	struct store *s;
	char *cause = NULL;
	int fd;

	snprintf(path, len, "/tmp/pactd-unit-db-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	if ((s = store_open(path, 0, &cause)) == NULL)
		fail_msg("store_open: %s", cause);
	return s;
}

void
unit_store_close(struct store *s, const char *path)
{
	char side[4200];

	store_close(s);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}
