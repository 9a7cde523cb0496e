/*
 * pactctl: the operator's view of pactd's database. A table of commands,
 * each {name, usage, exec}; with --json each prints one JSON document.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "log.h"
#include "store.h"
#include "table.h"
#include "util.h"

#define DEFAULT_CONFIG	"/etc/pactd/pactd.conf"

#ifndef PACTD_VERSION
#define PACTD_VERSION	"unknown"
#endif

static const struct ctl_cmd cmds[] = {
	{ "parties", "parties", 0, 0, ctl_parties, 0 },
	{ "members", "members", 0, 0, ctl_members, 0 },
	{ "ballots", "ballots", 0, 0, ctl_ballots, 0 },
	{ "ballot", "ballot REF", 1, 1, ctl_ballot, 0 },
	{ "meetings", "meetings", 0, 0, ctl_meetings, 0 },
	{ "meeting", "meeting REF", 1, 1, ctl_meeting, 0 },
	{ "declarations", "declarations", 0, 0, ctl_declarations, 0 },
	{ "initiatives", "initiatives", 0, 0, ctl_initiatives, 0 },
	{ "statuses", "statuses", 0, 0, ctl_statuses, 0 },
	{ "draft-status", "draft-status YEAR", 1, 1, ctl_draft_status, 0 },
	{ "quarantine", "quarantine", 0, 0, ctl_quarantine, 0 },
	{ "outbox", "outbox", 0, 0, ctl_outbox, 0 },
	{ "log", "log", 0, 0, ctl_log, 0 },
	{ "verify-log", "verify-log", 0, 0, ctl_verify_log, 0 },
	{ "render", "render", 0, 0, ctl_render, 0 },
	{ "publish", "publish", 0, 0, ctl_publish, 0 },
	{ "export", "export", 0, 0, ctl_export, 0 },
	{ "forget", "forget ADDRESS", 1, 1, ctl_forget, 1 },
	{ "backup", "backup FILE", 1, 1, ctl_backup, 0 },
};

/* The usage on stdout for --help, on stderr (and 64) for a mistake. */
static __attribute__((noreturn)) void
usage(int help)
{
	FILE *fp = help ? stdout : stderr;

	fprintf(fp, "usage: pactctl [-c FILE] [--json] COMMAND\n"
	    "       pactctl --help | --version\ncommands:\n");
	for (size_t i = 0; i < nitems(cmds); i++)
		fprintf(fp, "  %s\n", cmds[i].usage);
	exit(help ? CTL_OK : CTL_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_CONFIG;
	struct ctl ctl;
	struct strv errors = { 0 };
	const struct ctl_cmd *cmd = NULL;
	char *cause = NULL;
	int ch, rc;

	memset(&ctl, 0, sizeof ctl);
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'j': ctl.json = 1; break;
		case 'h': usage(1);
		case 'V': printf("pactctl %s\n", PACTD_VERSION); return CTL_OK;
		default: usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(0);
	for (size_t i = 0; i < nitems(cmds); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "pactctl: unknown command '%s'\n", argv[0]);
		usage(0);
	}
	if (argc - 1 < cmd->minargs || argc - 1 > cmd->maxargs) {
		fprintf(stderr, "usage: pactctl [-c FILE] [--json] %s\n",
		    cmd->usage);
		return CTL_USAGE;
	}
	log_init("pactctl", 0);
	if (clock_init(&cause) != 0) {
		fprintf(stderr, "pactctl: %s\n", cause);
		return CTL_USAGE;
	}
	if ((ctl.conf = config_load(path, &errors)) == NULL) {
		for (size_t i = 0; i < errors.n; i++)
			fprintf(stderr, "pactctl: %s\n", errors.v[i]);
		strv_free(&errors);
		return CTL_CONFIG;
	}
	/* Times for people in the pact's zone; widths by what they see. */
	setenv("TZ", ctl.conf->timezone, 1);
	tzset();
	table_locale();
	if ((ctl.store = store_open(ctl.conf->database, !cmd->writes,
	    &cause)) == NULL) {
		fprintf(stderr, "pactctl: %s\n", cause);
		free(cause);
		config_free(ctl.conf);
		return CTL_UNAVAILABLE;
	}
	rc = cmd->exec(&ctl, argc - 1, argv + 1);
	store_close(ctl.store);
	config_free(ctl.conf);
	return rc;
}
