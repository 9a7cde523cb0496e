/* Crash points for the tests: PACTD_FAULT=NAME kills pactd with SIGKILL
 * when it reaches the point of that name, to show that nothing is lost
 * or done twice after a restart. Unset in production. */
#ifndef PACTD_FAULT_H
#define PACTD_FAULT_H

void fault_point(const char *name);

#endif
