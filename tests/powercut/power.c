/*
 * The power switch of build/powercut.so. With PACTD_TEST_VFS unset the
 * library does nothing at all. Otherwise it is a list of
 *
 *	sync:N	cut just before the Nth sync (SQLite xSync, fsync of a
 *		watched file or directory): that sync never completes
 *	write:N	cut just before the Nth write to SQLite's or a watched file
 *	ms:T	cut T milliseconds after the start, whatever pactd is doing
 *	exit	cut when the process exits normally: what it did not make
 *		durable before it ended is undone
 *	tear	the last write to SQLite's files is torn instead of dropped
 *
 * and PACTD_TEST_CUTFS names the plain-file directories to watch (the
 * page's output folder, the database's folder for the status PDFs). At
 * the cut every write that was not synced is undone, a line goes to
 * stderr and the process ends with POWER_EXIT, as if the machine had lost
 * its power then.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power.h"

__thread int power_inside;

static pthread_mutex_t power_mtx = PTHREAD_MUTEX_INITIALIZER;
static long power_syncs, power_writes;
static long power_at_sync, power_at_write, power_at_ms;
static int power_tear, power_at_exit;
static struct timespec power_t0;

void
power_lock(void)
{
	pthread_mutex_lock(&power_mtx);
}

void
power_unlock(void)
{
	pthread_mutex_unlock(&power_mtx);
}

/* Milliseconds since the start. */
static long
power_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - power_t0.tv_sec) * 1000 +
	    (t.tv_nsec - power_t0.tv_nsec) / 1000000;
}

/* Lose the power: the lock is held, so nothing is half-recorded. */
static _Noreturn void
power_cut(const char *why)
{
	char line[256];
	int n;

	power_inside = 1;
	crashvfs_cut(power_tear);
	cutfs_cut();
	n = snprintf(line, sizeof line, "powercut: power cut %s (sync %ld, "
	    "write %ld, %ld ms)%s\n", why, power_syncs, power_writes,
	    power_ms(), power_tear ? ", last write torn" : "");
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		n = 0;
	_exit(POWER_EXIT);
}

void
power_point(int sync)
{
	if (sync && ++power_syncs == power_at_sync)
		power_cut("at a sync point");
	if (!sync && ++power_writes == power_at_write)
		power_cut("at a write");
}

/* The timer's thread: the cut at a moment rather than at a point. */
static void *
power_timer(void *arg)
{
	struct timespec d = { power_at_ms / 1000, power_at_ms % 1000 * 1000000 };

	while (nanosleep(&d, &d) != 0)
		;
	power_lock();
	power_cut("on the timer");
}

/* One item of PACTD_TEST_VFS; 0, or -1 when it makes no sense. */
static int
power_item(const char *item)
{
	static const struct {
		const char *name;
		long *n;
	} items[] = {
		{ "sync:", &power_at_sync },
		{ "write:", &power_at_write },
		{ "ms:", &power_at_ms },
	};
	char *end;

	if (strcmp(item, "tear") == 0)
		return power_tear = 1, 0;
	if (strcmp(item, "exit") == 0)
		return power_at_exit = 1, 0;
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		size_t len = strlen(items[i].name);

		if (strncmp(item, items[i].name, len) != 0)
			continue;
		*items[i].n = strtol(item + len, &end, 10);
		return *end == '\0' && *items[i].n > 0 ? 0 : -1;
	}
	return -1;
}

__attribute__((constructor)) static void
power_init(void)
{
	const char *spec = getenv("PACTD_TEST_VFS");
	char *copy, *item, *save = NULL;
	pthread_t t;

	if (spec == NULL || *spec == '\0')
		return;
	clock_gettime(CLOCK_MONOTONIC, &power_t0);
	copy = strdup(spec);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save))
		if (power_item(item) != 0) {
			fprintf(stderr, "powercut: PACTD_TEST_VFS: bad item "
			    "\"%s\"\n", item);
			_exit(2);
		}
	free(copy);
	if (crashvfs_register() != 0) {
		fprintf(stderr, "powercut: cannot register the crash VFS\n");
		_exit(2);
	}
	cutfs_init(getenv("PACTD_TEST_CUTFS"));
	if (power_at_ms > 0 && pthread_create(&t, NULL, power_timer, NULL) != 0)
		_exit(2);
}

/* After exit() and its handlers: SQLite has closed its files by now. */
__attribute__((destructor)) static void
power_exit(void)
{
	if (!power_at_exit)
		return;
	fflush(NULL);	/* what it printed is out before the lights go */
	power_lock();
	power_cut("at exit");
}
