/*
 * What a reply says is wrong with a submission, in the reply's language:
 * the sentences live in templates/LANG/problems.txt, one section a key,
 * with {{name}} values, so that they are translated and changed where
 * the rest of the replies are.
 */
#ifndef PACTD_PROBLEM_H
#define PACTD_PROBLEM_H

struct answer;
struct submission;

/* The sentence under key with these values (pairs of name and value,
 * ending in NULL), on one line; owned. A key the file lacks is logged and
 * stands for itself. */
char *problem_text(const struct submission *, const char *key, ...)
    __attribute__((sentinel));

/* The same, as one of the answer's problems: the submission is refused. */
void problem_add(const struct submission *, struct answer *,
    const char *key, ...) __attribute__((sentinel));

#endif
