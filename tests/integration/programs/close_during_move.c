/* A thread of the program closes every descriptor above stderr and opens a pipe of
   its own just as heapprof, writing a profile, has made a descriptor in the lowest
   free number and is about to move it to the top of the table (torture seed 1184).
   The program's fcntl64 (exported, so that heapprof's calls bind to it) holds
   heapprof's first move for up to HOLD_SECONDS, while the thread closes and opens
   pipes until one takes the number heapprof is moving. The thread then sends bytes
   through that pipe and reads them back. Before heapprof made its descriptors in a
   window that the program's closes wait for, the move took the program's end of the
   pipe to the top and closed the program's number: the round trip failed.

   With `dup2` the thread instead copies its pipe's read end to the number heapprof is
   moving, which dup2 closes first: before dup2 waited for heapprof's window too, the
   move took the program's read end and closed its number.

   usage: close_during_move closefrom|close_range|close|dup2 PROFILE */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Far above the time the thread's work takes without heapprof's window. */
#define HOLD_SECONDS 2

extern int heapprof_write_profile(const char *path) __attribute__((weak));

static const char *method;
static atomic_int armed;
/* The number heapprof moves. */
static int moving;
static sem_t go, opened, written;

static void close_every_descriptor(void)
{
	if (strcmp(method, "closefrom") == 0) {
		closefrom(3);
	} else if (strcmp(method, "close_range") == 0) {
		close_range(3, ~0u, 0);
	} else {
		struct rlimit limit;
		int top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536
				  ? (int)limit.rlim_cur
				  : 65536;
		for (int fd = 3; fd < top; fd++)
			close(fd);
	}
}

static int forward(int fd, int cmd, long argument)
{
	static int (*next_fcntl)(int fd, int cmd, ...);
	if (!next_fcntl)
		next_fcntl = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl64");
	return next_fcntl(fd, cmd, argument);
}

/* heapprof's move: duplicate to a number above, close-on-exec. */
static int hold_move(int fd, int cmd, long argument)
{
	moving = fd;
	sem_post(&go);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HOLD_SECONDS;
	while (sem_timedwait(&opened, &deadline) != 0 && errno == EINTR)
		continue;
	int result = forward(fd, cmd, argument);
	static const char caught[] = "close_during_move: held heapprof's move\n";
	write(STDERR_FILENO, caught, sizeof caught - 1);
	return result;
}

int fcntl64(int fd, int cmd, ...)
{
	va_list arguments;
	va_start(arguments, cmd);
	long argument = va_arg(arguments, long);
	va_end(arguments);
	if (cmd == F_DUPFD_CLOEXEC && atomic_exchange(&armed, 0))
		return hold_move(fd, cmd, argument);
	return forward(fd, cmd, argument);
}

int fcntl(int fd, int cmd, ...)
{
	va_list arguments;
	va_start(arguments, cmd);
	long argument = va_arg(arguments, long);
	va_end(arguments);
	return fcntl64(fd, cmd, argument);
}

static void round_trip(const int ends[2])
{
	static const char sent[] = "the program's own bytes";
	char received[sizeof sent] = {0};
	if (write(ends[1], sent, sizeof sent) != (ssize_t)sizeof sent) {
		printf("round trip: write failed: %s\n", strerror(errno));
		return;
	}
	ssize_t length = read(ends[0], received, sizeof received);
	if (length < 0)
		printf("round trip: read failed: %s\n", strerror(errno));
	else if (length != (ssize_t)sizeof sent || memcmp(sent, received, sizeof sent) != 0)
		printf("round trip: read %zd other bytes\n", length);
	else
		printf("round trip: ok\n");
}

static void *closer(void *unused)
{
	(void)unused;
	while (sem_wait(&go) != 0)
		continue;
	int ends[2];
	if (strcmp(method, "dup2") == 0) {
		if (pipe(ends) != 0 || dup2(ends[0], moving) != moving) {
			printf("pipe or dup2: %s\n", strerror(errno));
			return NULL;
		}
		close(ends[0]);
		ends[0] = moving;
	} else {
		close_every_descriptor();
		do {
			if (pipe(ends) != 0) {
				printf("pipe: %s\n", strerror(errno));
				return NULL;
			}
		} while (ends[1] < moving);
	}
	sem_post(&opened);
	while (sem_wait(&written) != 0)
		continue;
	round_trip(ends);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	method = argv[1];
	signal(SIGPIPE, SIG_IGN);
	sem_init(&go, 0, 0);
	sem_init(&opened, 0, 0);
	sem_init(&written, 0, 0);
	pthread_t thread;
	pthread_create(&thread, NULL, closer, NULL);
	atomic_store(&armed, 1);
	if (heapprof_write_profile)
		heapprof_write_profile(argv[2]);
	/* Without heapprof, or had heapprof moved nothing: the thread goes on alone. */
	if (atomic_exchange(&armed, 0))
		sem_post(&go);
	sem_post(&written);
	pthread_join(thread, NULL);
	return 0;
}
