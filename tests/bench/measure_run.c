/* Runs one command and writes its wall time, peak RSS and CPU time to a file.

   usage: measure_run RESULT_FILE [NAME=VALUE ...] PROGRAM [ARGUMENT ...]

   Why not wait4 from the Python runner directly: a child's ru_maxrss starts from the
   high-water mark of the process it was forked from (exec keeps it), so every program
   started by a 14 MB Python would read at least 14 MB. Forked from this small program
   instead, the floor is about 1 MB. The NAME=VALUE assignments, LD_PRELOAD among them,
   apply to the program only, not to this launcher.

   RESULT_FILE gets one line: wall_seconds peak_rss_kib user_seconds system_seconds
   exit_status (negative: killed by that signal). Exit status 0 when the program could
   be run and measured, whatever its own status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval time)
{
	return (double)time.tv_sec + (double)time.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: measure_run RESULT_FILE [NAME=VALUE ...] PROGRAM [ARGUMENT ...]\n", stderr);
		return 2;
	}
	int first = 2;
	while (first < argc && strchr(argv[first], '=') && argv[first][0] != '/')
		first++;
	if (first == argc) {
		fputs("measure_run: no program given\n", stderr);
		return 2;
	}
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t child = fork();
	if (child < 0) {
		perror("measure_run: fork");
		return 2;
	}
	if (child == 0) {
		for (int i = 2; i < first; i++)
			putenv(argv[i]);
		execvp(argv[first], argv + first);
		perror(argv[first]);
		_exit(127);
	}
	int status;
	struct rusage usage;
	if (wait4(child, &status, 0, &usage) < 0) {
		perror("measure_run: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	FILE *result = fopen(argv[1], "w");
	if (!result) {
		perror(argv[1]);
		return 2;
	}
	double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	fprintf(result, "%.6f %ld %.6f %.6f %d\n", wall, usage.ru_maxrss, seconds(usage.ru_utime),
		seconds(usage.ru_stime), exit_status);
	return fclose(result) == 0 ? 0 : 2;
}
