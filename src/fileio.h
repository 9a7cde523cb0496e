/* Files written so that a reader or a crash never sees half of one, with
 * the modes they need whatever the umask. */
#ifndef PACTD_FILEIO_H
#define PACTD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write data to path through a temporary file, fsync, rename and fsync
 * the directory: on 0 the file is durable, whole, with mode (whatever the
 * umask). -1 and *cause otherwise; after a failed directory fsync the new
 * file is in place but a power cut may undo it. */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char **cause);

/* Give path exactly mode, whatever the umask or the mode it had; create
 * it empty first when create is set, else a missing file is no error.
 * For files another library opens (SQLite). 0, or -1 and *cause. */
int file_mode(const char *path, mode_t mode, int create, char **cause);

/* Make a directory with exactly mode when it is missing; one that exists
 * is left as its owner made it. 0, or -1 and *cause. */
int file_mkdir(const char *path, mode_t mode, char **cause);

#endif
