/* proclog: a tiny preload library the real-program tests load after libheapprof.so to
 * learn which processes a workload started and how each one ended, so that the set of
 * profiles can be checked process by process.
 *
 * It appends one line per event to the file named by PROCLOG (read once, at start-up):
 *   start PID NAME   a dynamically linked image started (after exec, or the first one)
 *   fork PID NAME    a fork() child (not vfork/posix_spawn: those exec or _exit at once)
 *   allocated PID BYTES  bytes the process requested from malloc and friends, heapprof's
 *                    exact count (heapprof_read_stats), logged at exit() before
 *                    heapprof's exit dump (only when heapprof is preloaded too)
 *   exit PID NAME    the process is leaving through exit() or a return from main
 *   _exit PID NAME   the process called _exit() or _Exit() (through the PLT: glibc's own
 *                    internal calls, e.g. in a failed posix_spawn child, are not seen)
 * NAME is program_invocation_short_name at the time, which is what heapprof's %e uses.
 * heapprof writes a profile exactly for the processes whose last line is "exit". A
 * process whose last line is "start" or "fork" ended on a signal (or exec'd an image
 * that does not load the preload), which the tests treat as suspect.
 *
 * Recording is async-signal-safe and allocation-free: no stdio, no malloc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <heapprof.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_path[4096];

/* heapprof's, through the global scope, when it is preloaded too. */
extern int heapprof_read_stats(struct heapprof_stats *stats) __attribute__((weak));

/* Appends text to buffer[used..size), keeping the last byte free; returns the new length. */
static size_t put(char *buffer, size_t used, size_t size, const char *text)
{
	size_t room = used + 1 < size ? size - used - 1 : 0;
	size_t length = strlen(text);
	if (length > room)
		length = room;
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

/* Appends "EVENT PID DETAIL" to the log. */
static void record_line(const char *event, const char *detail)
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
	used = put(line, used, sizeof line - 1, detail);
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

static void record(const char *event)
{
	record_line(event, program_invocation_short_name);
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

static void record_allocated(void)
{
	struct heapprof_stats stats;
	if (heapprof_read_stats(&stats) != 0)
		return;
	char bytes[24];
	bytes[put_number(bytes, 0, sizeof bytes, (long)stats.total_alloc_bytes)] = '\0';
	record_line("allocated", bytes);
}

static int (*program_main)(int, char **, char **);

static int main_logging_allocated(int argc, char **argv, char **envp)
{
	atexit(record_allocated);
	return program_main(argc, argv, envp);
}

/* Interposed to register record_allocated as main starts, after the loader's exit
   handler, which runs the libraries' destructors and the exit handlers they
   registered: heapprof's exit dump among them, whose own allocations
   heapprof_read_stats counts too. atexit handlers run in reverse order of
   registration, so record_allocated runs after the program's and before the dump. */
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	int (*next)(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
		    void (*)(void), void *) = dlsym(RTLD_NEXT, "__libc_start_main");
	program_main = main;
	return next(heapprof_read_stats ? main_logging_allocated : main, argc, argv, init, fini, rtld_fini,
		    stack_end);
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
