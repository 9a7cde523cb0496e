/* Uploading the page's files to [page] publish_url with libcurl: SFTP or
 * WebDAV, each file under a temporary name and then renamed. */
#ifndef PACTD_UPLOAD_H
#define PACTD_UPLOAD_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "util.h"

/* A file being uploaded is first called NAME.pactd-new; over SFTP the
 * file it replaces is renamed NAME.pactd-old, kept until the next. */
#define UPLOAD_NEW	".pactd-new"
#define UPLOAD_OLD	".pactd-old"

struct upload;

/* The SSH known_hosts file that SFTP hosts are checked against: the file
 * known_hosts beside pactd.conf. Owned. */
char *upload_known_hosts(const struct config *);

/* Whether the publish login can be read (secret_read's rules): at start,
 * so that a secret file others can read stops pactd as the others do. */
void upload_check(const struct config *, struct strv *errors,
    struct strv *warnings);

/* Ready to upload to publish_url; NULL with *cause (an unreadable
 * secret). Connections are made by upload_put and kept until
 * upload_close; a transfer ends early once *stop is set (may be NULL). */
struct upload *upload_open(const struct config *,
    volatile sig_atomic_t *stop, char **cause);
void upload_close(struct upload *);

/* Upload size bytes of fp as name in the published folder, atomically:
 * a reader finds the old file or the new one, never a part. 0, or -1 and
 * *cause ("name: reason"). */
int upload_put(struct upload *, const char *name, FILE *fp, off_t size,
    char **cause);

#endif
