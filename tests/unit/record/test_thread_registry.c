#include "record/thread_registry.h"

#include <pthread.h>

#include "check.h"
#include "options.h"
#include "record/sampler.h"

#define THREADS 4
#define PHASES 4
#define ALLOCATIONS_PER_PHASE 50000

/* The rate each phase runs at: set by the main thread while the workers wait. */
static const size_t phase_rates[PHASES] = {4096, 0, 1, 100000};

struct worker {
	pthread_t thread;
	unsigned index;
	uint64_t alloc_objects, alloc_bytes, free_objects;
};

static struct worker workers[THREADS];
static pthread_barrier_t phase_boundary;

/* Mostly small sizes, some zero, some far larger than any interval at these rates. */
static size_t allocation_size(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	uint64_t draw = *state >> 33;
	if (draw % 100 == 0)
		return (size_t)(draw % 5) << 20;
	return (size_t)(draw % 2000);
}

/* Allocates (and frees) as the interposed allocator would count them, keeping the
   expected totals. Some allocations happen while the thread is inside the profiler. */
static void run_phase(struct worker *worker, uint64_t *random_state)
{
	for (unsigned i = 0; i < ALLOCATIONS_PER_PHASE; i++) {
		size_t size = allocation_size(random_state);
		thread_state.busy = i % 1000 < 10;
		sampler_decide(size);
		thread_state.busy = false;
		worker->alloc_objects++;
		worker->alloc_bytes += size;
		if (i % 3 == 0) {
			thread_count_free((void *)(uintptr_t)0x1000);
			worker->free_objects++;
		}
		if (i % 7 == 0)
			thread_count_free(NULL);
	}
}

static void *work(void *argument)
{
	struct worker *worker = argument;
	uint64_t random_state = worker->index + 1;
	for (unsigned phase = 0; phase < PHASES; phase++) {
		pthread_barrier_wait(&phase_boundary);
		run_phase(worker, &random_state);
		pthread_barrier_wait(&phase_boundary);
	}
	pthread_barrier_wait(&phase_boundary);
	return NULL;
}

static void check_totals(void)
{
	struct thread_totals expected = {0};
	for (unsigned i = 0; i < THREADS; i++) {
		expected.alloc_objects += workers[i].alloc_objects;
		expected.alloc_bytes += workers[i].alloc_bytes;
		expected.free_objects += workers[i].free_objects;
	}
	struct thread_totals totals = thread_registry_totals();
	CHECK_UINT(totals.alloc_objects, expected.alloc_objects);
	CHECK_UINT(totals.alloc_bytes, expected.alloc_bytes);
	CHECK_UINT(totals.free_objects, expected.free_objects);
}

static _Atomic unsigned exits_seen;

/* The hook sees each exiting thread with its counts still its own. */
static void count_exit(struct thread_state *state)
{
	CHECK(state == &thread_state && state->registration == THREAD_REGISTERED);
	atomic_fetch_add(&exits_seen, 1);
}

/* Totals are exact across rate changes, for running threads and for exited ones. */
int main(void)
{
	thread_registry_start(count_exit);
	options.seeded = true;
	options.seed = 7;
	options.rate = phase_rates[0];
	sampler_start();
	CHECK(pthread_barrier_init(&phase_boundary, NULL, THREADS + 1) == 0);
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i].index = i;
		CHECK(pthread_create(&workers[i].thread, NULL, work, &workers[i]) == 0);
	}
	for (unsigned phase = 0; phase < PHASES; phase++) {
		sampler_set_rate(phase_rates[phase]);
		pthread_barrier_wait(&phase_boundary);
		pthread_barrier_wait(&phase_boundary);
		check_totals();
	}
	pthread_barrier_wait(&phase_boundary);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK(pthread_join(workers[i].thread, NULL) == 0);
	check_totals();
	CHECK_UINT(atomic_load(&exits_seen), THREADS);
	return 0;
}
