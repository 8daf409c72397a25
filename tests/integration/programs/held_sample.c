/* One thread's sample holds heapprof's lock while another thread samples the same
   stack and frees the first thread's sampled blocks: the second must not wait for the
   first. A lock a sample holds for a microsecond is held for a scheduler tick when
   its holder is preempted, and every thread that needed it waits that long (issue
   #14: allocating threads blocked for milliseconds while a request was answered).

   The program exports pthread_mutex_lock, so that heapprof's calls reach it. The
   holder's first lock after it arms the hold is the one its next sample takes first
   (with HEAPPROF_UNWIND=fp nothing else locks before it): that sample is of a size
   the stack has not had, so it makes a new site. The lock is held until the other
   thread has done all its work, or for HOLD_SECONDS.

   Without heapprof no lock is taken, and the holder holds nothing, just after its
   allocation. Prints "not held up" when the other thread finished within the hold,
   else "held up" and exits with 1. At HEAPPROF_RATE=1 every allocation is sampled.

   With `request SOCKET`, under HEAPPROF_HTTP=unix:SOCKET, the program instead asks
   heapprof's endpoint for /debug/pprof/heap while a thread allocates and frees, and
   holds every lock the endpoint's thread takes meanwhile until the allocating thread
   has got through HOLD_OPERATIONS more: building a profile must not hold a lock a
   sample needs. Prints "answered, not held up" or "held up".

   usage: held_sample [request SOCKET] */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Far above what the other thread's work takes, even on a loaded machine. */
#define HOLD_SECONDS 10
#define BLOCKS 1000
#define FIRST_SIZE 100
/* A size the stack has not had before. */
#define HOLDING_SIZE 5000
#define HOLD_OPERATIONS 200
#define LIVE_BLOCKS 4096

int real_pthread_mutex_lock(pthread_mutex_t *mutex);
__asm__(".symver real_pthread_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5");

static __thread int is_holder;
static atomic_int armed;
static atomic_int held_up;
static sem_t holding, released;

static void hold(void)
{
	sem_post(&holding);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HOLD_SECONDS;
	while (sem_timedwait(&released, &deadline) != 0) {
		if (errno != EINTR) {
			atomic_store(&held_up, 1);
			return;
		}
	}
}

/* Request mode: the program's own threads, and the operations its allocating thread
   has got through. */
static __thread int is_programs;
static atomic_int allocating, requesting;
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
	if (is_holder && atomic_exchange(&armed, 0))
		hold();
	else if (!is_programs && atomic_load(&requesting) && !atomic_load(&held_up))
		hold_while_allocating();
	return result;
}

struct job {
	unsigned count;
	size_t first_size;
	void **keep;
};

static void *holder_blocks[BLOCKS], *other_blocks[BLOCKS], *holding_block;
static const int holder_role = 1;

/* Both threads allocate here, called from the same place, so that their samples have
   one stack. */
__attribute__((noinline)) static void churn(struct job job)
{
	for (unsigned i = 0; i < job.count; i++)
		job.keep[i] = malloc(job.first_size + i);
}

/* The holder's jobs: its blocks, then, armed, the one whose sample holds the lock. */
static struct job next_holder_job(unsigned step)
{
	is_holder = 1;
	if (step == 0)
		return (struct job){BLOCKS, FIRST_SIZE, holder_blocks};
	if (step == 1) {
		atomic_store(&armed, 1);
		return (struct job){1, HOLDING_SIZE, &holding_block};
	}
	if (atomic_exchange(&armed, 0))
		hold();
	return (struct job){0, 0, NULL};
}

/* The other thread's: once the lock is held, the same sizes at the same stack; then
   it frees the holder's blocks, the first free of each of the holder's sites. */
static struct job next_other_job(unsigned step)
{
	if (step == 0) {
		while (sem_wait(&holding) != 0)
			;
		return (struct job){BLOCKS, FIRST_SIZE, other_blocks};
	}
	if (step == 1) {
		for (unsigned i = 0; i < BLOCKS; i++)
			free(holder_blocks[i]);
		sem_post(&released);
	}
	return (struct job){0, 0, NULL};
}

static void *run(void *holder)
{
	for (unsigned step = 0;; step++) {
		struct job job = holder ? next_holder_job(step) : next_other_job(step);
		if (!job.count)
			return NULL;
		churn(job);
	}
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

static int request_while_allocating(const char *path)
{
	is_programs = 1;
	atomic_store(&allocating, 1);
	pthread_t allocator;
	if (pthread_create(&allocator, NULL, allocate_until_answered, NULL) != 0)
		return 2;
	/* Once every thread has made its first allocation, which lists it under a lock. */
	while (atomic_load(&operations) < HOLD_OPERATIONS)
		sched_yield();
	atomic_store(&requesting, 1);
	int answered = fetch_profile(path);
	atomic_store(&requesting, 0);
	atomic_store(&allocating, 0);
	pthread_join(allocator, NULL);
	printf("%s, %s\n", answered ? "answered" : "not answered",
	       atomic_load(&held_up) ? "held up" : "not held up");
	return !answered || atomic_load(&held_up);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "request") == 0)
		return request_while_allocating(argv[2]);
	sem_init(&holding, 0, 0);
	sem_init(&released, 0, 0);
	pthread_t holder, other;
	if (pthread_create(&other, NULL, run, NULL) != 0 ||
	    pthread_create(&holder, NULL, run, (void *)&holder_role) != 0)
		return 2;
	pthread_join(holder, NULL);
	pthread_join(other, NULL);
	size_t kept = 0;
	for (unsigned i = 0; i < BLOCKS; i++)
		kept += other_blocks[i] != NULL;
	printf("%zu blocks kept, %s\n", kept + (holding_block != NULL),
	       atomic_load(&held_up) ? "held up" : "not held up");
	return atomic_load(&held_up);
}
