/* Crash points for the tests: PACTD_FAULT=NAME kills pactd with SIGKILL
 * when it reaches the point of that name, to show that nothing is lost
 * or done twice after a restart. Unset in production. */
#ifndef PACTD_FAULT_H
#define PACTD_FAULT_H

void fault_point(const char *name);

/* Read faults for the tests: PACTD_FAULT_READ=TEXT makes the first read
 * (store_row) whose SQL contains TEXT fail, once in a process, to show
 * that a failed read aborts the pass rather than becoming an answer.
 * 1 when the statement with this SQL is to fail. */
int fault_read(const char *sql);

#endif
