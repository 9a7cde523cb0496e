/*
 * libFuzzer target: a raw message through the MIME-to-text path, as pactd
 * reads each mail from IMAP (headers, multipart walk, transfer encodings,
 * charsets, HTML to text). Besides memory errors it checks what mime.h
 * promises: the subject, the display name and the text are UTF-8.
 */
#include "fuzz.h"
#include "mime.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail *m;

	m = mail_parse((const char *)data, size, 1 << 20);
	if (m == NULL)
		return 0;
	FUZZ_CHECK(fuzz_utf8(m->subject), "subject is UTF-8");
	FUZZ_CHECK(fuzz_utf8(m->text), "text is UTF-8");
	FUZZ_CHECK(m->from_name == NULL || fuzz_utf8(m->from_name),
	    "display name is UTF-8");
	FUZZ_CHECK(m->problem == NULL || *m->text == '\0',
	    "no text when there is a problem");
	for (size_t i = 0; i < m->nparts; i++)
		FUZZ_CHECK(m->parts[i].data[m->parts[i].len] == '\0',
		    "part data is NUL-terminated");
	mail_free(m);
	return 0;
}
