/* Files written so that a reader or a crash never sees half of one. */
#ifndef PACTD_FILEIO_H
#define PACTD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write data to path through a temporary file, fsync and rename; the file
 * gets mode (whatever the umask). 0, or -1 and *cause. */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char **cause);

#endif
