#include "record/recorder.h"

#include "check.h"
#include "record/live.h"
#include "record/next_allocator.h"
#include "record/sampler.h"
#include "record/thread_registry.h"
#include "write/dump_thread.h"

#define BLOCKS (DEFERRED_FREES + 4)

/* The allocator heapprof would forward to: here it only counts what it is given. */
static unsigned released;

static void count_release(void *pointer)
{
	(void)pointer;
	released++;
}

struct next_allocator next = {.free = count_release};

void dump_thread_count_allocation(uint64_t bytes)
{
	(void)bytes;
}

/* Blocks are addresses only, a filter slot apart, never dereferenced. */
static void *block(unsigned index)
{
	return (void *)(uintptr_t)(0x7f0000100000 + (uintptr_t)index * LIVE_SLOT_BYTES);
}

static struct site *record_sample(void *pointer)
{
	static const uintptr_t stack[] = {0x401000};
	struct recording recording;
	uintptr_t *pcs = recorder_begin(&recording);
	CHECK(pcs);
	pcs[0] = stack[0];
	recorder_alloc(&recording, pointer, 64, 1, pcs, 1);
	return sites_first();
}

/* A signal handler frees more sampled blocks than the deferred list holds while its
   thread is inside heapprof holding the live table's locks. The first frees wait in
   the list and are completed when the thread leaves; the rest go back to the
   allocator at once with their entries left in the table, and each such free is
   counted when its address is sampled again. */
static void test_more_deferred_frees_than_room(void)
{
	struct site *site = NULL;
	for (unsigned i = 0; i < BLOCKS; i++)
		site = record_sample(block(i));
	CHECK_UINT(site->alloc_objects, BLOCKS);

	thread_state.busy = true; /* interrupted inside heapprof */
	live_lock_all();
	unsigned released_at_once = 0;
	for (unsigned i = 0; i < BLOCKS; i++)
		released_at_once += recorder_free(block(i));
	live_unlock_all();
	CHECK_UINT(released_at_once, BLOCKS - DEFERRED_FREES);
	CHECK_UINT(thread_state.deferred_count, DEFERRED_FREES);
	CHECK_UINT(released, 0);

	/* Leaving heapprof, as the interrupted code would. */
	thread_state.busy = false;
	CHECK(recorder_free(block(BLOCKS)));
	CHECK_UINT(released, DEFERRED_FREES);
	CHECK_UINT(site->free_objects, DEFERRED_FREES);
	CHECK_UINT(live_count(), BLOCKS - DEFERRED_FREES);

	/* The allocator hands the released addresses out again, and they are sampled. */
	for (unsigned i = DEFERRED_FREES; i < BLOCKS; i++)
		record_sample(block(i));
	CHECK_UINT(site->alloc_objects, 2 * BLOCKS - DEFERRED_FREES);
	CHECK_UINT(site->free_objects, BLOCKS);
	CHECK_UINT(live_count(), BLOCKS - DEFERRED_FREES);
	for (unsigned i = DEFERRED_FREES; i < BLOCKS; i++)
		CHECK(recorder_free(block(i)));
	CHECK_UINT(site->free_objects, 2 * BLOCKS - DEFERRED_FREES);
	CHECK_UINT(live_count(), 0);
}

int main(void)
{
	sampler_set_rate(1);
	thread_registry_add(&thread_state);
	test_more_deferred_frees_than_room();
	return 0;
}
