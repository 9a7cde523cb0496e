/* A small JSON writer for pactctl --json and pact.json. */
#ifndef PACTD_JSON_H
#define PACTD_JSON_H

#include "util.h"

struct json {
	struct buf b;
	int depth;
	int first[64];	/* no comma needed yet at this depth */
	int pretty;
};

void json_init(struct json *, int pretty);
void json_obj_begin(struct json *, const char *key);
void json_obj_end(struct json *);
void json_arr_begin(struct json *, const char *key);
void json_arr_end(struct json *);
void json_str(struct json *, const char *key, const char *value);
void json_int(struct json *, const char *key, long long value);
void json_bool(struct json *, const char *key, int value);
void json_null(struct json *, const char *key);
/* Returns the document and resets the writer. */
char *json_finish(struct json *);
void json_escape(struct buf *, const char *);

#endif
