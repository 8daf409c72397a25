/* heapprof's endpoint answers a request while a thread allocates and frees: building
   the profile must not hold a lock that thread's samples need. A lock held for a
   microsecond is held for a scheduler tick when its holder is preempted, and every
   thread that needed it waits that long (issue #14: allocating threads blocked for
   milliseconds while a request was answered).

   The program exports pthread_mutex_lock, so that heapprof's calls reach it. While
   the request is answered, every lock a thread other than the program's takes is held
   until the allocating thread has got through HOLD_OPERATIONS more operations, or for
   HOLD_SECONDS. At HEAPPROF_RATE=1 every allocation is sampled.

   Prints "answered, not held up" when each hold ended that way, else "held up" (and
   exits with 1), or "not answered".

   usage: held_request SOCKET, under HEAPPROF_HTTP=unix:SOCKET */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Far above what the allocating thread's operations take, even on a loaded machine. */
#define HOLD_SECONDS 10
#define HOLD_OPERATIONS 200
#define LIVE_BLOCKS 4096

int real_pthread_mutex_lock(pthread_mutex_t *mutex);
__asm__(".symver real_pthread_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5");

static __thread int is_programs;
static atomic_int allocating, requesting, held_up;
static atomic_ulong operations;

static double now(void)
{
	struct timespec time;
	clock_gettime(CLOCK_MONOTONIC, &time);
	return (double)time.tv_sec + time.tv_nsec / 1e9;
}

/* Holds the caller, heapprof's thread, until the allocating thread has got through
   HOLD_OPERATIONS more operations. */
static void hold_while_allocating(void)
{
	unsigned long until = atomic_load(&operations) + HOLD_OPERATIONS;
	double deadline = now() + HOLD_SECONDS;
	while (atomic_load(&operations) < until) {
		if (now() > deadline) {
			atomic_store(&held_up, 1);
			return;
		}
		sched_yield();
	}
}

int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	int result = real_pthread_mutex_lock(mutex);
	if (!is_programs && atomic_load(&requesting) && !atomic_load(&held_up))
		hold_while_allocating();
	return result;
}

static void *allocate_until_answered(void *unused)
{
	(void)unused;
	is_programs = 1;
	static void *live[LIVE_BLOCKS];
	for (unsigned i = 0; atomic_load(&allocating); i++) {
		unsigned slot = (i * 2654435761u) % LIVE_BLOCKS;
		free(live[slot]);
		live[slot] = malloc(16 + (i * 40503u) % 2048);
		atomic_fetch_add(&operations, 1);
	}
	return NULL;
}

/* Reads the answer to /debug/pprof/heap over `path`; true on a 200. */
static int fetch_profile(const char *path)
{
	int client = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	strncpy(address.sun_path, path, sizeof address.sun_path - 1);
	if (client < 0 || connect(client, (struct sockaddr *)&address, sizeof address) != 0)
		return 0;
	static const char request[] =
		"GET /debug/pprof/heap HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
	int ok = write(client, request, sizeof request - 1) == (ssize_t)(sizeof request - 1);
	char head[16] = {0};
	ok = ok && read(client, head, sizeof head - 1) > 0 && strncmp(head, "HTTP/1.1 200", 12) == 0;
	char rest[4096];
	while (read(client, rest, sizeof rest) > 0)
		;
	close(client);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	is_programs = 1;
	atomic_store(&allocating, 1);
	pthread_t allocator;
	if (pthread_create(&allocator, NULL, allocate_until_answered, NULL) != 0)
		return 2;
	/* Once every thread has made its first allocation, which lists it under a lock. */
	while (atomic_load(&operations) < HOLD_OPERATIONS)
		sched_yield();
	atomic_store(&requesting, 1);
	int answered = fetch_profile(argv[1]);
	atomic_store(&requesting, 0);
	atomic_store(&allocating, 0);
	pthread_join(allocator, NULL);
	printf("%s, %s\n", answered ? "answered" : "not answered",
	       atomic_load(&held_up) ? "held up" : "not held up");
	return !answered || atomic_load(&held_up);
}
