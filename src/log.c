/* Logging to stderr, one line per event, with severity prefixes journald
 * understands (sd-daemon(3) "<N>"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *log_name = "pactd";
static int log_verbose;
static int log_prefix;		/* journald priority prefixes */

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char line[2048];

	vsnprintf(line, sizeof line, fmt, ap);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_prefix)
		fprintf(stderr, "<%d>", pri);
	else
		fprintf(stderr, "%s: ", log_name);
	if (err != NULL)
		fprintf(stderr, "%s: %s\n", line, err);
	else
		fprintf(stderr, "%s\n", line);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(7, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(4, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(2, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
