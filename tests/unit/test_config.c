/* Unit tests: pactd.conf and roster.conf, every error with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "util.h"


static const char roster_ok[] =
    "[party DI]\n"
    "name = DI – Dansk Industri\n"
    "delegate = Anne Holm <Anne@DI.example.test>\n"
    "delegate = bo@di.example.test\n"
    "lang = da\n"
    "\n"
    "[party IDA]\n"
    "delegate = lise@ida.example.test\n"
    "lang = en\n"
    "[advisory]\n"
    "name = Virksomhedsforum for Digital Sikkerhed\n"
    "member = Carl Berg <carl@vfds.example.test>\n"
    "[secretariat]\n"
    "name = Erhvervsstyrelsen\n"
    "member = sekretariat@erst.example.test\n";

static const char conf_min[] =
    "[pact]\n"
    "address = pagt@example.test\n"
    "roster = roster.conf\n"
    "[imap]\n"
    "url = imap://127.0.0.1:24143   ; a comment\n"
    "[smtp]\n"
    "url = smtp://127.0.0.1:24025\n"
    "from = Cybersikkerhedspagten <pagt@example.test>\n";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", unit_dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	free(path);
}

static struct config *
load(const char *conf, const char *roster, struct strv *errors)
{
	char *path = xasprintf("%s/pactd.conf", unit_dir);
	struct config *c;

	write_file("pactd.conf", conf, 0600);
	write_file("roster.conf", roster, 0600);
	c = config_load(path, errors);
	free(path);
	return c;
}

/* Whether some error contains all of the given words. */
static int
has_error(const struct strv *errors, const char *a, const char *b)
{
	for (size_t i = 0; i < errors->n; i++)
		if (strstr(errors->v[i], a) && (b == NULL ||
		    strstr(errors->v[i], b)))
			return 1;
	return 0;
}

static void
test_defaults(void **state)
{
	struct strv errors = { 0 };
	struct config *c = load(conf_min, roster_ok, &errors);

	assert_int_equal(errors.n, 0);
	assert_non_null(c);
	assert_string_equal(c->name, "Cybersikkerhedspagten");
	assert_string_equal(c->default_language, "da");
	assert_string_equal(c->timezone, "Europe/Copenhagen");
	assert_string_equal(c->imap_url, "imap://127.0.0.1:24143");
	assert_string_equal(c->imap_mailbox, "INBOX");
	assert_int_equal(c->imap_idle, 1);
	assert_int_equal(c->poll_interval, 60);
	assert_string_equal(c->folder_quarantine, "pactd/Quarantine");
	assert_int_equal(c->majority, MAJORITY_SIMPLE);
	assert_int_equal(c->voting_days, 14);
	assert_int_equal(c->reminder_days, 3);
	assert_int_equal(c->consultation_days, 30);
	assert_int_equal(c->cadence_months, 6);
	assert_int_equal(c->default_duration_minutes, 180);
	assert_int_equal(c->invite_advisory_board, 0);
	assert_int_equal(c->vote_auth, VOTE_AUTH_TOKEN);
	assert_int_equal(c->max_message_bytes, 10485760);
	assert_int_equal(c->reply_rate_per_hour, 20);
	assert_string_equal(c->subaddress_separator, "+");
	config_free(c);
}

static void
test_roster(void **state)
{
	struct strv errors = { 0 };
	struct config *c = load(conf_min, roster_ok, &errors);
	const struct party *di;

	assert_non_null(c);
	assert_int_equal(c->roster.nparties, 2);
	di = &c->roster.parties[0];
	assert_string_equal(di->id, "DI");
	assert_string_equal(di->name, "DI – Dansk Industri");
	assert_int_equal(di->ndelegates, 2);
	assert_string_equal(di->delegates[0].name, "Anne Holm");
	assert_string_equal(di->delegates[0].addr, "anne@di.example.test");
	assert_null(di->delegates[1].name);
	assert_string_equal(c->roster.parties[1].name, "IDA");
	assert_string_equal(c->roster.parties[1].lang, "en");
	assert_int_equal(c->roster.advisory.nmembers, 1);
	assert_string_equal(c->roster.secretariat.members[0].addr,
	    "sekretariat@erst.example.test");
	/* The roster path is relative to the config file. */
	assert_non_null(strstr(c->roster_path, unit_dir));
	config_free(c);
}

static void
test_errors_all_collected(void **state)
{
	struct strv errors = { 0 };
	const char *conf =
	    "[pact]\n"
	    "address = not-an-address\n"		/* line 2 */
	    "roster = roster.conf\n"
	    "default_language = fr\n"		/* line 4 */
	    "[imap]\n"
	    "url = http://x\n"			/* line 6 */
	    "poll_interval = 0\n"			/* line 7 */
	    "idle = maybe\n"			/* line 8 */
	    "colour = blue\n"			/* line 9 */
	    "[smtp]\n"
	    "url = smtp://127.0.0.1:25\n"
	    "from = x@example.test\n"
	    "[rules]\n"
	    "majority = most\n"			/* line 14 */
	    "voting_days = 14 days\n"		/* line 15 */
	    "[rules]\n"
	    "quorum = 3\n"
	    "quorum = 4\n";			/* line 18 */
	struct config *c = load(conf, roster_ok, &errors);

	assert_null(c);
	assert_true(has_error(&errors, "pactd.conf:2:", "not-an-address"));
	assert_true(has_error(&errors, "pactd.conf:4:", "fr"));
	assert_true(has_error(&errors, "pactd.conf:6:", "http://x"));
	assert_true(has_error(&errors, "pactd.conf:7:", "out of range"));
	assert_true(has_error(&errors, "pactd.conf:8:", "maybe"));
	assert_true(has_error(&errors, "pactd.conf:9:", "colour"));
	assert_true(has_error(&errors, "pactd.conf:14:", "most"));
	assert_true(has_error(&errors, "pactd.conf:15:", "not a number"));
	assert_true(has_error(&errors, "pactd.conf:18:", "twice"));
	strv_free(&errors);
}

static void
test_required_and_syntax(void **state)
{
	struct strv errors = { 0 };
	const char *conf = "[pact]\nroster = roster.conf\nthis line has no "
	    "equals sign\n[smtp\n";
	struct config *c = load(conf, roster_ok, &errors);

	assert_null(c);
	assert_true(has_error(&errors, "[pact] address is required", NULL));
	assert_true(has_error(&errors, "[imap] url is required", NULL));
	assert_true(has_error(&errors, "[smtp] from is required", NULL));
	assert_true(has_error(&errors, "pactd.conf:3:", "syntax"));
	strv_free(&errors);
}

static void
test_roster_errors(void **state)
{
	struct strv errors = { 0 };
	const char *roster =
	    "[party DI]\n"
	    "delegate = Anne <anne@di.example.test\n"	/* line 2 */
	    "phone = 123\n"				/* line 3 */
	    "[party DE]\n"
	    "name = Dansk Erhverv\n"			/* no delegate */
	    "[parti X]\n"				/* line 6 */
	    "delegate = x@x.example.test\n"
	    "[advisory]\n"
	    "member = carl@vfds.example.test\n"
	    "lang = de\n";				/* line 10 */
	struct config *c = load(conf_min, roster, &errors);

	assert_null(c);
	assert_true(has_error(&errors, "roster.conf:2:", "anne@di"));
	assert_true(has_error(&errors, "roster.conf:3:", "phone"));
	assert_true(has_error(&errors, "roster.conf:4:", "no delegate"));
	assert_true(has_error(&errors, "roster.conf:7:", "parti X"));
	assert_true(has_error(&errors, "roster.conf:10:", "de"));
	assert_true(has_error(&errors, "[secretariat] has no member", NULL));
	strv_free(&errors);
}

static void
test_missing_files(void **state)
{
	struct strv errors = { 0 };
	char *path = xasprintf("%s/nonexistent.conf", unit_dir);

	assert_null(config_load(path, &errors));
	assert_true(has_error(&errors, "nonexistent.conf", "No such file"));
	strv_free(&errors);
	free(path);
}

/* A config whose [imap] logs in with the password in imap.pw. */
static struct config *
load_with_login(struct strv *errors)
{
	return load("[pact]\naddress = pagt@example.test\nroster = "
	    "roster.conf\n[imap]\nurl = imap://127.0.0.1:1\nuser = "
	    "pagt@example.test\npassword_file = imap.pw\n[smtp]\nurl = "
	    "smtp://127.0.0.1:2\nfrom = pagt@example.test\n", roster_ok,
	    errors);
}

static void
test_secrets(void **state)
{
	struct strv errors = { 0 }, warnings = { 0 };
	struct config *c;
	char *cred;

	write_file("imap.pw", "s3cret\n", 0600);
	c = load_with_login(&errors);
	assert_non_null(c);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), 0);
	assert_string_equal(c->imap_password, "s3cret");
	assert_null(c->smtp_password);		/* no smtp user */
	assert_int_equal(errors.n + warnings.n, 0);
	config_free(c);

	/* Readable or writable by others: refused, naming file and fix. */
	write_file("imap.pw", "s3cret\n", 0644);
	c = load_with_login(&errors);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), -1);
	assert_true(has_error(&errors, "/imap.pw: ", "readable by others"));
	assert_true(has_error(&errors, "(mode 0644)", "chmod 600 "));
	assert_null(c->imap_password);
	config_free(c);
	strv_free(&errors);
	write_file("imap.pw", "s3cret\n", 0602);
	c = load_with_login(&errors);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), -1);
	assert_true(has_error(&errors, "/imap.pw: ", "writable by others"));
	config_free(c);
	strv_free(&errors);

	/* Group-readable (root:pactd 0640) is fine; group-writable warns. */
	write_file("imap.pw", "s3cret\n", 0660);
	c = load_with_login(&errors);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), 0);
	assert_int_equal(warnings.n, 1);
	assert_non_null(strstr(warnings.v[0], "writable by its group"));
	config_free(c);
	strv_free(&warnings);

	/* From systemd's credentials directory: its modes are systemd's. */
	write_file("imap-password", "fromcred\n", 0644);
	setenv("CREDENTIALS_DIRECTORY", unit_dir, 1);
	c = load_with_login(&errors);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), 0);
	assert_string_equal(c->imap_password, "fromcred");
	assert_int_equal(errors.n + warnings.n, 0);
	config_free(c);

	/* No such credential: the file, checked as ever. */
	write_file("imap.pw", "s3cret\n", 0604);
	cred = xasprintf("%s/imap-password", unit_dir);
	unlink(cred);
	free(cred);
	c = load_with_login(&errors);
	assert_int_equal(config_load_secrets(c, &errors, &warnings), -1);
	assert_true(has_error(&errors, "/imap.pw: ", "chmod 600"));
	unsetenv("CREDENTIALS_DIRECTORY");
	config_free(c);
	strv_free(&errors);
}

/* secret_read for other engineers' secrets: whole file, line ends at its
 * end removed; a key in PEM keeps its lines. */
static void
test_secret_read(void **state)
{
	struct strv errors = { 0 };
	char *path = xasprintf("%s/key.pem", unit_dir), *out;

	write_file("key.pem", "-----BEGIN X-----\nabc\n-----END X-----\r\n",
	    0400);
	assert_int_equal(secret_read("no-such-cred", path, &out, &errors,
	    NULL), 0);
	assert_string_equal(out, "-----BEGIN X-----\nabc\n-----END X-----");
	free(out);
	assert_int_equal(secret_read("x", "", &out, &errors, NULL), -1);
	assert_true(has_error(&errors, "no file is configured", "x"));
	strv_free(&errors);
	assert_int_equal(secret_read("x", unit_dir, &out, &errors, NULL), -1);
	assert_true(has_error(&errors, unit_dir, "regular file"));
	assert_null(out);
	strv_free(&errors);
	free(path);
}

/* A login without TLS goes only to loopback. */
static void
test_login_without_tls(void **state)
{
	static const struct {
		const char *imap, *smtp;
		int ok;
	} cases[] = {
		{ "url = imap://192.0.2.1\nuser = u", "", 0 },
		{ "url = imap://imap.example.test:143/\nuser = u", "", 0 },
		{ "url = imap://128.0.0.1\nuser = u", "", 0 },
		{ "url = imap://192.0.2.1\nuser = u\nstarttls = yes", "", 1 },
		{ "url = imaps://192.0.2.1\nuser = u", "", 1 },
		{ "url = imap://192.0.2.1", "", 1 },	/* no login */
		{ "url = imap://127.0.0.1:24143\nuser = u", "", 1 },
		{ "url = imap://127.1.2.3\nuser = u", "", 1 },
		{ "url = imap://localhost:143\nuser = u", "", 1 },
		{ "url = imap://[::1]:143\nuser = u", "", 1 },
		{ "url = imap://127.0.0.1", "url = smtp://mx.example.test\n"
		    "user = u", 0 },
		{ "url = imap://127.0.0.1", "url = smtp://mx.example.test", 1 },
		{ "url = imap://127.0.0.1", "url = smtps://mx.example.test\n"
		    "user = u", 1 },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		struct strv errors = { 0 };
		char *conf = xasprintf("[pact]\naddress = pagt@example.test\n"
		    "roster = roster.conf\n[imap]\n%s\n[smtp]\n%s\nfrom = "
		    "pagt@example.test\n", cases[i].imap, *cases[i].smtp ?
		    cases[i].smtp : "url = smtp://127.0.0.1:25");
		struct config *c = load(conf, roster_ok, &errors);

		if (cases[i].ok) {
			if (c == NULL)
				fail_msg("case %zu: %s", i, errors.v[0]);
			config_free(c);
		} else {
			assert_null(c);
			assert_int_equal(errors.n, 1);
			assert_true(has_error(&errors, "pactd.conf:", "] url: "));
			assert_true(has_error(&errors, "unencrypted",
			    "starttls = yes"));
			if (*cases[i].smtp == '\0')
				assert_true(has_error(&errors, "pactd.conf:5: "
				    "[imap] url: ", "not this machine"));
		}
		strv_free(&errors);
		free(conf);
	}
}

/* publish_url: SFTP or WebDAV, plain http only to loopback, no login in
 * the URL (and then the URL is not echoed). */
static void
test_publish_url(void **state)
{
	static const struct {
		const char *page;
		const char *why;	/* NULL: accepted */
	} cases[] = {
		{ "publish_url = sftp://www.example.test/srv/pagt/\n"
		    "publish_user = pagt", NULL },
		{ "publish_url = sftp://www.example.test/~/pagt/", "publish_user" },
		{ "publish_url = https://www.example.test/dav/pagt/", NULL },
		{ "publish_url = http://127.0.0.1:8080/dav/\npublish_user = u",
		    NULL },
		{ "publish_url = http://[::1]/dav/", NULL },
		{ "publish_url = http://www.example.test/dav/", "unencrypted" },
		{ "publish_url = ftp://www.example.test/pagt/", "neither" },
		{ "publish_url = https://u:hunter2@www.example.test/dav/",
		    "holds a login" },
		{ "publish_url = https:///dav/", "no host" },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		struct strv errors = { 0 };
		char *conf = xasprintf("%s[page]\n%s\n", conf_min,
		    cases[i].page);
		struct config *c = load(conf, roster_ok, &errors);

		if (cases[i].why == NULL) {
			if (c == NULL)
				fail_msg("case %zu: %s", i, errors.v[0]);
			config_free(c);
		} else {
			assert_null(c);
			assert_int_equal(errors.n, 1);
			assert_true(has_error(&errors, "pactd.conf:10: [page] "
			    "publish_url", cases[i].why));
			assert_false(has_error(&errors, "hunter2", NULL));
		}
		strv_free(&errors);
		free(conf);
	}
}

static void
test_person(void **state)
{
	struct person p;

	assert_int_equal(person_parse("\"Holm, Anne\" <A@B.example>", &p), 0);
	assert_string_equal(p.name, "Holm, Anne");
	assert_string_equal(p.addr, "a@b.example");
	person_free(&p);
	assert_int_equal(person_parse("  x@y.example.test ", &p), 0);
	assert_null(p.name);
	person_free(&p);
	assert_int_equal(person_parse("no address", &p), -1);
	assert_int_equal(person_parse("a@b", &p), -1);
	assert_int_equal(person_parse("<a@b.c> trailing", &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_roster),
		cmocka_unit_test(test_errors_all_collected),
		cmocka_unit_test(test_required_and_syntax),
		cmocka_unit_test(test_roster_errors),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secret_read),
		cmocka_unit_test(test_login_without_tls),
		cmocka_unit_test(test_publish_url),
		cmocka_unit_test(test_person),
	};

	return cmocka_run_group_tests(tests, unit_dir_setup,
	    unit_dir_teardown);
}
