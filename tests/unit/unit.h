/* What the unit binaries share: a temporary folder for a group of tests
 * and a temporary database. */
#ifndef PACTD_UNIT_H
#define PACTD_UNIT_H

#include <stddef.h>
#include <sys/types.h>

#include "store.h"

/* The group's folder, made by unit_dir_setup. */
extern char unit_dir[];

/* cmocka group setup and teardown: make unit_dir, remove it with all it
 * holds. */
int unit_dir_setup(void **);
int unit_dir_teardown(void **);

/* The permission bits of a file in unit_dir; fails the test when it is
 * missing. */
mode_t unit_mode(const char *name);

/* A new, empty database at a fresh path (written to path, len bytes);
 * fails the test when it cannot be opened. */
struct store *unit_store_open(char *path, size_t len);
/* Close it and remove it with its side files. */
void unit_store_close(struct store *, const char *path);

#endif
