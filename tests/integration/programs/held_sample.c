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

   usage: held_sample */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Far above what the other thread's work takes, even on a loaded machine. */
#define HOLD_SECONDS 10
#define BLOCKS 1000
#define FIRST_SIZE 100
/* A size the stack has not had before. */
#define HOLDING_SIZE 5000

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

int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	int result = real_pthread_mutex_lock(mutex);
	if (is_holder && atomic_exchange(&armed, 0))
		hold();
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

int main(void)
{
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
