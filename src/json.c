/* A JSON writer: keys are given for object members, NULL in arrays. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "util.h"

void
json_init(struct json *j, int pretty)
{
	buf_init(&j->b);
	j->depth = 0;
	j->first[0] = 1;
	j->pretty = pretty;
}

void
json_escape(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		default:
			if (*p < 0x20)
				buf_addf(b, "\\u%04x", *p);
			else
				buf_addc(b, *p);
		}
	}
	buf_addc(b, '"');
}

/* The separator and key before a value. */
static void
json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		buf_addc(&j->b, ',');
	j->first[j->depth] = 0;
	if (j->pretty && j->depth > 0) {
		buf_addc(&j->b, '\n');
		for (int i = 0; i < j->depth; i++)
			buf_adds(&j->b, "  ");
	}
	if (key != NULL) {
		json_escape(&j->b, key);
		buf_adds(&j->b, j->pretty ? ": " : ":");
	}
}

static void
json_open(struct json *j, const char *key, int c)
{
	json_key(j, key);
	buf_addc(&j->b, c);
	if (j->depth < 63)
		j->depth++;
	j->first[j->depth] = 1;
}

static void
json_close(struct json *j, int c)
{
	int empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (j->pretty && !empty) {
		buf_addc(&j->b, '\n');
		for (int i = 0; i < j->depth; i++)
			buf_adds(&j->b, "  ");
	}
	buf_addc(&j->b, c);
}

void
json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void
json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_arr_end(struct json *j)
{
	json_close(j, ']');
}

void
json_str(struct json *j, const char *key, const char *value)
{
	if (value == NULL) {
		json_null(j, key);
		return;
	}
	json_key(j, key);
	json_escape(&j->b, value);
}

void
json_int(struct json *j, const char *key, long long value)
{
	json_key(j, key);
	buf_addf(&j->b, "%lld", value);
}

void
json_bool(struct json *j, const char *key, int value)
{
	json_key(j, key);
	buf_adds(&j->b, value ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	buf_adds(&j->b, "null");
}

char *
json_finish(struct json *j)
{
	buf_addc(&j->b, '\n');
	return buf_steal(&j->b);
}
