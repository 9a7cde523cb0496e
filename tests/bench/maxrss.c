/*
 * maxrss FILE PROGRAM [ARG...]: run a program, then write its peak
 * resident set size in KiB and its CPU seconds into FILE. A small C parent
 * is needed: the kernel carries the parent's own peak into a child's
 * ru_maxrss across fork and exec, and a Python parent's is larger than
 * pactd's.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: maxrss FILE PROGRAM [ARG...]\n");
		return 64;
	}
	if ((pid = fork()) == -1) {
		perror("fork");
		return 71;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1) {
		perror("wait4");
		return 71;
	}
	if ((out = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 73;
	}
	fprintf(out, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss,
	    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	fclose(out);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
