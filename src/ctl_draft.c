/* pactctl draft-status YEAR: the drafted annual status, as the
 * secretariat gets it on [status] draft_date, or its record as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "draft.h"
#include "notify.h"
#include "util.h"

int
ctl_draft_status(struct ctl *ctl, int argc, char **argv)
{
	const char *lang = notice_lang(ctl->conf,
	    ctl->conf->roster.secretariat.lang);
	char *subject = NULL, *body = NULL, *cause = NULL, *end;
	struct json j;
	long year;

	(void)argc;
	year = strtol(argv[0], &end, 10);
	if (*argv[0] == '\0' || *end != '\0' || year < 2000 || year > 2200) {
		fprintf(stderr, "pactctl: draft-status: \"%s\" is not a year "
		    "such as 2026\n", argv[0]);
		return CTL_USAGE;
	}
	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	if (draft_build(ctl->conf, ctl->store, (int)year, lang, clock_now(),
	    ctl->json ? &j : NULL, &subject, &body, &cause) != 0) {
		fprintf(stderr, "pactctl: draft-status: %s\n", cause);
		free(cause);
		free(json_finish(&j));
		return CTL_FAIL;
	}
	json_obj_end(&j);
	if (ctl->json)
		ctl_print_json(&j);
	else {
		free(json_finish(&j));
		printf("Subject: %s\n\n%s", subject, body);
	}
	free(subject);
	free(body);
	return CTL_OK;
}
