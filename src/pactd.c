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
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ballot.h"
#include "bounce_notice.h"
#include "clock.h"
#include "consult.h"
#include "config.h"
#include "draft.h"
#include "imap.h"
#include "ical.h"
#include "log.h"
#include "meeting.h"
#include "oauth2.h"
#include "outbox.h"
#include "probe.h"
#include "page.h"
#include "pact.h"
#include "publish.h"
#include "inbox.h"
#include "smtp.h"
#include "store.h"
#include "upload.h"
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
	    "[--check-config [--connect]] [-f] [-v]\n"
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
/* The audit key can be read, so that a bad one stops the start. */
static void
audit_key_check(const struct config *c, struct strv *errors)
{
	unsigned char *key;
	size_t len;
	char *cause = NULL;

	if (config_audit_key(c, &key, &len, &cause) != 0) {
		strv_addn(errors, cause);
		return;
	}
	if (key != NULL)
		explicit_bzero(key, len);
	free(key);
}

static struct config *
load_config(const char *path, int secrets)
{
	struct strv errors = { 0 }, warnings = { 0 };
	struct config *c = config_load(path, &errors);
	char *cause = NULL;

	if (c != NULL && secrets) {
		config_load_secrets(c, &errors, &warnings);
		audit_key_check(c, &errors);
		upload_check(c, &errors, &warnings);
	}
	if (c != NULL && secrets && errors.n == 0 &&
	    oauth2_init(c, &cause) != 0)
		strv_addn(&errors, cause);
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

/* The audit chain goes on with the configured key: a chain sealed with a
 * key needs it, and one written before the key is sealed by it. */
static int
audit_start(struct pact *p)
{
	char *cause = NULL;
	int rc;

	if (config_audit_key(p->conf, &p->store->audit_key,
	    &p->store->audit_keylen, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return EX_CONFIG;
	}
	if ((rc = audit_open(p->store, &cause)) < 0) {
		log_warnx("audit log: %s", cause);
		free(cause);
		return EX_CONFIG;
	}
	if (rc > 0)
		log_info("audit log: sealed with the audit key from here on");
	return EX_OK;
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

/* Deadlines, reminders and consultations that are due; the bodies of
 * sent mail past their retention. */
static int
run_timers(struct pact *p)
{
	time_t now = clock_now();
	char *cause = NULL;

	if (ballot_timers(p, now, &cause) != 0 ||
	    consult_timers(p, now, &cause) != 0 ||
	    meeting_timers(p, now, &cause) != 0 ||
	    draft_timers(p, now, &cause) != 0 ||
	    bounce_notice_run(p, now, &cause) != 0 ||
	    outbox_expire(p->store, p->conf->outbox_retention_days, now,
	    &cause) < 0) {
		log_warnx("timers: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* Whether all three of the page's files are there. */
static int
page_present(const struct config *c)
{
	static const char *const files[] = { "index.html", "pact.json",
	    "feed.atom" };
	char *path;
	int ok = 1;

	for (size_t i = 0; i < nitems(files) && ok; i++) {
		path = xasprintf("%s/%s", c->output_dir, files[i]);
		ok = access(path, F_OK) == 0;
		free(path);
	}
	return ok;
}

/* Whether a failure ("FILE: cause") names a file that failed last time. */
static int
page_failed_before(const struct strv *before, const char *failure)
{
	size_t n = strcspn(failure, ":");

	for (size_t i = 0; i < before->n; i++)
		if (strncmp(before->v[i], failure, n + 1) == 0)
			return 1;
	return 0;
}

/* Log each file that failed once, not again at every retry, and say when
 * every file is written again. */
static void
page_failures(struct pact *p, struct strv *failed)
{
	for (size_t i = 0; i < failed->n; i++) {
		if (page_failed_before(&p->page_failed, failed->v[i]))
			log_debug("page: %s", failed->v[i]);
		else
			log_warnx("page: %s", failed->v[i]);
	}
	if (failed->n == 0 && p->page_failed.n > 0)
		log_info("page: every file written again");
	strv_free(&p->page_failed);
	p->page_failed = *failed;
	memset(failed, 0, sizeof *failed);
}

/*
 * The public page after every change: the audit log moved on. What it was
 * last rendered from (the entry, language, templates and folder) is kept
 * in the database too, so that pactd --once run from a timer does not
 * render an unchanged page at every start. Only a render that wrote every
 * file counts: after a failed file the next pass renders again. The files
 * are durable (directory fsynced) before the stamp commits, so that a power
 * cut never leaves an old page under a stamp that calls it current.
 */
static void
run_page(struct pact *p)
{
	long long last = audit_last_id(p->store);
	struct strv failed = { 0 };
	char *stamp, *old, *cause = NULL;

	if (last < 0 || last == p->rendered)
		return;	/* a failed read was logged: the next pass */
	if (store_meta_get(p->store, "page_rendered", &old, &cause) < 0) {
		log_warnx("page: %s", cause);
		free(cause);
		return;
	}
	stamp = xasprintf("%lld %s %s %s", last, p->conf->default_language,
	    p->conf->templates, p->conf->output_dir);
	if (old != NULL && strcmp(old, stamp) == 0 && page_present(p->conf))
		p->rendered = last;
	else if (page_render(p->conf, p->store, clock_now(), &failed) == 0) {
		log_debug("page: rendered into %s", p->conf->output_dir);
		p->rendered = last;
		if (store_meta_set(p->store, "page_rendered", stamp, &cause)) {
			log_warnx("page: %s", cause);
			free(cause);
		}
	}
	page_failures(p, &failed);
	free(old);
	free(stamp);
}

/* The page where it is published: after a change, or a retry when due.
 * Failures of the server are publish.c's to log and retry. */
static void
run_publish(struct pact *p)
{
	char *cause = NULL;

	if (publish_run(p->conf, p->store, p->stop, &cause) != 0) {
		log_warnx("publish: %s", cause);
		free(cause);
	}
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
		run_publish(p);	/* the page rendered before goes on up */
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
	run_publish(p);
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

/* How long to wait: until the next outbox or publish retry, at most a
 * minute. */
static int
wait_ms(struct pact *p)
{
	time_t due = outbox_next_due(p->store), now = clock_now();
	time_t pub = publish_next_due(p->conf, p->store);
	long ms = 60 * 1000;

	if (pub != 0 && (due == 0 || pub < due))
		due = pub;

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

/* --check-config, and with --connect both servers tried for real. */
static int
check_config(const char *path, int connect)
{
	struct config *c = load_config(path, 1);
	int rc = EX_OK;

	if (c == NULL)
		return EX_CONFIG;
	if (c->sender_auth == SENDER_AUTH_FROM)
		log_warnx("%s: [security] sender_auth = from: anyone who writes "
		    "a delegate's address in From can act for the party; set "
		    "sender_auth = dmarc", path);
	if (*c->trusted_authserv_id == '\0')
		log_warnx("%s: [security] trusted_authserv_id is empty: only "
		    "right for Microsoft 365, whose Authentication-Results "
		    "carry no authserv-id; your inbound servers must remove "
		    "such headers from arriving mail", path);
	printf("%s: ok (%zu founding parties, %zu advisory board members, "
	    "%zu secretariat members)\n", path, c->roster.nparties,
	    c->roster.advisory.nmembers, c->roster.secretariat.nmembers);
	if (connect) {
		fflush(stdout);
		rc = probe_run(c, stdout);
	}
	config_free(c);
	oauth2_clear();
	return rc;
}

/* Everything after the configuration: the database, the audit log, the
 * servers, then the pass or the loop. What it made, main frees, also
 * when it stops early (a full or read-only disk: exit 75). */
static int
start(struct pact *p, int once, int fg)
{
	char *cause = NULL;
	int rc;

	set_timezone(p->conf);
	if (ical_init(p->conf->timezone, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return EX_CONFIG;
	}
	if ((p->store = store_open(p->conf->database, 0, &cause)) == NULL ||
	    outbox_recover(p->store, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return EX_TEMPFAIL;
	}
	if ((rc = audit_start(p)) != EX_OK)
		return rc;
	p->imap = imap_new(p->conf);
	p->smtp = smtp_new(p->conf);
	p->stop = &stop_flag;
	p->rendered = -1;
	signals_setup();
	if (!once && !fg && daemon(1, 1) == -1)
		fatal("daemon");
	return once ? run_once(p) : run_loop(p);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "connect", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "credentials", required_argument, NULL, 'C' },
		{ "dump-defaults", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_CONFIG;
	int ch, once = 0, check = 0, connect = 0, fg = 0, verbose = 0, rc;
	struct pact p;
	char *cause = NULL;

	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'o': once = 1; break;
		case 'n': check = 1; break;
		case 'K': connect = 1; break;
		case 'f': fg = 1; break;
		case 'v': verbose = 1; break;
		case 'D': config_dump_defaults(); return EX_OK;
		case 'h': usage(1);
		case 'V': printf("pactd %s\n", PACTD_VERSION); return EX_OK;
		case 'C': setenv("CREDENTIALS_DIRECTORY", optarg, 1); break;
		default: usage(0);
		}
	}
	if (optind != argc || (connect && !check))
		usage(0);
	log_init("pactd", verbose);
	/* Passwords, keys and tokens are held in memory: no core file. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_DUMPABLE)");
	if (clock_init(&cause) != 0) {
		log_warnx("%s", cause);
		return EX_USAGE;
	}
	if (check)
		return check_config(path, connect);
	memset(&p, 0, sizeof p);
	if ((p.conf = load_config(path, 1)) == NULL)
		return EX_CONFIG;
	rc = start(&p, once, fg);
	imap_free(p.imap);
	smtp_free(p.smtp);
	store_close(p.store);
	config_free(p.conf);
	strv_free(&p.page_failed);
	oauth2_clear();
	return rc;
}
