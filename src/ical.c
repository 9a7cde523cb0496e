/* iCalendar for meetings (SPEC section 5): the invitation or cancellation
 * each attendee gets, written by libical with a short two-rule VTIMEZONE,
 * and the REPLY or COUNTER a calendar client sends back, read by libical
 * after a pass that keeps hostile input small. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "header.h"
#include "ical.h"
#include "util.h"

#define PRODID		"-//pactd//pactd//EN"
#define ZONEDIR		"/usr/share/zoneinfo"
#define TZIF_MAX	(1024 * 1024)	/* largest TZif file read */
#define TZNAME_MAX	16		/* zone abbreviations ("CEST") */
#define CHECK_YEARS	5		/* years checked against tzdata */
#define TIME_LAST	16725225600LL	/* 2500-01-01, within libical's range */
#define DEPTH_MAX	8		/* BEGIN: nesting read */
#define LINES_MAX	1000		/* lines kept in one component */
#define ZONES_MAX	32		/* VTIMEZONEs in a reply */
#define OBSERVANCES_MAX	32		/* STANDARD/DAYLIGHT in a client zone */
#define YEAR_FIRST	1583		/* first year of a client zone */
#define YEAR_LAST	2200		/* last year of client times */

/* A POSIX TZ rule "Mm.w.d/time": week 5 is the last, time is local and
 * may be negative or pass midnight (RFC 8536 section 3.3.1). */
struct tzrule {
	int	 month, week, wday;
	long	 secs;
};

/* The POSIX TZ string at the end of a TZif file: the zone's current rules. */
struct tzposix {
	char		 stdname[TZNAME_MAX], dstname[TZNAME_MAX];
	long		 stdoff, dstoff;	/* seconds east of UTC */
	int		 has_dst;
	struct tzrule	 on, off;		/* into DST and out of it */
};

/* The zone ical_init loaded, as written into calendars and for conversions. */
static struct {
	char		*tzid;
	icalcomponent	*vtimezone;
	icaltimezone	*zone;
} ical_tz;

static const char *wdays[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };
static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* The lines ical_read_reply gives libical; the rest is dropped. */
static const char *keep_names[] = {
	"BEGIN", "END", "METHOD", "UID", "ORGANIZER", "ATTENDEE", "SEQUENCE",
	"COMMENT", "DTSTART", "DTEND", "DURATION", "TZID", "TZOFFSETFROM",
	"TZOFFSETTO", "RRULE"
};

static const struct {
	enum ical_partstat	 ps;
	icalparameter_partstat	 lib;
	const char		*name;
} partstats[] = {
	{ ICAL_PS_ACCEPTED,	ICAL_PARTSTAT_ACCEPTED,	"ACCEPTED" },
	{ ICAL_PS_DECLINED,	ICAL_PARTSTAT_DECLINED,	"DECLINED" },
	{ ICAL_PS_TENTATIVE,	ICAL_PARTSTAT_TENTATIVE, "TENTATIVE" },
	{ ICAL_PS_NEEDS_ACTION,	ICAL_PARTSTAT_NEEDSACTION, "NEEDS-ACTION" },
	{ ICAL_PS_DELEGATED,	ICAL_PARTSTAT_DELEGATED, "DELEGATED" },
};

static long
floor_div(long a, long b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int
month_days(int y, int m)
{
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* Day of the week, 0 for Sunday (Sakamoto's method). */
static int
weekday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* The length of the well-formed UTF-8 character at s, or 0. */
static size_t
utf8_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	return k <= n && utf8_valid(s, k) ? k : 0;
}

/* Text as valid UTF-8 without control characters: a line end becomes LF
 * in multi-line text and a space elsewhere, a bad byte becomes '?'. */
static char *
text_clean(const char *s, int multiline)
{
	struct buf b;
	size_t i, k, n = strlen(s);
	unsigned char c;

	buf_init(&b);
	for (i = 0; i < n; i += k) {
		c = (unsigned char)s[i];
		k = 1;
		if (c == '\r' || c == '\n') {
			if (c == '\r' && s[i + 1] == '\n')
				k = 2;
			buf_addc(&b, multiline ? '\n' : ' ');
		} else if (c == '\t')
			buf_addc(&b, multiline ? '\t' : ' ');
		else if (c < 0x20 || c == 0x7f)
			continue;
		else if ((k = utf8_len(s + i, n - i)) != 0)
			buf_add(&b, s + i, k);
		else {
			buf_addc(&b, '?');
			k = 1;
		}
	}
	return buf_steal(&b);
}

/* Text cleaned and trimmed, or NULL when blank. */
static char *
text_trimmed(const char *v, int multiline)
{
	char *t, *s;

	if (v == NULL)
		return NULL;
	t = text_clean(v, multiline);
	s = str_trim(t);
	if (*s == '\0') {
		free(t);
		return NULL;
	}
	memmove(t, s, strlen(s) + 1);
	return t;
}

/* Whether a zone name is one to look up under the zone directory. */
static int
tzid_valid(const char *tzid)
{
	const char *p;

	if (tzid == NULL || *tzid == '\0' || *tzid == '/' ||
	    strlen(tzid) > 200 || strstr(tzid, "..") != NULL)
		return 0;
	for (p = tzid; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	return 1;
}

/* Read the zone's TZif file. */
static char *
tzif_read(const char *tzid, size_t *lenp, char **cause)
{
	const char *dir = icaltzutil_get_zone_directory();
	char *path, *buf;
	FILE *f;
	size_t n;

	path = xasprintf("%s/%s", dir != NULL ? dir : ZONEDIR, tzid);
	if ((f = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	buf = xmalloc(TZIF_MAX + 1);
	n = fread(buf, 1, TZIF_MAX + 1, f);
	if (ferror(f) || n > TZIF_MAX) {
		*cause = xasprintf("%s: cannot read", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	free(path);
	*lenp = n;
	return buf;
}

static uint64_t
be32(const unsigned char *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 |
	    (uint64_t)p[2] << 8 | p[3];
}

/* The size of the data block after a TZif header (RFC 8536 section 3.2). */
static uint64_t
tzif_block(const unsigned char *h, uint64_t tsize)
{
	uint64_t isut = be32(h + 20), isstd = be32(h + 24);
	uint64_t leap = be32(h + 28), times = be32(h + 32);
	uint64_t types = be32(h + 36), chars = be32(h + 40);

	return times * tsize + times + types * 6 + chars +
	    leap * (tsize + 4) + isstd + isut;
}

/* The POSIX TZ string that ends a version 2+ TZif file (RFC 8536 3.3). */
static int
tzif_footer(const char *buf, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)buf;
	const unsigned char *nl;
	uint64_t off;

	if (len < 44 || memcmp(p, "TZif", 4) != 0 || p[4] < '2')
		return -1;
	off = 44 + tzif_block(p, 4);
	if (off + 44 > len || memcmp(p + off, "TZif", 4) != 0)
		return -1;
	off += 44 + tzif_block(p + off, 8);
	if (off >= len || p[off] != '\n')
		return -1;
	off++;
	if ((nl = memchr(p + off, '\n', len - off)) == NULL ||
	    (size_t)(nl - (p + off)) >= outsz)
		return -1;
	memcpy(out, p + off, nl - (p + off));
	out[nl - (p + off)] = '\0';
	return 0;
}

/* A zone abbreviation: letters, or anything up to '>' after '<'. */
static int
posix_name(const char **pp, char *out, size_t outsz)
{
	const char *p = *pp, *s, *e;

	if (*p == '<') {
		s = ++p;
		while (*p != '\0' && *p != '>')
			p++;
		if (*p != '>')
			return -1;
		e = p++;
	} else {
		s = p;
		while (isalpha((unsigned char)*p))
			p++;
		e = p;
	}
	if (e - s < 3 || (size_t)(e - s) >= outsz)
		return -1;
	memcpy(out, s, e - s);
	out[e - s] = '\0';
	*pp = p;
	return 0;
}

/* A number of one to three digits between lo and hi. */
static int
posix_int(const char **pp, long lo, long hi, long *v)
{
	const char *p = *pp;
	int n;

	*v = 0;
	for (n = 0; n < 3 && isdigit((unsigned char)*p); n++, p++)
		*v = *v * 10 + (*p - '0');
	if (n == 0 || isdigit((unsigned char)*p) || *v < lo || *v > hi)
		return -1;
	*pp = p;
	return 0;
}

/* [+-]hh[:mm[:ss]] as seconds, with hours up to maxh. */
static int
posix_hms(const char **pp, long maxh, long *secs)
{
	const char *p = *pp;
	long sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (posix_int(&p, 0, maxh, &h) == -1)
		return -1;
	if (*p == ':' && (p++, posix_int(&p, 0, 59, &m) == -1))
		return -1;
	if (*p == ':' && (p++, posix_int(&p, 0, 59, &s) == -1))
		return -1;
	*secs = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

/* A rule "Mm.w.d[/time]"; the Julian-day forms no zone uses are refused. */
static int
posix_rule(const char **pp, struct tzrule *r)
{
	const char *p = *pp;
	long m, w, d;

	if (*p++ != 'M' || posix_int(&p, 1, 12, &m) == -1 || *p++ != '.' ||
	    posix_int(&p, 1, 5, &w) == -1 || *p++ != '.' ||
	    posix_int(&p, 0, 6, &d) == -1)
		return -1;
	r->month = (int)m;
	r->week = (int)w;
	r->wday = (int)d;
	r->secs = 2 * 3600;
	if (*p == '/' && (p++, posix_hms(&p, 167, &r->secs) == -1))
		return -1;
	*pp = p;
	return 0;
}

/* Parse "std offset [dst [offset],rule,rule]"; offsets count west. */
static int
posix_parse(const char *s, struct tzposix *tz)
{
	const char *p = s;
	long off;

	memset(tz, 0, sizeof *tz);
	if (posix_name(&p, tz->stdname, sizeof tz->stdname) == -1 ||
	    posix_hms(&p, 24, &off) == -1)
		return -1;
	tz->stdoff = -off;
	if (*p == '\0')
		return 0;
	if (posix_name(&p, tz->dstname, sizeof tz->dstname) == -1)
		return -1;
	tz->dstoff = tz->stdoff + 3600;
	if (*p != ',' && *p != '\0') {
		if (posix_hms(&p, 24, &off) == -1)
			return -1;
		tz->dstoff = -off;
	}
	if (*p != ',' || (p++, posix_rule(&p, &tz->on)) == -1 ||
	    *p != ',' || (p++, posix_rule(&p, &tz->off)) == -1 || *p != '\0')
		return -1;
	tz->has_dst = 1;
	return 0;
}

/* Read the zone's current rules from its TZif file into *tz. */
static int
zone_rules(const char *tzid, struct tzposix *tz, char **cause)
{
	char footer[128], *buf;
	size_t len;

	if ((buf = tzif_read(tzid, &len, cause)) == NULL)
		return -1;
	if (tzif_footer(buf, len, footer, sizeof footer) == -1) {
		*cause = xasprintf("%s: no TZ rule string in its TZif file",
		    tzid);
		free(buf);
		return -1;
	}
	free(buf);
	if (posix_parse(footer, tz) == -1) {
		*cause = xasprintf("%s: rules \"%s\" not understood", tzid,
		    footer);
		return -1;
	}
	return 0;
}

/* The RRULE for a rule. A time before or past midnight moves the change
 * to another weekday, and to the seven days that weekday may then fall on;
 * NULL when those leave the month. */
static char *
rule_rrule(const struct tzrule *r)
{
	struct buf b;
	long k = floor_div(r->secs, 86400);
	int first, i;

	if (k == 0)
		return xasprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", r->month,
		    r->week == 5 ? -1 : r->week, wdays[r->wday]);
	first = (int)(r->week == 5 ? -7 + k : 7 * (r->week - 1) + 1 + k);
	if (r->week == 5 ? first < -28 || first + 6 > -1 :
	    first < 1 || first + 6 > mdays[r->month - 1])
		return NULL;
	buf_init(&b);
	buf_addf(&b, "FREQ=YEARLY;BYMONTH=%d;BYDAY=%s;BYMONTHDAY=", r->month,
	    wdays[((r->wday + k) % 7 + 7) % 7]);
	for (i = 0; i < 7; i++)
		buf_addf(&b, "%s%d", i > 0 ? "," : "", first + i);
	return buf_steal(&b);
}

/* The first change a rule makes in a year, as local time before it. */
static struct icaltimetype
rule_onset(const struct tzrule *r, int y)
{
	struct icaltimetype tt = icaltime_null_time();
	long k = floor_div(r->secs, 86400), tod = r->secs - k * 86400;
	int d;

	d = 1 + (r->wday - weekday(y, r->month, 1) + 7) % 7 + 7 * (r->week - 1);
	while (d > month_days(y, r->month))
		d -= 7;
	tt.year = y;
	tt.month = r->month;
	tt.day = d + (int)k;
	tt.hour = (int)(tod / 3600);
	tt.minute = (int)(tod / 60 % 60);
	tt.second = (int)(tod % 60);
	return tt;
}

/* One STANDARD or DAYLIGHT block from 1970 on; no rule for a zone
 * without DST. NULL when the rule has no RRULE form. */
static icalcomponent *
observance(icalcomponent_kind kind, const char *name, long from, long to,
    const struct tzrule *r)
{
	icalcomponent *c;
	struct icaltimetype tt = icaltime_null_time();
	struct icalrecurrencetype rec;
	char *rrule = NULL;

	if (r != NULL && (rrule = rule_rrule(r)) == NULL)
		return NULL;
	if (r != NULL)
		tt = rule_onset(r, 1970);
	else {
		tt.year = 1970;
		tt.month = tt.day = 1;
	}
	c = icalcomponent_new(kind);
	icalcomponent_add_property(c, icalproperty_new_dtstart(tt));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetfrom((int)from));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetto((int)to));
	if (rrule != NULL) {
		rec = icalrecurrencetype_from_string(rrule);
		icalcomponent_add_property(c, icalproperty_new_rrule(rec));
	}
	icalcomponent_add_property(c, icalproperty_new_tzname(name));
	free(rrule);
	return c;
}

/* The short VTIMEZONE: DAYLIGHT and STANDARD, or STANDARD alone. */
static icalcomponent *
vtimezone_build(const char *tzid, const struct tzposix *tz)
{
	icalcomponent *vtz, *d = NULL, *s;

	if (!tz->has_dst)
		s = observance(ICAL_XSTANDARD_COMPONENT, tz->stdname,
		    tz->stdoff, tz->stdoff, NULL);
	else {
		d = observance(ICAL_XDAYLIGHT_COMPONENT, tz->dstname,
		    tz->stdoff, tz->dstoff, &tz->on);
		s = observance(ICAL_XSTANDARD_COMPONENT, tz->stdname,
		    tz->dstoff, tz->stdoff, &tz->off);
		if (d == NULL || s == NULL) {
			if (d != NULL)
				icalcomponent_free(d);
			if (s != NULL)
				icalcomponent_free(s);
			return NULL;
		}
	}
	vtz = icalcomponent_new_vtimezone();
	icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
	if (d != NULL)
		icalcomponent_add_component(vtz, d);
	icalcomponent_add_component(vtz, s);
	return vtz;
}

/* Compare the two rules with tzdata as libical reads it, hour by hour for
 * the coming years, so that a zone with one-off changes written out year
 * by year (Africa/Casablanca) is refused rather than shown wrong. */
/* Local time minus UTC at t, in seconds. */
static long
zone_offset(icaltimezone *z, time_t t)
{
	struct icaltimetype a = icaltime_from_timet_with_zone(t, 0, z);

	a.zone = NULL;
	a.is_date = 0;
	return (long)(icaltime_as_timet(a) - t);
}

/* Whether the two zones disagree on the local time at t (with *cause). */
static int
zone_differs(icaltimezone *ours, icaltimezone *sys, time_t t,
    const char *tzid, char **cause)
{
	struct icaltimetype a, b;

	a = icaltime_from_timet_with_zone(t, 0, ours);
	b = icaltime_from_timet_with_zone(t, 0, sys);
	a.zone = b.zone = NULL;
	if (icaltime_compare(a, b) == 0)
		return 0;
	a = icaltime_from_timet_with_zone(t, 0, NULL);
	*cause = xasprintf("%s: tzdata differs from the zone's yearly rules "
	    "at %sZ", tzid, icaltime_as_ical_string(a));
	return 1;
}

static int
zone_check(icaltimezone *ours, const char *tzid, char **cause)
{
	icaltimezone *sys;
	time_t day, t, end;

	if ((sys = icaltimezone_get_builtin_timezone(tzid)) == NULL) {
		*cause = xasprintf("%s: not a zone libical knows", tzid);
		return -1;
	}
	day = time(NULL);
	day -= day % 3600;
	/* Daily, and hourly through the days on which either zone changes
	 * its offset: every hour of the years, for a fraction of the work. */
	for (end = day + CHECK_YEARS * 366 * 86400L; day < end; day += 86400) {
		int change = zone_offset(ours, day) !=
		    zone_offset(ours, day + 86400) ||
		    zone_offset(sys, day) != zone_offset(sys, day + 86400);

		for (t = day; t < day + (change ? 86400 : 1); t += 3600)
			if (zone_differs(ours, sys, t, tzid, cause))
				return -1;
	}
	return 0;
}

static void
zone_free(void)
{
	if (ical_tz.zone != NULL)
		icaltimezone_free(ical_tz.zone, 1);
	if (ical_tz.vtimezone != NULL)
		icalcomponent_free(ical_tz.vtimezone);
	free(ical_tz.tzid);
	memset(&ical_tz, 0, sizeof ical_tz);
}

int
ical_init(const char *tzid, char **cause)
{
	struct tzposix tz;
	icalcomponent *vtz;
	icaltimezone *zone;

	icalerror_set_errors_are_fatal(0);
	if (!tzid_valid(tzid)) {
		*cause = xasprintf("\"%s\": not a time zone name",
		    tzid != NULL ? tzid : "");
		return -1;
	}
	if (zone_rules(tzid, &tz, cause) == -1)
		return -1;
	if ((vtz = vtimezone_build(tzid, &tz)) == NULL) {
		*cause = xasprintf("%s: rules not expressible as yearly RRULEs",
		    tzid);
		return -1;
	}
	zone = icaltimezone_new();
	icaltimezone_set_component(zone, icalcomponent_new_clone(vtz));
	if (zone_check(zone, tzid, cause) == -1) {
		icaltimezone_free(zone, 1);
		icalcomponent_free(vtz);
		return -1;
	}
	zone_free();
	ical_tz.tzid = xstrdup(tzid);
	ical_tz.vtimezone = vtz;
	ical_tz.zone = zone;
	return 0;
}

/* The mailto: URI for an address, or NULL when it is no address. */
static char *
mailto(const char *addr)
{
	const char *p;

	if (addr == NULL)
		return NULL;
	if (strncasecmp(addr, "mailto:", 7) == 0)
		addr += 7;
	if (strchr(addr, '@') == NULL || !utf8_valid(addr, strlen(addr)))
		return NULL;
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("\"<>", *p) != NULL)
			return NULL;
	return xasprintf("mailto:%s", addr);
}

/* A display name for CN=, cleaned as a mail header's is, and without
 * the ^ and " that libical 3.0.16 writes in a form other parsers do not
 * decode, nor the \ that it writes bare, which would take the next
 * parameter into the name; NULL when nothing is left. */
static char *
cn_clean(const char *s)
{
	char *t, *p, *q, *cn;

	if (s == NULL)
		return NULL;
	t = header_clean(s);
	for (p = q = t; *p != '\0'; p++)
		if (*p != '^' && *p != '"' && *p != '\\')
			*q++ = *p;
	*q = '\0';
	cn = text_trimmed(t, 0);
	free(t);
	return cn;
}

static int
event_valid(const struct ical_event *e)
{
	const char *p;

	if (ical_tz.zone == NULL || e->tzid == NULL ||
	    strcmp(e->tzid, ical_tz.tzid) != 0 || e->uid == NULL ||
	    *e->uid == '\0' || !utf8_valid(e->uid, strlen(e->uid)))
		return 0;
	for (p = e->uid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return e->start >= 0 && e->end > e->start && e->end < TIME_LAST &&
	    e->dtstamp >= 0 && e->dtstamp < TIME_LAST && e->sequence >= 0;
}

/* DTSTART or DTEND as wall-clock time with TZID=. */
static void
add_local(icalcomponent *ev, icalproperty_kind kind, time_t t)
{
	struct icaltimetype tt;
	icalproperty *p;

	tt = icaltime_from_timet_with_zone(t, 0, ical_tz.zone);
	tt.zone = NULL;		/* libical leaves UTC here, and writes a Z */
	if (kind == ICAL_DTSTART_PROPERTY)
		p = icalproperty_new_dtstart(tt);
	else
		p = icalproperty_new_dtend(tt);
	icalproperty_add_parameter(p, icalparameter_new_tzid(ical_tz.tzid));
	icalcomponent_add_property(ev, p);
}

static void
add_text(icalcomponent *ev, icalproperty *(*make)(const char *),
    const char *s, int multiline)
{
	char *t;

	if (s == NULL || (t = text_trimmed(s, multiline)) == NULL)
		return;
	icalcomponent_add_property(ev, make(t));
	free(t);
}

static void
add_cn(icalproperty *p, const char *name)
{
	char *cn;

	if ((cn = cn_clean(name)) != NULL) {
		icalproperty_add_parameter(p, icalparameter_new_cn(cn));
		free(cn);
	}
}

/* The ORGANIZER and the one ATTENDEE; a REQUEST carries what clients
 * need to show Accept/Decline, a CANCEL asks for nothing. */
static void
add_people(icalcomponent *ev, const struct ical_event *e, const char *org,
    const char *att)
{
	icalproperty *p;

	p = icalproperty_new_organizer(org);
	add_cn(p, e->organizer_cn);
	icalcomponent_add_property(ev, p);
	p = icalproperty_new_attendee(att);
	add_cn(p, e->attendee_cn);
	if (!e->cancel) {
		icalproperty_add_parameter(p,
		    icalparameter_new_rsvp(ICAL_RSVP_TRUE));
		icalproperty_add_parameter(p,
		    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
	}
	icalproperty_add_parameter(p,
	    icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
	icalcomponent_add_property(ev, p);
}

static icalcomponent *
event_build(const struct ical_event *e, const char *org, const char *att)
{
	icalcomponent *ev = icalcomponent_new_vevent();
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	icalcomponent_add_property(ev, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_from_timet_with_zone(e->dtstamp, 0, utc)));
	add_local(ev, ICAL_DTSTART_PROPERTY, e->start);
	add_local(ev, ICAL_DTEND_PROPERTY, e->end);
	icalcomponent_add_property(ev, icalproperty_new_sequence(e->sequence));
	add_text(ev, icalproperty_new_summary, e->summary, 0);
	add_text(ev, icalproperty_new_location, e->location, 0);
	add_text(ev, icalproperty_new_description, e->description, 1);
	add_people(ev, e, org, att);
	/* RFC 5546 3.2.5: STATUS:CANCELLED cancels the whole event, and
	 * must not be sent when only an attendee is removed. */
	if (!e->cancel || !e->uninvite)
		icalcomponent_add_property(ev, icalproperty_new_status(
		    e->cancel ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev,
	    icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	return ev;
}

char *
ical_build(const struct ical_event *e)
{
	icalcomponent *cal;
	char *org, *att, *s, *out = NULL;

	if (!event_valid(e))
		return NULL;
	org = mailto(e->organizer);
	att = mailto(e->attendee);
	if (org == NULL || att == NULL)
		goto done;
	cal = icalcomponent_new_vcalendar();
	icalcomponent_add_property(cal, icalproperty_new_prodid(PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_method(e->cancel ?
	    ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
	icalcomponent_add_component(cal,
	    icalcomponent_new_clone(ical_tz.vtimezone));
	icalcomponent_add_component(cal, event_build(e, org, att));
	if ((s = icalcomponent_as_ical_string_r(cal)) != NULL) {
		out = xstrdup(s);
		icalmemory_free_buffer(s);
	}
	icalcomponent_free(cal);
done:
	free(org);
	free(att);
	return out;
}

/* Raw text read the way libical's parser reads lines. */
struct scan {
	const char	*s;
	size_t		 n, i;
};

/* The next byte with folds undone and a CR before LF dropped; LF ends a
 * logical line, -1 the text. */
static int
scan_getc(struct scan *sc)
{
	char c;

	for (;;) {
		if (sc->i >= sc->n)
			return -1;
		c = sc->s[sc->i++];
		if (c == '\r' && sc->i < sc->n && sc->s[sc->i] == '\n')
			continue;
		if (c == '\n' && sc->i < sc->n &&
		    (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t')) {
			sc->i++;
			continue;
		}
		return (unsigned char)c;
	}
}

/* A logical line with folds undone; its name and the start of its value,
 * cut short. */
struct line {
	struct buf	 text;
	char		 name[16];	/* "" when longer */
	char		 value[16];
	int		 sep;		/* a ':' or ';' ends the name */
};

/* Keep a byte of a name or value; a name too long for the buffer is none. */
static void
line_keep(char *s, size_t *n, size_t sz, int c, int *toolong)
{
	if (*n + 1 < sz)
		s[(*n)++] = (char)c;
	else if (toolong != NULL)
		*toolong = 1;
}

/* Read the next logical line. Returns 0 at the end. */
static int
scan_line(struct scan *sc, struct line *l)
{
	size_t nn = 0, nv = 0;
	int c, part = 0, toolong = 0;

	if (sc->i >= sc->n)
		return 0;
	l->text.len = 0;
	while ((c = scan_getc(sc)) != -1 && c != '\n') {
		buf_addc(&l->text, c);
		if (part == 0 && (c == ';' || c == ':'))
			part = c == ':' ? 2 : 1;
		else if (part == 1 && c == ':')
			part = 2;
		else if (part == 0)
			line_keep(l->name, &nn, sizeof l->name, c, &toolong);
		else if (part == 2)
			line_keep(l->value, &nv, sizeof l->value, c, NULL);
	}
	l->name[toolong ? 0 : nn] = '\0';
	l->value[nv] = '\0';
	l->sep = part != 0;
	return 1;
}

static int
keep_line(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keep_names); i++)
		if (strcasecmp(name, keep_names[i]) == 0)
			return 1;
	return 0;
}

/*
 * Copy the lines a reply is read from, unfolded, refusing deep nesting,
 * components with too many lines and many VTIMEZONEs, and dropping an END
 * before its BEGIN. libical's parser is quadratic in a component's lines
 * when values fail to parse and in the VTIMEZONEs of a calendar, splits X-
 * properties at every comma and warns on stderr about a stray END: what it
 * is given is small, well nested and split into lines as here.
 */
static int
reply_lines(const char *s, size_t n, struct buf *out, char **cause)
{
	struct scan sc = { s, n, 0 };
	struct line l;
	size_t lines[DEPTH_MAX + 1];
	int depth = 0, zones = 0, rc = -1;

	buf_init(&l.text);
	while (scan_line(&sc, &l)) {
		if (!l.sep || !keep_line(l.name))
			continue;
		if (strcasecmp(l.name, "BEGIN") == 0) {
			if (++depth > DEPTH_MAX) {
				*cause = xstrdup("components nested too deep");
				goto done;
			}
			if (str_startcase(l.value, "VTIMEZONE") &&
			    ++zones > ZONES_MAX) {
				*cause = xstrdup("too many VTIMEZONEs");
				goto done;
			}
			lines[depth] = 0;
		} else if (strcasecmp(l.name, "END") == 0) {
			if (depth == 0)
				continue;
			depth--;
		} else if (depth == 0)
			continue;
		else if (++lines[depth] > LINES_MAX) {
			*cause = xstrdup("too many lines in one component");
			goto done;
		}
		buf_add(out, l.text.s, l.text.len);
		buf_adds(out, "\r\n");
	}
	rc = 0;
done:
	buf_free(&l.text);
	return rc;
}

/* A calendar address in lower case without mailto:, or NULL. */
static char *
addr_norm(const char *v)
{
	char *t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, "mailto:", 7) == 0)
		v += 7;
	if ((t = text_trimmed(v, 0)) != NULL)
		str_lower(t);
	return t;
}

static char *
attendee_addr(icalproperty *p)
{
	const char *v = icalproperty_get_attendee(p);

	return v != NULL ? addr_norm(v) : NULL;
}

static enum ical_partstat
attendee_partstat(icalproperty *p)
{
	icalparameter *param;
	icalparameter_partstat v;
	size_t i;

	param = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	if (param == NULL)
		return ICAL_PS_NONE;
	v = icalparameter_get_partstat(param);
	for (i = 0; i < nitems(partstats); i++)
		if (partstats[i].lib == v)
			return partstats[i].ps;
	return ICAL_PS_NONE;
}

/* The address of the ORGANIZER, as attendee_addr gives it, or NULL. */
static char *
organizer_addr(icalcomponent *ev)
{
	icalproperty *p;
	const char *v;

	p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	if (p == NULL || (v = icalproperty_get_organizer(p)) == NULL)
		return NULL;
	return addr_norm(v);
}

/* The ATTENDEE that answers: the first with a PARTSTAT other than
 * NEEDS-ACTION, else the first with an address; the organizer's own line,
 * which Apple Calendar adds, only when there is no other. */
static icalproperty *
event_attendee(icalcomponent *ev)
{
	icalproperty *p, *first = NULL, *self = NULL;
	enum ical_partstat ps;
	char *a, *org = organizer_addr(ev);
	int is_org;

	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL;
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		if ((a = attendee_addr(p)) == NULL)
			continue;
		is_org = org != NULL && strcmp(a, org) == 0;
		free(a);
		if (is_org) {
			if (self == NULL)
				self = p;
			continue;
		}
		if (first == NULL)
			first = p;
		ps = attendee_partstat(p);
		if (ps != ICAL_PS_NONE && ps != ICAL_PS_NEEDS_ACTION)
			break;
	}
	free(org);
	if (p != NULL)
		return p;
	return first != NULL ? first : self;
}

static int
event_usable(icalcomponent *ev)
{
	const char *uid = icalcomponent_get_uid(ev);

	return uid != NULL && *uid != '\0' && event_attendee(ev) != NULL;
}

/* The first usable VEVENT at the top or below it: a VCALENDAR, or several
 * under the XROOT libical makes of more than one. */
static icalcomponent *
find_event(icalcomponent *c, int depth)
{
	icalcomponent *k, *ev;

	if (icalcomponent_isa(c) == ICAL_VEVENT_COMPONENT && event_usable(c))
		return c;
	if (depth == 0)
		return NULL;
	for (k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	    k != NULL;
	    k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		if ((ev = find_event(k, depth - 1)) != NULL)
			return ev;
	return NULL;
}

/* Whether an observance is one libical may expand: a DTSTART in range
 * and at most one yearly RRULE with at most seven changes a year, so that
 * a hostile zone cannot make it list millions of changes. */
static int
observance_tame(icalcomponent *o)
{
	icalproperty *p;
	struct icalrecurrencetype r;
	struct icaltimetype tt;
	int n = 0;

	if ((p = icalcomponent_get_first_property(o, ICAL_DTSTART_PROPERTY))
	    != NULL) {
		tt = icalproperty_get_dtstart(p);
		if (tt.year < YEAR_FIRST || tt.year > YEAR_LAST)
			return 0;
	}
	for (p = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY);
	    p != NULL;
	    p = icalcomponent_get_next_property(o, ICAL_RRULE_PROPERTY)) {
		r = icalproperty_get_rrule(p);
		if (++n > 1 || r.freq != ICAL_YEARLY_RECURRENCE ||
		    r.interval < 1 ||
		    r.by_second[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX)
			return 0;
		if ((r.by_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX) &&
		    (r.by_month[0] == ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_month[1] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_day[1] != ICAL_RECURRENCE_ARRAY_MAX ||
		    r.by_month_day[7] != ICAL_RECURRENCE_ARRAY_MAX))
			return 0;
	}
	return 1;
}

/* The VTIMEZONE for tzid in the calendar, if it is safe to expand. */
static icalcomponent *
find_vtimezone(icalcomponent *cal, const char *tzid)
{
	icalcomponent *vtz, *o;
	icalproperty *p;
	int n = 0;

	if (cal == NULL)
		return NULL;
	for (vtz = icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT); vtz != NULL;
	    vtz = icalcomponent_get_next_component(cal,
	    ICAL_VTIMEZONE_COMPONENT)) {
		p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
		if (p != NULL && icalproperty_get_tzid(p) != NULL &&
		    strcmp(icalproperty_get_tzid(p), tzid) == 0)
			break;
	}
	if (vtz == NULL)
		return NULL;
	for (o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	    o != NULL;
	    o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT))
		if (++n > OBSERVANCES_MAX || !observance_tame(o))
			return NULL;
	return n > 0 ? vtz : NULL;
}

/* A local time in the zone the calendar defines under tzid, else in a
 * zone libical knows by that name; 0 when neither. libical looks a name it
 * does not list up as a file under the zone directory: only plain zone
 * names get that far. */
static time_t
zoned_time(icalcomponent *ev, struct icaltimetype tt, const char *tzid)
{
	icalcomponent *vtz, *copy;
	icaltimezone *z;
	time_t t;

	vtz = find_vtimezone(icalcomponent_get_parent(ev), tzid);
	if (vtz != NULL) {
		z = icaltimezone_new();
		copy = icalcomponent_new_clone(vtz);
		if (!icaltimezone_set_component(z, copy)) {
			icalcomponent_free(copy);
			icaltimezone_free(z, 1);
			return 0;
		}
		t = icaltime_as_timet_with_zone(tt, z);
		icaltimezone_free(z, 1);
		return t;
	}
	if (ical_tz.tzid != NULL && strcmp(tzid, ical_tz.tzid) == 0)
		return icaltime_as_timet_with_zone(tt, ical_tz.zone);
	if (tzid_valid(tzid) &&
	    (z = icaltimezone_get_builtin_timezone(tzid)) != NULL)
		return icaltime_as_timet_with_zone(tt, z);
	return 0;
}

/* DTSTART or DTEND of a COUNTER as a UTC instant: Z, TZID= or floating
 * (in the pact's zone); 0 for a date or a time it cannot place. */
static time_t
event_time(icalcomponent *ev, icalproperty_kind kind)
{
	icalproperty *p;
	icalparameter *tzp;
	icalvalue *v;
	struct icaltimetype tt;

	if ((p = icalcomponent_get_first_property(ev, kind)) == NULL ||
	    (v = icalproperty_get_value(p)) == NULL ||
	    (icalvalue_isa(v) != ICAL_DATETIME_VALUE &&
	    icalvalue_isa(v) != ICAL_DATETIMEDATE_VALUE))
		return 0;
	tt = icalvalue_get_datetime(v);
	if (tt.is_date || tt.year < 1970 || tt.year > YEAR_LAST)
		return 0;
	if (icaltime_is_utc(tt))
		return icaltime_as_timet_with_zone(tt,
		    icaltimezone_get_utc_timezone());
	tt.zone = NULL;
	tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (tzp == NULL || icalparameter_get_tzid(tzp) == NULL)
		return ical_tz.zone != NULL ?
		    icaltime_as_timet_with_zone(tt, ical_tz.zone) : 0;
	return zoned_time(ev, tt, icalparameter_get_tzid(tzp));
}

/* The proposed times of a COUNTER; an end may come as a DURATION. */
static void
counter_times(icalcomponent *ev, struct ical_reply *out)
{
	icalproperty *p;
	struct icaldurationtype d;

	out->counter_start = event_time(ev, ICAL_DTSTART_PROPERTY);
	out->counter_end = event_time(ev, ICAL_DTEND_PROPERTY);
	if (out->counter_end != 0 || out->counter_start == 0 ||
	    (p = icalcomponent_get_first_property(ev,
	    ICAL_DURATION_PROPERTY)) == NULL)
		return;
	d = icalproperty_get_duration(p);
	if (!icaldurationtype_is_bad_duration(d) && !d.is_neg)
		out->counter_end = out->counter_start +
		    icaldurationtype_as_int(d);
}

/* The calendar's METHOD in upper case, or NULL. */
static char *
prop_method(icalcomponent *cal)
{
	icalproperty *p;
	char *v, *m, *s;

	p = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY);
	if (p == NULL || (v = icalproperty_get_value_as_string_r(p)) == NULL)
		return NULL;
	m = text_trimmed(v, 0);
	icalmemory_free_buffer(v);
	for (s = m; s != NULL && *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
	return m;
}

static void
reply_fill(icalcomponent *ev, struct ical_reply *out)
{
	icalcomponent *cal = icalcomponent_get_parent(ev);
	icalproperty *p, *att = event_attendee(ev);

	out->uid = text_clean(icalcomponent_get_uid(ev), 0);
	out->attendee = attendee_addr(att);
	out->partstat = attendee_partstat(att);
	if (cal != NULL)
		out->method = prop_method(cal);
	p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
	if (p != NULL && icalproperty_get_sequence(p) >= 0)
		out->sequence = icalproperty_get_sequence(p);
	if ((p = icalcomponent_get_first_property(ev, ICAL_COMMENT_PROPERTY))
	    != NULL)
		out->comment = text_trimmed(icalproperty_get_comment(p), 1);
	if (out->method != NULL && strcmp(out->method, "COUNTER") == 0) {
		out->is_counter = 1;
		counter_times(ev, out);
	}
}

int
ical_read_reply(const char *text, size_t len, struct ical_reply *out,
    char **cause)
{
	struct buf b;
	icalcomponent *root = NULL, *ev;
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->sequence = -1;
	if (text == NULL)
		len = 0;
	if (len > ICAL_INPUT_MAX) {
		*cause = xasprintf("calendar of %zu bytes, more than %d", len,
		    ICAL_INPUT_MAX);
		return -1;
	}
	icalerror_set_errors_are_fatal(0);
	buf_init(&b);
	if (len > 0 && reply_lines(text, strnlen(text, len), &b, cause) == -1)
		goto done;
	if (b.s != NULL)
		root = icalparser_parse_string(b.s);
	if (root == NULL || (ev = find_event(root, 2)) == NULL) {
		*cause = xstrdup("no VEVENT with a UID and an attendee");
		goto done;
	}
	reply_fill(ev, out);
	rc = 0;
done:
	if (root != NULL)
		icalcomponent_free(root);
	buf_free(&b);
	return rc;
}

void
ical_reply_free(struct ical_reply *r)
{
	free(r->method);
	free(r->uid);
	free(r->attendee);
	free(r->comment);
	memset(r, 0, sizeof *r);
	r->sequence = -1;
}

const char *
ical_partstat_name(enum ical_partstat ps)
{
	size_t i;

	for (i = 0; i < nitems(partstats); i++)
		if (partstats[i].ps == ps)
			return partstats[i].name;
	return "NONE";
}
