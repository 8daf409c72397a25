/* proclog: a tiny preload library the real-program tests load after libheapprof.so to
 * learn which processes a workload started and how each one ended, so that the set of
 * profiles can be checked process by process.
 *
 * It appends one line per event to the file named by PROCLOG (read once, at start-up):
 *   start PID NAME   a dynamically linked image started (after exec, or the first one)
 *   fork PID NAME    a fork() child (not vfork/posix_spawn: those exec or _exit at once)
 *   exit PID NAME    the process is leaving through exit() or a return from main
 *   _exit PID NAME   the process called _exit() or _Exit() (through the PLT: glibc's own
 *                    internal calls, e.g. in a failed posix_spawn child, are not seen)
 * NAME is program_invocation_short_name at the time, which is what heapprof's %e uses.
 * heapprof writes a profile exactly for the processes whose last line is "exit". A
 * process whose last line is "start" or "fork" ended on a signal (or exec'd an image
 * that does not load the preload), which the tests treat as suspect.
 *
 * Everything here is async-signal-safe and allocation-free: no stdio, no malloc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_path[4096];

static size_t put(char *buffer, size_t used, size_t size, const char *text)
{
	size_t length = strlen(text);
	if (used + length >= size)
		length = size - used - 1;
	memcpy(buffer + used, text, length);
	return used + length;
}

static size_t put_number(char *buffer, size_t used, size_t size, long value)
{
	char digits[24];
	size_t count = 0;
	unsigned long magnitude = value < 0 ? 0 : (unsigned long)value;
	do {
		digits[count++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	char text[24];
	for (size_t i = 0; i < count; i++)
		text[i] = digits[count - 1 - i];
	text[count] = '\0';
	return put(buffer, used, size, text);
}

static void record(const char *event)
{
	if (!log_path[0])
		return;
	int saved_errno = errno;
	char line[512];
	size_t used = 0;
	used = put(line, used, sizeof line, event);
	used = put(line, used, sizeof line, " ");
	used = put_number(line, used, sizeof line, (long)getpid());
	used = put(line, used, sizeof line, " ");
	/* A name with a newline would break the format; none of the tested programs has one. */
	used = put(line, used, sizeof line - 1, program_invocation_short_name);
	line[used++] = '\n';
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		/* O_APPEND writes below PIPE_BUF land whole, so concurrent processes don't mix. */
		ssize_t written = write(fd, line, used);
		(void)written;
		close(fd);
	}
	errno = saved_errno;
}

static void forked_child(void)
{
	record("fork");
}

__attribute__((constructor)) static void proclog_start(void)
{
	const char *path = getenv("PROCLOG");
	if (!path || strlen(path) >= sizeof log_path)
		return;
	memcpy(log_path, path, strlen(path) + 1);
	record("start");
	pthread_atfork(NULL, NULL, forked_child);
}

__attribute__((destructor)) static void proclog_exit(void)
{
	record("exit");
}

/* Interposed so that a deliberate _exit() is told apart from death by a signal. */
void _exit(int status)
{
	record("_exit");
	for (;;)
		syscall(SYS_exit_group, status);
}

void _Exit(int status)
{
	_exit(status);
}
