/* Checks of field values. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "validate.h"

int
cvr_valid(const char *s, char out[9])
{
	static const int weights[8] = { 2, 7, 6, 5, 4, 3, 2, 1 };
	int n = 0, sum = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '-')
			continue;
		if (!isdigit((unsigned char)*s) || n == 8)
			return 0;
		out[n++] = *s;
	}
	out[n] = '\0';
	if (n != 8 || out[0] == '0')
		return 0;
	for (int i = 0; i < 8; i++)
		sum += (out[i] - '0') * weights[i];
	return sum % 11 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Read an unsigned number of 1..maxdigits digits. */
static const char *
num(const char *s, int maxdigits, int *out)
{
	int n = 0, v = 0;

	while (isdigit((unsigned char)*s) && n < maxdigits) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || isdigit((unsigned char)*s))
		return NULL;
	*out = v;
	return s;
}

/* The date at the start of s; returns the rest, or NULL. */
static const char *
date_prefix(const char *s, int *y, int *m, int *d)
{
	const char *p;
	int a, b, c;

	while (*s == ' ')
		s++;
	if ((p = num(s, 4, &a)) != NULL && p - s == 4 && *p == '-' &&
	    (p = num(p + 1, 2, &b)) != NULL && *p == '-' &&
	    (p = num(p + 1, 2, &c)) != NULL) {
		*y = a;
		*m = b;
		*d = c;
	} else if ((p = num(s, 2, &a)) != NULL && strchr("./-", *p) &&
	    (p = num(p + 1, 2, &b)) != NULL && strchr("./-", *p) &&
	    (p = num(p + 1, 4, &c)) != NULL) {
		*d = a;
		*m = b;
		*y = c;
	} else
		return NULL;
	if (*y < 1900 || *y > 2200 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > days_in_month(*y, *m))
		return NULL;
	return p;
}

int
date_parse(const char *s, int *y, int *m, int *d)
{
	const char *p = date_prefix(s, y, m, d);

	if (p == NULL)
		return -1;
	while (*p == ' ' || *p == '.')
		p++;
	return *p == '\0' ? 0 : -1;
}

time_t
date_local(int y, int m, int d, int end_of_day)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	if (end_of_day) {
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
	}
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int
datetime_parse_local(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	int y, mo, d, h, mi;

	if ((p = date_prefix(s, &y, &mo, &d)) == NULL)
		return -1;
	while (*p == ' ' || *p == ',')
		p++;
	if (strncasecmp(p, "kl.", 3) == 0)
		p += 3;
	else if (strncasecmp(p, "kl", 2) == 0 || strncasecmp(p, "at", 2) == 0)
		p += 2;
	while (*p == ' ')
		p++;
	if ((p = num(p, 2, &h)) == NULL || (*p != ':' && *p != '.') ||
	    (p = num(p + 1, 2, &mi)) == NULL || h > 23 || mi > 59)
		return -1;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

int
url_valid(const char *s)
{
	const char *host;

	if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/' || strlen(s) > 2000)
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '"')
			return 0;
	return 1;
}

int
purposes_parse(const char *s)
{
	int mask = 0;

	while (*s != '\0') {
		if (*s >= '1' && *s <= '3' && !isdigit((unsigned char)s[1])) {
			mask |= 1 << (*s - '1');
			s++;
		} else if (strchr(" ,;/&+.\t\n\r-*", *s) != NULL)
			s++;	/* separators, also list bullets */
		else if (strncmp(s, "\xe2\x80\xa2", 3) == 0)
			s += 3;	/* a bullet • */
		else if (strncasecmp(s, "og", 2) == 0 ||
		    strncasecmp(s, "and", 3) == 0)
			s += (tolower((unsigned char)*s) == 'o') ? 2 : 3;
		else
			return -1;
	}
	return mask == 0 ? -1 : mask;
}

void
purposes_format(int mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 3; i++)
		if (mask & (1 << i))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%d",
			    n ? "," : "", i + 1);
}

time_t
deadline_after(time_t t, int days)
{
	struct tm tm;

	t += (time_t)days * 86400;
	localtime_r(&t, &tm);
	return date_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 1);
}
