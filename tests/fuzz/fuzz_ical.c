/*
 * libFuzzer target: a calendar client's REPLY or COUNTER read with
 * ical_read_reply (line unfolding, limits, libical parse, attendee and
 * PARTSTAT choice, COUNTER times in the zone of ical_init).
 */
#include "fuzz.h"
#include "ical.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ical_reply r;
	char *cause = NULL;

	if (!ready) {
		if (ical_init("Europe/Copenhagen", &cause) != 0) {
			fprintf(stderr, "ical_init: %s\n", cause);
			abort();
		}
		ready = 1;
	}
	if (ical_read_reply((const char *)data, size, &r, &cause) == 0) {
		FUZZ_CHECK(r.uid != NULL && r.attendee != NULL,
		    "a reply has a UID and an attendee");
		(void)ical_partstat_name(r.partstat);
	} else {
		FUZZ_CHECK(cause != NULL, "a refusal says why");
		free(cause);
	}
	ical_reply_free(&r);
	return 0;
}
