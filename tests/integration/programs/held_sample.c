/* One thread holds heapprof's lock while another thread does what would need it: the
   second must not wait for the first. A lock held for a microsecond is held for a
   scheduler tick when its holder is preempted, and every thread that needed it waits
   that long (issue #14: allocating threads blocked for milliseconds while a request
   was answered).

   - `sample`: the holder's sample holds its first lock while the other thread samples
     the same stack and frees the holder's sampled blocks. The holder's sample is of a
     size the stack has not had, so it makes a new site.
   - `free`: the holder's free of a sampled block holds its first lock (the live table's
     shard of the block) at its last moment, about to be unlocked, while the other
     thread frees FREED_WHILE_HELD sampled blocks of the same 64 KiB, which heapprof
     keeps in that shard. Those frees are queued after the holder applied the queue, so
     the holder must look again once it has unlocked, or they are never counted.

   The program exports pthread_mutex_lock, _trylock and _unlock, so that heapprof's
   calls reach them. The holder's first lock after it arms the hold is the one held
   (with HEAPPROF_UNWIND=fp nothing else locks before it): from its taking in sample
   mode, up to its unlocking in free mode, until the other thread has done all its
   work, or for HOLD_SECONDS.

   Without heapprof no lock is taken, and the holder holds nothing. Prints the blocks
   and bytes still allocated and "not held up" when the other thread finished within
   the hold, else "held up" and exits with 1. At HEAPPROF_RATE=1 every allocation is
   sampled.

   usage: held_sample sample|free */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Far above what the other thread's work takes, even on a loaded machine. */
#define HOLD_SECONDS 10
#define BLOCKS 1000
#define FIRST_SIZE 100
/* A size the stack has not had before. */
#define HOLDING_SIZE 5000
/* Fewer than heapprof queues for one shard (LIVE_QUEUE_SLOTS). */
#define FREED_WHILE_HELD 8

int real_pthread_mutex_lock(pthread_mutex_t *mutex);
__asm__(".symver real_pthread_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5");
int real_pthread_mutex_trylock(pthread_mutex_t *mutex);
__asm__(".symver real_pthread_mutex_trylock, __pthread_mutex_trylock@GLIBC_2.2.5");
int real_pthread_mutex_unlock(pthread_mutex_t *mutex);
__asm__(".symver real_pthread_mutex_unlock, __pthread_mutex_unlock@GLIBC_2.2.5");

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

static int free_mode;

/* Holds at a lock's taking (sample mode) or at its unlocking (free mode). */
static int hold_if_armed(int result, int unlocking)
{
	if (result == 0 && is_holder && unlocking == free_mode && atomic_exchange(&armed, 0))
		hold();
	return result;
}

int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	return hold_if_armed(real_pthread_mutex_lock(mutex), 0);
}

int pthread_mutex_trylock(pthread_mutex_t *mutex)
{
	return hold_if_armed(real_pthread_mutex_trylock(mutex), 0);
}

int pthread_mutex_unlock(pthread_mutex_t *mutex)
{
	hold_if_armed(0, 1);
	return real_pthread_mutex_unlock(mutex);
}

struct job {
	unsigned count;
	size_t first_size;
	void **keep;
};

static void *holder_blocks[BLOCKS], *other_blocks[BLOCKS], *holding_block;
static const int holder_role = 1;
/* free mode: the 64 KiB of the block whose free holds the lock. */
static uintptr_t held_space;

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
	if (step == 1 && free_mode) {
		held_space = (uintptr_t)holder_blocks[0] >> 16;
		atomic_store(&armed, 1);
		free(holder_blocks[0]);
		holder_blocks[0] = NULL;
		if (atomic_exchange(&armed, 0))
			hold();
		return (struct job){0, 0, NULL};
	}
	if (step == 1) {
		atomic_store(&armed, 1);
		return (struct job){1, HOLDING_SIZE, &holding_block};
	}
	if (atomic_exchange(&armed, 0))
		hold();
	return (struct job){0, 0, NULL};
}

/* free mode: the holder's blocks in the held block's 64 KiB. */
static void free_neighbours(void)
{
	unsigned freed = 0;
	for (unsigned i = 1; i < BLOCKS && freed < FREED_WHILE_HELD; i++) {
		if ((uintptr_t)holder_blocks[i] >> 16 == held_space) {
			free(holder_blocks[i]);
			holder_blocks[i] = NULL;
			freed++;
		}
	}
}

/* The other thread's: once the lock is held, in sample mode, the same sizes at the
   same stack, then it frees the holder's blocks, the first free of each of the
   holder's sites; in free mode, a few of the holder's blocks. */
static struct job next_other_job(unsigned step)
{
	if (step == 0) {
		while (sem_wait(&holding) != 0)
			;
		if (free_mode)
			free_neighbours();
		else
			return (struct job){BLOCKS, FIRST_SIZE, other_blocks};
	}
	if (step == 1) {
		for (unsigned i = 0; i < BLOCKS; i++) {
			free(holder_blocks[i]);
			holder_blocks[i] = NULL;
		}
	}
	sem_post(&released);
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

/* The blocks still allocated, and their bytes. */
static void count_kept(size_t *blocks, size_t *bytes)
{
	*blocks = holding_block != NULL;
	*bytes = holding_block ? HOLDING_SIZE : 0;
	for (unsigned i = 0; i < BLOCKS; i++) {
		*blocks += (holder_blocks[i] != NULL) + (other_blocks[i] != NULL);
		*bytes += (FIRST_SIZE + i) * ((holder_blocks[i] != NULL) + (other_blocks[i] != NULL));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "sample") != 0 && strcmp(argv[1], "free") != 0))
		return 2;
	free_mode = strcmp(argv[1], "free") == 0;
	sem_init(&holding, 0, 0);
	sem_init(&released, 0, 0);
	pthread_t holder, other;
	if (pthread_create(&other, NULL, run, NULL) != 0 ||
	    pthread_create(&holder, NULL, run, (void *)&holder_role) != 0)
		return 2;
	pthread_join(holder, NULL);
	pthread_join(other, NULL);
	size_t blocks, bytes;
	count_kept(&blocks, &bytes);
	printf("%zu blocks of %zu bytes kept, %s\n", blocks, bytes,
	       atomic_load(&held_up) ? "held up" : "not held up");
	return atomic_load(&held_up);
}
