/*
 * libFuzzer target: pactd.conf and roster.conf read with config_load. The
 * input up to the first NUL byte is written to pactd.conf in a private
 * directory made once, next to a valid roster.conf written once; what
 * follows the NUL, if anything, is written to fuzzed-roster.conf. So an
 * input naming "roster = roster.conf" gets as far as a good roster, one
 * naming "roster = fuzzed-roster.conf" has its second half read as the
 * roster, and one naming "roster = pactd.conf" has itself read as a roster
 * too. Everything is freed each run: a leak is a finding.
 *
 * config_load opens the roster path the input names. Inputs naming
 * anything under /dev, /proc, /sys or /run are skipped: /dev/zero or a
 * FIFO would only hang the harness, and no operator writes that.
 */
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static const char roster[] =
    "[party DI]\n"
    "name = DI - Dansk Industri\n"
    "delegate = Anne Holm <anne@di.example.test>\n"
    "delegate = bo@di.example.test\n"
    "lang = da\n"
    "[party IDA]\n"
    "delegate = lise@ida.example.test\n"
    "lang = en\n"
    "[advisory]\n"
    "name = Virksomhedsforum for Digital Sikkerhed\n"
    "member = Carl Berg <carl@vfds.example.test>\n"
    "[secretariat]\n"
    "name = Erhvervsstyrelsen\n"
    "member = sekretariat@erst.example.test\n";

static char *dir, *conf_path, *roster_path, *fuzzed_path;

/* Remove the directory when libFuzzer exits normally. */
static void
cleanup(void)
{
	unlink(conf_path);
	unlink(roster_path);
	unlink(fuzzed_path);
	rmdir(dir);
}

/* Write size bytes to path, replacing what was there. */
static void
put(const char *path, const void *data, size_t size)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fwrite(data, 1, size, fp) != size ||
	    fclose(fp) != 0) {
		perror(path);
		abort();
	}
}

/* Make the directory and the roster once. */
static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	dir = xasprintf("%s/pactd-fuzz-config-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	conf_path = xasprintf("%s/pactd.conf", dir);
	roster_path = xasprintf("%s/roster.conf", dir);
	fuzzed_path = xasprintf("%s/fuzzed-roster.conf", dir);
	put(roster_path, roster, sizeof roster - 1);
	atexit(cleanup);
}

/* Whether the input names a special file system. */
static int
special(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "/dev/", "/proc/", "/sys/",
	    "/run/" };

	for (size_t i = 0; i < nitems(dirs); i++)
		if (memmem(data, size, dirs[i], strlen(dirs[i])) != NULL)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct strv errors = { 0 };
	struct config *c;

	if (dir == NULL)
		setup();
	if (special(data, size))
		return 0;
	if (nul != NULL) {
		put(conf_path, data, nul - data);
		put(fuzzed_path, nul + 1, size - (nul - data) - 1);
	} else {
		put(conf_path, data, size);
		unlink(fuzzed_path);
	}
	c = config_load(conf_path, &errors);
	FUZZ_CHECK((c == NULL) == (errors.n > 0),
	    "NULL exactly when there are errors");
	if (c != NULL)
		FUZZ_CHECK(c->roster.nparties > 0 &&
		    c->roster.secretariat.nmembers > 0,
		    "a loaded roster has a party and a secretariat");
	config_free(c);
	strv_free(&errors);
	return 0;
}
