/* Atomic file writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

/*
 * A rename is an entry in its directory: until the directory is fsynced a
 * power cut may bring the old file back (or, for a new name, no file at
 * all), however durable the data under the new name is.
 */
static int
file_sync_dir(const char *path, char **cause)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") : slash == path ?
	    xstrdup("/") : xstrndup(path, slash - path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1 || fsync(fd) != 0) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		free(dir);
		return -1;
	}
	close(fd);
	free(dir);
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char **cause)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd == -1 || fchmod(fd, mode) != 0 ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, path) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return file_sync_dir(path, cause);
}

int
file_mode(const char *path, mode_t mode, int create, char **cause)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0) {
		if ((st.st_mode & 07777) == mode || chmod(path, mode) == 0)
			return 0;
		*cause = xasprintf("%s: cannot make it mode %04o: %s", path,
		    (unsigned)mode, strerror(errno));
		return -1;
	}
	if (errno == ENOENT && !create)
		return 0;
	fd = errno != ENOENT ? -1 :
	    open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, mode);
	if (fd == -1 || fchmod(fd, mode) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
file_mkdir(const char *path, mode_t mode, char **cause)
{
	if (mkdir(path, mode) != 0) {
		if (errno == EEXIST)
			return 0;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	/* mkdir applied the umask (systemd's UMask=0077 leaves 0700). */
	if (chmod(path, mode) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
