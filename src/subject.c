/* The subject line: reply prefixes, bracket tags and the keyword
 * (SPEC section 2), and the letter folding that lets ÆRLIG match AERLIG. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kind.h"
#include "subject.h"

#define TAG_MAX		200	/* longest bracket tag taken as a tag */

/* Latin-1 letters (after 0xc3) that are spelt with two ASCII letters. */
static const struct {
	unsigned char	 c;
	const char	*as;
} fold_pairs[] = {
	{ 0x86, "AE" }, { 0xa6, "AE" },		/* Æ æ */
	{ 0x98, "OE" }, { 0xb8, "OE" },		/* Ø ø */
	{ 0x85, "AA" }, { 0xa5, "AA" },		/* Å å */
	{ 0x84, "AE" }, { 0xa4, "AE" },		/* Ä ä */
	{ 0x96, "OE" }, { 0xb6, "OE" },		/* Ö ö */
};

/* Reply and forward prefixes; a colon follows, maybe after blanks. */
static const char *prefixes[] = {
	"Re", "SV", "AW", "Fwd", "Fw", "VS", "WG", "Vedr.", "Vedr"
};

/* A keyword found at the start of a subject. */
struct kwmatch {
	const struct kind	*kind;
	const char		*lang;	/* NULL: the same word in both */
	const char		*word;
	size_t			 n;	/* the bytes it takes */
};

/* Subjects of automatic replies (SPEC section 6), and a few more. */
static const char *autoreplies[] = {
	"Autosvar", "Automatisk svar", "Automatic reply", "Out of Office",
	"Fraværende", "Autoreply", "Auto-reply", "Automatische Antwort"
};

/* Fold the character at s; out gets one or two bytes. Returns the bytes
 * of s used. Bytes that are no letter stand for themselves. */
static size_t
fold_char(const char *s, char out[2], size_t *outn)
{
	unsigned char c = (unsigned char)s[0], d;
	size_t i;

	*outn = 1;
	if (c < 0x80) {
		out[0] = (char)toupper(c);
		return 1;
	}
	out[0] = (char)c;
	d = (unsigned char)s[1];
	if (c != 0xc3 || (d & 0xc0) != 0x80)
		return 1;
	for (i = 0; i < nitems(fold_pairs); i++) {
		if (fold_pairs[i].c == d) {
			memcpy(out, fold_pairs[i].as, 2);
			*outn = 2;
			return 2;
		}
	}
	if (d >= 0xa0 && d <= 0xbe && d != 0xb7)
		d -= 0x20;
	out[1] = (char)d;
	*outn = 2;
	return 2;
}

size_t
fold_word(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i = 0, o = 0, k, cn;
	char c[2];

	while (i < n && s[i] != '\0') {
		k = fold_char(s + i, c, &cn);
		if (i + k > n)
			k = n - i;
		if (o + cn >= outsz)
			return (size_t)-1;
		memcpy(out + o, c, cn);
		o += cn;
		i += k;
	}
	if (o >= outsz)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}

/* Compare as both sides fold, so that most words fail at the first
 * letter; a character must match whole (Æ is AE, not A then E apart). */
size_t
fold_prefix(const char *s, const char *word)
{
	char a[2], b[2];
	size_t an = 0, ai = 0, bn = 0, bi = 0, si = 0, wi = 0;

	if (*word == '\0')
		return 0;
	for (;;) {
		if (bi == bn) {
			if (word[wi] == '\0')
				break;
			if (word[wi] == ' ') {
				if (ai < an || (s[si] != ' ' && s[si] != '\t'))
					return 0;
				while (s[si] == ' ' || s[si] == '\t')
					si++;
				while (word[wi] == ' ')
					wi++;
				continue;
			}
			wi += fold_char(word + wi, b, &bn);
			bi = 0;
		}
		if (ai == an) {
			if (s[si] == '\0')
				return 0;
			si += fold_char(s + si, a, &an);
			ai = 0;
		}
		if (a[ai++] != b[bi++])
			return 0;
	}
	return ai == an ? si : 0;
}

/* Whether a word may end before c: the end, white space or punctuation. */
static int
word_ends(char c)
{
	unsigned char u = (unsigned char)c;

	return u == '\0' || (u < 0x80 && (isspace(u) || ispunct(u)));
}

/* The length of a PAGT-YYYY-NNNN reference at s, or 0. */
static size_t
ref_len(const char *s)
{
	size_t i, n;

	if (strncasecmp(s, "PAGT-", 5) != 0)
		return 0;
	for (i = 5; i < 9; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[9] != '-')
		return 0;
	for (n = 0; isdigit((unsigned char)s[10 + n]); n++)
		if (n == 6)
			return 0;
	if (n < 4 || isalnum((unsigned char)s[10 + n]))
		return 0;
	return 10 + n;
}

/* A reference written the way pactd writes them, "PAGT-" upper case. */
static char *
ref_dup(const char *s, size_t n)
{
	char *r = xstrndup(s, n);

	memcpy(r, "PAGT", 4);
	return r;
}

int
subject_is_ref(const char *s)
{
	size_t n = ref_len(s);

	return n > 0 && s[n] == '\0';
}

/* Skip one reply prefix ("Re:", "SV :", "Re[2]:"); NULL when none. */
static const char *
skip_prefix(const char *p)
{
	const char *q;
	size_t i;

	for (i = 0; i < nitems(prefixes); i++) {
		if (!str_startcase(p, prefixes[i]))
			continue;
		q = p + strlen(prefixes[i]);
		if (*q == '[' || *q == '(') {
			const char *d = q + 1;

			while (isdigit((unsigned char)*d) && d - q < 6)
				d++;
			if (d > q + 1 && (*d == ']' || *d == ')'))
				q = d + 1;
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == ':')
			return q + 1;
	}
	return NULL;
}

/* Take one bracket tag into tags; NULL when p holds none. */
static const char *
skip_tag(const char *p, struct strv *tags)
{
	const char *e;
	char *t, *v;

	if (*p != '[')
		return NULL;
	for (e = p + 1; *e != ']'; e++)
		if (*e == '\0' || *e == '[' || *e == '\n' || e - p > TAG_MAX)
			return NULL;
	t = xstrndup(p + 1, (size_t)(e - p - 1));
	v = str_trim(t);
	if (subject_is_ref(v))
		memcpy(v, "PAGT", 4);
	if (*v != '\0')
		strv_add(tags, v);
	free(t);
	return e + 1;
}

/* Skip prefixes, tags and the blanks between them, in any order. */
static const char *
skip_leading(const char *p, struct strv *tags)
{
	const char *q;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if ((q = skip_prefix(p)) == NULL && (q = skip_tag(p, tags)) == NULL)
			return p;
		p = q;
	}
}

/* The reference written after MØDE ÆNDRING / MØDE AFLYS, else NULL. */
static char *
scan_ref(const char *p)
{
	size_t n;

	while (*p != '\0' && strchr(" \t:-[#", *p) != NULL)
		p++;
	if ((n = ref_len(p)) == 0)
		return NULL;
	return ref_dup(p, n);
}

/* Whether word is at the start of s and longer than what m holds. */
static int
keyword_longer(const char *s, const char *word, struct kwmatch *m)
{
	size_t n;

	if (word == NULL || (n = fold_prefix(s, word)) <= m->n ||
	    !word_ends(s[n]))
		return 0;
	m->word = word;
	m->n = n;
	return 1;
}

/* The longest keyword of any kind at the start of s, so that MØDE
 * ÆNDRING is not taken for MØDE; 0 when there is none. A word that is
 * the same in both languages does not tell which the sender writes. */
static int
keyword_at(const char *s, struct kwmatch *m)
{
	const struct kind *const *k;
	size_t nk;

	memset(m, 0, sizeof *m);
	k = kind_list(&nk);
	for (size_t i = 0; i < nk; i++) {
		if (keyword_longer(s, k[i]->keyword.da, m)) {
			m->kind = k[i];
			m->lang = "da";
		}
		if (keyword_longer(s, k[i]->keyword.en, m)) {
			m->kind = k[i];
			m->lang = "en";
		}
	}
	if (m->kind != NULL && m->kind->keyword.da != NULL &&
	    m->kind->keyword.en != NULL &&
	    strcmp(m->kind->keyword.da, m->kind->keyword.en) == 0)
		m->lang = NULL;
	return m->kind != NULL;
}

/* Find the keyword at the start of rest. */
static void
match_keyword(struct subject *sj)
{
	struct kwmatch m;
	const char *ref;

	if (!keyword_at(sj->rest, &m))
		return;
	sj->kind = m.kind;
	sj->lang = m.lang;
	if (m.kind->keyword_ref) {
		sj->ref = scan_ref(sj->rest + m.n);
		if (sj->ref == NULL && (ref = subject_ref_tag(sj)) != NULL)
			sj->ref = xstrdup(ref);
	}
}

void
subject_parse(const char *s, struct subject *sj)
{
	const char *p, *e;

	memset(sj, 0, sizeof *sj);
	if (s == NULL)
		s = "";
	p = skip_leading(s, &sj->tags);
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	sj->rest = xstrndup(p, (size_t)(e - p));
	match_keyword(sj);
}

void
subject_free(struct subject *sj)
{
	free(sj->ref);
	free(sj->rest);
	strv_free(&sj->tags);
	memset(sj, 0, sizeof *sj);
}

int
subject_is_autoreply(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	while (isspace((unsigned char)*s))
		s++;
	for (i = 0; i < nitems(autoreplies); i++)
		if (fold_prefix(s, autoreplies[i]) > 0)
			return 1;
	return 0;
}

const char *
subject_ref_tag(const struct subject *sj)
{
	size_t i;

	for (i = 0; i < sj->tags.n; i++)
		if (subject_is_ref(sj->tags.v[i]))
			return sj->tags.v[i];
	return NULL;
}

const char *
keyword_name(const struct kind *k, const char *lang)
{
	const char *w;

	if (k == NULL)
		return "";
	w = lang != NULL && strcmp(lang, "en") == 0 ? k->keyword.en :
	    k->keyword.da;
	return w != NULL ? w : "";
}

/* A keyword as a sentence writes it: "MØDE ÆNDRING" as "Møde ændring". */
static void
keyword_normal(struct buf *b, const char *word)
{
	const unsigned char *p = (const unsigned char *)word;

	buf_add(b, word, *p == 0xc3 ? 2 : 1);
	for (p += *p == 0xc3 ? 2 : 1; *p != '\0'; p++) {
		if (p[-1] == 0xc3 && *p >= 0x80 && *p <= 0x9e && *p != 0x97)
			buf_addc(b, *p + 0x20);
		else
			buf_addc(b, tolower(*p));
	}
}

char *
subject_normal_case(const char *s)
{
	struct strv tags = { 0 };
	struct kwmatch m;
	const char *p;
	struct buf b;

	if (s == NULL)
		return xstrdup("");
	p = skip_leading(s, &tags);
	strv_free(&tags);
	buf_init(&b);
	buf_add(&b, s, (size_t)(p - s));
	if (keyword_at(p, &m)) {
		keyword_normal(&b, m.word);
		p += m.n;
	}
	buf_adds(&b, p);
	return buf_steal(&b);
}
