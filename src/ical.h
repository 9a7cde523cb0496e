/* iCalendar for meetings (SPEC section 5): the iMIP REQUEST or CANCEL sent
 * to each attendee, and the REPLY or COUNTER a calendar client sends back. */
#ifndef PACTD_ICAL_H
#define PACTD_ICAL_H

#include <stddef.h>
#include <time.h>

#define ICAL_INPUT_MAX	(1024 * 1024)	/* ical_read_reply refuses more */

struct ical_event {
	const char	*uid;		/* stable for the meeting's life */
	const char	*organizer;	/* the pact's address */
	const char	*organizer_cn;	/* pact name or NULL */
	const char	*attendee;	/* the one attendee's address */
	const char	*attendee_cn;	/* or NULL; ^ and " are dropped */
	const char	*summary;	/* title; NULL or "" leaves it out */
	const char	*location;	/* NULL or "" leaves it out */
	const char	*description;	/* agenda text, may be multi-line */
	time_t		 start, end;	/* UTC instants, end after start */
	time_t		 dtstamp;
	int		 sequence;
	const char	*tzid;		/* the zone given to ical_init */
	int		 cancel;	/* METHOD:CANCEL + STATUS:CANCELLED */
	int		 uninvite;	/* with cancel: for this attendee only,
					 * the event goes on: no STATUS */
};

/*
 * Load the zone once at start-up (libical's zone loading is not
 * thread-safe) and turn its current rules, the POSIX TZ string at the end
 * of its TZif file, into a short VTIMEZONE: one DAYLIGHT and one STANDARD
 * with yearly RRULEs, or a single STANDARD for a zone without DST. The
 * result is checked hour by hour against tzdata for the coming years; a
 * zone whose changes follow no yearly rule is refused. Calling it again
 * replaces the zone; a failed call keeps the one before. Returns 0, or -1
 * with *cause (owned).
 */
int ical_init(const char *tzid, char **cause);

/*
 * The VCALENDAR text, written by libical: CRLF line ends exactly once,
 * folded at 75 octets, METHOD:REQUEST or CANCEL, PRODID, VERSION:2.0, the
 * VTIMEZONE, and a VEVENT with UID, DTSTAMP (UTC), DTSTART/DTEND;TZID= in
 * local time, SEQUENCE, SUMMARY, LOCATION, DESCRIPTION, ORGANIZER;CN=,
 * one ATTENDEE;CN=;RSVP=TRUE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT,
 * STATUS:CONFIRMED and TRANSP:OPAQUE. A CANCEL asks for no answer: its
 * ATTENDEE has only CN= and ROLE=, and STATUS is CANCELLED, or absent
 * when one attendee is uninvited (RFC 5546 section 3.2.5). Text is made valid
 * UTF-8 without control characters. Owned string, or NULL when ical_init
 * has not succeeded for e->tzid, the UID is missing or holds control
 * characters, an address has no @ or holds blanks, quotes or control
 * characters, end is not after start or a time is negative or past 2500.
 */
char *ical_build(const struct ical_event *e);

enum ical_partstat {
	ICAL_PS_NONE,
	ICAL_PS_ACCEPTED,
	ICAL_PS_DECLINED,
	ICAL_PS_TENTATIVE,
	ICAL_PS_NEEDS_ACTION,
	ICAL_PS_DELEGATED
};

struct ical_reply {
	char		*method;	/* upper case, or NULL */
	char		*uid;
	char		*attendee;	/* lower case, without mailto: */
	enum ical_partstat partstat;
	int		 sequence;	/* -1 when absent */
	char		*comment;	/* NULL when absent or blank */
	int		 is_counter;	/* METHOD:COUNTER */
	time_t		 counter_start;	/* for a COUNTER when readable, */
	time_t		 counter_end;	/* else 0 */
};

/*
 * Read what a calendar client sent back (REPLY or COUNTER), tolerating
 * what real clients send: no ORGANIZER, no METHOD, Windows zone names with
 * their own VTIMEZONE, UTC times, an older SEQUENCE, an empty COMMENT, LF
 * or CRLF line ends, folded lines, several ATTENDEEs (the first with a
 * PARTSTAT other than NEEDS-ACTION is taken, else the first; the
 * ORGANIZER's own ATTENDEE line only when there is no other). The first
 * VEVENT with a UID and an attendee counts. COUNTER times are placed by
 * the calendar's own VTIMEZONE (when it has a few yearly rules), else by a
 * tzdata zone of that name; floating ones in the zone of ical_init. Only
 * the properties read here reach libical's parser. Text past a NUL byte
 * is ignored; more than ICAL_INPUT_MAX bytes, deep nesting, a component
 * with over a thousand such lines or dozens of VTIMEZONEs are refused.
 * Returns 0 and fills *out (free with ical_reply_free), or -1 with *cause
 * (owned); *out needs no freeing then.
 */
int ical_read_reply(const char *text, size_t len, struct ical_reply *out,
    char **cause);
void ical_reply_free(struct ical_reply *);

/* "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED" or
 * "NONE". */
const char *ical_partstat_name(enum ical_partstat);

#endif
