/* pactctl publish: where the page is uploaded, and how that goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "publish.h"
#include "upload.h"
#include "util.h"

/* A time for JSON: null when it never happened. */
static void
publish_json_time(struct json *j, const char *key, time_t t)
{
	char buf[32];

	if (t == 0) {
		json_null(j, key);
		return;
	}
	ctl_time(t, buf, sizeof buf);
	json_str(j, key, buf);
}

static void
publish_print_json(const struct config *c, const struct publish_status *ps)
{
	struct json j;
	char *kh = upload_known_hosts(c);

	json_init(&j, 1);
	json_obj_begin(&j, NULL);
	json_str(&j, "url", *c->publish_url ? c->publish_url : NULL);
	json_str(&j, "state", publish_strstate(ps->state));
	publish_json_time(&j, "last_success", ps->last_success);
	json_str(&j, "last_error", ps->last_error);
	publish_json_time(&j, "last_error_at", ps->last_error_at);
	publish_json_time(&j, "next_try", ps->next_try);
	json_int(&j, "attempts", ps->attempts);
	if (strncmp(c->publish_url, "sftp://", 7) == 0)
		json_str(&j, "known_hosts", kh);
	json_arr_begin(&j, "files");
	for (size_t i = 0; i < ps->nfiles; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "name", ps->files[i].name);
		json_bool(&j, "current", ps->files[i].current);
		publish_json_time(&j, "uploaded", ps->files[i].uploaded);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	ctl_print_json(&j);
	free(kh);
}

static void
publish_print_text(const struct config *c, const struct publish_status *ps)
{
	char t[32];

	printf("url           %s\n", *c->publish_url ? c->publish_url :
	    "- (no [page] publish_url)");
	printf("state         %s\n", publish_strstate(ps->state));
	ctl_time(ps->last_success, t, sizeof t);
	printf("last success  %s\n", t);
	ctl_time(ps->last_error_at, t, sizeof t);
	printf("last error    %s%s%s\n", t, ps->last_error ? "  " : "",
	    ps->last_error ? ps->last_error : "");
	ctl_time(ps->next_try, t, sizeof t);
	printf("next try      %s\n", t);
	printf("attempts      %d failed in a row\n", ps->attempts);
	for (size_t i = 0; i < ps->nfiles; i++) {
		ctl_time(ps->files[i].uploaded, t, sizeof t);
		printf("  %-32s %-8s uploaded %s\n", ps->files[i].name,
		    ps->files[i].current ? "current" : "waiting", t);
	}
}

int
ctl_publish(struct ctl *ctl, int argc, char **argv)
{
	struct publish_status ps;

	publish_status(ctl->conf, ctl->store, &ps);
	if (ctl->json)
		publish_print_json(ctl->conf, &ps);
	else
		publish_print_text(ctl->conf, &ps);
	publish_status_free(&ps);
	return CTL_OK;
}
