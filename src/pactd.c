/*
 * pactd: the pact's mail daemon. One loop: read the mailbox, run what is
 * due, send the outbox, then wait in IDLE (or sleep until the next poll)
 * until mail comes, a timer is due or a signal arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ballot.h"
#include "clock.h"
#include "consult.h"
#include "config.h"
#include "imap.h"
#include "ical.h"
#include "log.h"
#include "meeting.h"
#include "outbox.h"
#include "page.h"
#include "pact.h"
#include "inbox.h"
#include "smtp.h"
#include "store.h"
#include "util.h"
#include "watchdog.h"

#define EX_OK		0
#define EX_USAGE	64
#define EX_UNAVAILABLE	69
#define EX_TEMPFAIL	75
#define EX_CONFIG	78
#define EX_SMTP_DOWN	-2	/* internal: mail waits for the SMTP server */

#define DEFAULT_CONFIG	"/etc/pactd/pactd.conf"

#ifndef PACTD_VERSION
#define PACTD_VERSION	"unknown"
#endif

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;
static int sigpipe[2] = { -1, -1 };
static char status_line[512];	/* what systemd was last told */

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
	if (sigpipe[1] != -1 && write(sigpipe[1], "x", 1) == -1) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static void
signals_setup(void)
{
	struct sigaction sa;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
sigpipe_drain(void)
{
	char buf[64];

	while (read(sigpipe[0], buf, sizeof buf) > 0)
		;
}

/* The usage on stdout for --help, on stderr (and 64) for a mistake. */
static __attribute__((noreturn)) void
usage(int help)
{
	fprintf(help ? stdout : stderr, "usage: pactd [-c FILE] [--once] "
	    "[--check-config] [-f] [-v]\n"
	    "             [--credentials DIR] [--help] [--version]\n");
	exit(help ? EX_OK : EX_USAGE);
}

/* Tell systemd what the daemon is doing, when that changes; one line. */
static void
set_status(const char *fmt, ...)
{
	char buf[sizeof status_line];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strcmp(buf, status_line) == 0)
		return;
	memcpy(status_line, buf, sizeof status_line);
	sd_notifyf(0, "STATUS=%s", buf);
}

/* Load config and roster, printing every error; NULL when any. */
static struct config *
load_config(const char *path, int secrets)
{
	struct strv errors = { 0 }, warnings = { 0 };
	struct config *c = config_load(path, &errors);

	if (c != NULL && secrets)
		config_load_secrets(c, &errors, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		log_warnx("%s", warnings.v[i]);
	for (size_t i = 0; i < errors.n; i++)
		log_warnx("%s", errors.v[i]);
	if (errors.n > 0) {
		config_free(c);
		c = NULL;
	}
	strv_free(&errors);
	strv_free(&warnings);
	return c;
}

/* Times are shown in the pact's zone. */
static void
set_timezone(const struct config *c)
{
	setenv("TZ", c->timezone, 1);
	tzset();
}

/* SIGHUP: new files replace the old only when they are good. */
static void
reload(struct pact *p)
{
	struct config *c;
	char *cause = NULL;

	sd_notify(0, "RELOADING=1\nSTATUS=Reloading configuration");
	if ((c = load_config(p->conf->path, 1)) == NULL) {
		log_warnx("reload: keeping the old configuration");
	} else {
		if (strcmp(c->database, p->conf->database) != 0)
			log_warnx("reload: database path changes need a "
			    "restart; keeping %s", p->conf->database);
		free(c->database);
		c->database = xstrdup(p->conf->database);
		imap_free(p->imap);
		smtp_free(p->smtp);
		config_free(p->conf);
		p->conf = c;
		set_timezone(c);
		if (ical_init(c->timezone, &cause) != 0) {
			log_warnx("reload: %s", cause);
			free(cause);
		}
		p->imap = imap_new(c);
		p->smtp = smtp_new(c);
		log_info("reload: configuration and roster read again");
	}
	status_line[0] = '\0';
	sd_notify(0, "READY=1");
}

/* Send what is due: -1 when the store failed, 1 when the SMTP server
 * could not take mail, else 0. */
static int
run_outbox(struct pact *p)
{
	char *cause = NULL;
	int tempfail, n = outbox_run(p->store, p->smtp, p->stop, &tempfail,
	    &cause);

	if (n < 0) {
		log_warnx("outbox: %s", cause);
		free(cause);
		return -1;
	}
	return tempfail;
}

/* Deadlines, reminders and consultations that are due. */
static int
run_timers(struct pact *p)
{
	time_t now = clock_now();
	char *cause = NULL;

	if (ballot_timers(p, now, &cause) != 0 ||
	    consult_timers(p, now, &cause) != 0 ||
	    meeting_timers(p, now, &cause) != 0) {
		log_warnx("timers: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * The public page after every change: the audit log moved on. What it was
 * last rendered from (the entry, language, templates and folder) is kept
 * in the database too, so that pactd --once run from a timer does not
 * render an unchanged page at every start.
 */
static void
run_page(struct pact *p)
{
	long long last = audit_last_id(p->store);
	char *stamp, *old, *index, *cause = NULL;

	if (last == p->rendered)
		return;
	stamp = xasprintf("%lld %s %s %s", last, p->conf->default_language,
	    p->conf->templates, p->conf->output_dir);
	old = store_meta_get(p->store, "page_rendered");
	index = xasprintf("%s/index.html", p->conf->output_dir);
	if (old != NULL && strcmp(old, stamp) == 0 && access(index, F_OK) == 0)
		p->rendered = last;
	else if (page_render(p->conf, p->store, clock_now(), &cause) != 0) {
		log_warnx("page: %s", cause);
		free(cause);
	} else {
		log_debug("page: rendered into %s", p->conf->output_dir);
		p->rendered = last;
		if (store_meta_set(p->store, "page_rendered", stamp, &cause)) {
			log_warnx("page: %s", cause);
			free(cause);
		}
	}
	free(index);
	free(old);
	free(stamp);
}

/* One pass: mail in, timers, outbox out. Exit-status style result. */
static int
pass(struct pact *p)
{
	char *cause = NULL;
	int down, n;

	watchdog_feed();
	if (!imap_connected(p->imap) && imap_connect(p->imap, &cause) != 0) {
		log_warnx("imap: %s", cause);
		set_status("IMAP unreachable: %s (retrying)", cause);
		free(cause);
		return EX_UNAVAILABLE;
	}
	watchdog_feed();
	n = inbox_pass(p, &down, &cause);
	if (n < 0) {
		log_warnx("%s: %s", down ? "imap" : "store", cause);
		set_status("%s: %s (retrying)", down ? "IMAP unreachable" :
		    "Database error", cause);
		free(cause);
		run_outbox(p);
		return down ? EX_UNAVAILABLE : EX_TEMPFAIL;
	}
	if (n > 0)
		log_debug("pass: %d message(s)", n);
	if (run_timers(p) != 0) {
		set_status("Deadlines failed: see the journal (retrying)");
		run_outbox(p);
		return EX_TEMPFAIL;
	}
	run_page(p);
	switch (run_outbox(p)) {
	case -1:
		set_status("Outbox failed: see the journal (retrying)");
		return EX_TEMPFAIL;
	case 1:
		set_status("SMTP unreachable: %s (mail waits in the outbox)",
		    smtp_last_error(p->smtp));
		return EX_SMTP_DOWN;
	}
	set_status("Waiting for mail");
	return EX_OK;
}

/* --once: everything new, then exit; 69 when a server was unreachable. */
static int
run_once(struct pact *p)
{
	int rc = pass(p);

	if (rc == EX_SMTP_DOWN) {
		log_warnx("outbox: the SMTP server did not take the mail; it "
		    "waits in the outbox");
		rc = EX_UNAVAILABLE;
	}
	imap_disconnect(p->imap);
	return rc;
}

/* How long to wait: until the next outbox retry, at most a minute. */
static int
wait_ms(struct pact *p)
{
	time_t due = outbox_next_due(p->store), now = clock_now();
	long ms = 60 * 1000;

	if (due != 0) {
		if (due <= now)
			return 0;
		if ((due - now) * 1000 < ms)
			ms = (due - now) * 1000;
	}
	return (int)ms;
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep until ms have passed or a signal comes, feeding the watchdog. */
static void
nap(int ms)
{
	struct pollfd pfd = { sigpipe[0], POLLIN, 0 };
	long long end = monotonic_ms() + ms, left;

	while ((left = end - monotonic_ms()) > 0) {
		watchdog_feed();
		if (poll(&pfd, 1, watchdog_wait_ms((int)left)) != 0)
			break;
	}
	sigpipe_drain();
}

/* Wait for something to do; reconnects are the caller's. */
static void
wait_for_work(struct pact *p, int *backoff)
{
	char *cause = NULL;
	enum imap_wake w;

	watchdog_feed();
	if (!imap_connected(p->imap)) {
		log_info("imap: retrying in %d s", *backoff);
		nap(*backoff * 1000);
		*backoff = *backoff < 30 ? *backoff * 2 : 60;
		return;
	}
	*backoff = 1;
	w = imap_wait(p->imap, watchdog_wait_ms(wait_ms(p)), sigpipe[0],
	    &cause);
	if (w == IMAP_WAKE_ERROR) {
		log_warnx("imap: %s", cause);
		free(cause);
	}
	sigpipe_drain();
}

/* -f: the daemon's loop until SIGTERM. */
static int
run_loop(struct pact *p)
{
	int backoff = 1;

	/* Configuration and database are sound: the servers may come later,
	 * and STATUS says which of them is down meanwhile. */
	watchdog_init();
	sd_notify(0, "READY=1");
	watchdog_feed();
	set_status("Connecting to the IMAP server");
	log_info("ready");
	while (!stop_flag) {
		if (reload_flag) {
			reload_flag = 0;
			reload(p);
		}
		pass(p);
		if (stop_flag)
			break;
		wait_for_work(p, &backoff);
	}
	sd_notify(0, "STOPPING=1");
	log_info("stopping");
	imap_disconnect(p->imap);
	return EX_OK;
}

static int
check_config(const char *path)
{
	struct config *c = load_config(path, 1);

	if (c == NULL)
		return EX_CONFIG;
	printf("%s: ok (%zu founding parties, %zu advisory board members, "
	    "%zu secretariat members)\n", path, c->roster.nparties,
	    c->roster.advisory.nmembers, c->roster.secretariat.nmembers);
	config_free(c);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "credentials", required_argument, NULL, 'C' },
		{ "dump-defaults", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_CONFIG;
	int ch, once = 0, check = 0, fg = 0, verbose = 0, rc;
	struct pact p;
	char *cause = NULL;

	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'o': once = 1; break;
		case 'n': check = 1; break;
		case 'f': fg = 1; break;
		case 'v': verbose = 1; break;
		case 'D': config_dump_defaults(); return EX_OK;
		case 'h': usage(1);
		case 'V': printf("pactd %s\n", PACTD_VERSION); return EX_OK;
		case 'C': setenv("CREDENTIALS_DIRECTORY", optarg, 1); break;
		default: usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	log_init("pactd", verbose);
	if (clock_init(&cause) != 0) {
		log_warnx("%s", cause);
		return EX_USAGE;
	}
	if (check)
		return check_config(path);
	memset(&p, 0, sizeof p);
	if ((p.conf = load_config(path, 1)) == NULL)
		return EX_CONFIG;
	set_timezone(p.conf);
	if (ical_init(p.conf->timezone, &cause) != 0) {
		log_warnx("%s", cause);
		return EX_CONFIG;
	}
	if ((p.store = store_open(p.conf->database, 0, &cause)) == NULL ||
	    outbox_recover(p.store, &cause) != 0) {
		log_warnx("%s", cause);
		return EX_TEMPFAIL;
	}
	p.imap = imap_new(p.conf);
	p.smtp = smtp_new(p.conf);
	p.stop = &stop_flag;
	p.rendered = -1;
	signals_setup();
	if (!once && !fg && daemon(1, 1) == -1)
		fatal("daemon");
	rc = once ? run_once(&p) : run_loop(&p);
	imap_free(p.imap);
	smtp_free(p.smtp);
	store_close(p.store);
	config_free(p.conf);
	return rc;
}
